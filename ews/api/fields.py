"""Field types shared by every request: timestamps that fit the calendar, plausible observation
times, numbers that are not booleans, text a database can store, and ids within the row range.

Python's ``datetime`` stops at years 1 and 9999: ``0001-01-01T00:00:00+00:01`` parses, but its UTC
form does not exist, so converting it (as every database bind does) raises ``OverflowError``. Each
type here turns such a value into a 422 naming the field (a write) or clamps it to the calendar's
edge (a filter, where the edge means "everything").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

# Row ids are the store's: re-exported for the routes that check them.
from ews.models.base import MAX_ROW_ID as MAX_ROW_ID
from ews.models.base import row_id_in_range as row_id_in_range

# Nothing real was observed before this day: older dates are typing mistakes or a phone's lost clock.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST_DAY = EARLIEST.date()
FIRST_UTC = datetime.min.replace(tzinfo=UTC)
LAST_UTC = datetime.max.replace(tzinfo=UTC)

OUT_OF_CALENDAR = (
    "fecha fuera del calendario (años 1 a 9999 en UTC) / date outside the calendar "
    "(years 1 to 9999 in UTC)"
)
BEFORE_EARLIEST = (
    "la fecha es anterior al 2000-01-01; revise el reloj o la fecha / the date is before "
    "2000-01-01; check the clock or the date"
)
NOT_A_NUMBER_BUT_BOOLEAN = (
    "debe ser un número, no verdadero/falso / must be a number, not true/false"
)
UNSTORABLE_TEXT = (
    "el texto contiene un carácter nulo (\\u0000) o un sustituto UTF-16 suelto / the text contains "
    "a NUL character or a lone UTF-16 surrogate"
)


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC; ``ValueError`` (a 422 in a request model) if UTC has no such moment."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(OUT_OF_CALENDAR) from None


def clamp_utc(value: datetime) -> datetime:
    """``value`` in UTC, or the calendar's first or last moment when UTC has no such moment."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return FIRST_UTC if value.year < 2 else LAST_UTC


def not_before_2000(value: datetime) -> datetime:
    if value < EARLIEST:
        raise ValueError(BEFORE_EARLIEST)
    return value


def refuse_boolean(value: Any) -> Any:
    """JSON ``true`` is not the number 1 (pydantic's lax mode would take it as one)."""
    if isinstance(value, bool):
        raise ValueError(NOT_A_NUMBER_BUT_BOOLEAN)
    return value


def storable(text: str) -> bool:
    """Whether a database can store ``text``: no NUL (PostgreSQL refuses it) and valid UTF-8 (a
    JSON ``"\\ud800"`` escape decodes to a lone surrogate no encoder takes)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_unstorable(value: Any) -> Any:
    """Text a database cannot hold is refused (a 422 naming the field), not failed (a 500)."""
    if isinstance(value, str) and not storable(value):
        raise ValueError(UNSTORABLE_TEXT)
    return value


# A moment in a write (silence bounds, a job's as_of): aware, and converted to UTC.
UtcTime = Annotated[AwareDatetime, AfterValidator(to_utc)]
# When something happened (a report, an SMS) or a bound of the service's own work (a silence, a
# job's as_of): a UtcTime on or after 2000-01-01. An upper bound depends on the clock and is checked
# where the clock is known (10 minutes ahead for reports).
PlausibleTime = Annotated[AwareDatetime, AfterValidator(to_utc), AfterValidator(not_before_2000)]
# A since/until filter: any aware moment; beyond the calendar it means "from the start" / "to the end".
FilterTime = Annotated[AwareDatetime, AfterValidator(clamp_utc)]
# Numbers and text of request bodies.
Number = Annotated[float, BeforeValidator(refuse_boolean)]
WholeNumber = Annotated[int, BeforeValidator(refuse_boolean)]
Text = Annotated[str, BeforeValidator(refuse_unstorable)]


def clamp_day(value: date, *, latest: date) -> date:
    """A day filter kept between 2000-01-01 and ``latest`` (a page's date box may say 9999-12-31)."""
    return min(max(value, EARLIEST_DAY), latest)
