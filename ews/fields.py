"""Field types shared by every input (API bodies, Kobo, SMS, feed files): timestamps that fit the
calendar, plausible observation times, numbers that are not booleans, text a database can store,
ids within the row range; and ``field_errors``, the words for a value that fails them.

Python's ``datetime`` stops at years 1 and 9999: ``0001-01-01T00:00:00+00:01`` parses, but its UTC
form does not exist, so converting it (as every database bind does) raises ``OverflowError``. Each
type here turns such a value into a 422 naming the field (a write) or clamps it to the calendar's
edge (a filter, where the edge means "everything").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

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


# Row ids are 32-bit integers on PostgreSQL (and SQLite refuses integers past 64 bits): a number
# outside this range names no row.
MAX_ROW_ID = 2**31 - 1


def row_id_in_range(value: int) -> bool:
    """Whether ``value`` can be a row id (a cursor carries the id of the last row it showed)."""
    return 0 <= value <= MAX_ROW_ID


# Pydantic error types in words a monitor understands (Spanish first, English second).
_MESSAGES: dict[str, str] = {
    "missing": "falta este campo / this field is required",
    "string_type": "debe ser texto / must be text",
    "int_parsing": "debe ser un número entero / must be a whole number",
    "int_type": "debe ser un número entero / must be a whole number",
    "float_parsing": "debe ser un número / must be a number",
    "float_type": "debe ser un número / must be a number",
    "uuid_parsing": "debe ser un UUID (p. ej. 0f8fad5b-d9cb-469f-a165-70867728950e) / must be a UUID",
    "uuid_type": "debe ser un UUID / must be a UUID",
    "datetime_parsing": (
        "debe ser fecha y hora ISO 8601 con zona horaria, p. ej. 2026-11-26T08:30:00-05:00 / "
        "must be an ISO 8601 date-time with an offset"
    ),
    "datetime_type": "debe ser fecha y hora / must be a date-time",
    "timezone_aware": (
        "la fecha y hora necesita zona horaria, p. ej. -05:00 / the date-time needs an offset, "
        "e.g. -05:00"
    ),
    "json_invalid": "el cuerpo no es JSON válido / the body is not valid JSON",
    "model_attributes_type": "se esperaba un objeto JSON / expected a JSON object",
    "dict_type": "se esperaba un objeto JSON / expected a JSON object",
    "list_type": "se esperaba una lista / expected a list",
    "extra_forbidden": "campo no reconocido / unknown field",
    "too_long": "demasiados elementos / too many items",
    "too_short": "faltan elementos / too few items",
    "string_too_long": "texto demasiado largo / text too long",
    "string_too_short": "texto demasiado corto / text too short",
}


# Bounds, with the limit pydantic reports in the error's context.
_BOUNDS: dict[str, tuple[str, str, str]] = {
    "greater_than_equal": ("ge", "debe ser mayor o igual a", "must be at least"),
    "greater_than": ("gt", "debe ser mayor que", "must be greater than"),
    "less_than_equal": ("le", "debe ser menor o igual a", "must be at most"),
    "less_than": ("lt", "debe ser menor que", "must be less than"),
}


def _text_too_long(limit: object) -> str:
    """A text over its length (pydantic says ``too_long`` for an optional text, as for a list)."""
    if limit is None:
        return _MESSAGES["string_too_long"]
    return (
        f"texto demasiado largo: como máximo {limit} caracteres / text too long: at most {limit} "
        "characters"
    )


def _text_too_short(limit: object) -> str:
    """A text under its length (pydantic says ``too_short`` for an optional text, as for a list)."""
    if limit is None:
        return _MESSAGES["string_too_short"]
    return (
        f"texto demasiado corto: al menos {limit} caracteres / text too short: at least {limit} "
        "characters"
    )


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Turn pydantic errors into ``{"field", "message"}`` pairs with human words."""
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        kind = error.get("type", "")
        message = _MESSAGES.get(kind)
        bound = _BOUNDS.get(kind)
        context = error.get("ctx") or {}
        if bound is not None and bound[0] in context:
            limit = context[bound[0]]
            message = f"{bound[1]} {limit} / {bound[2]} {limit}"
        if kind in ("too_long", "string_too_long") and isinstance(error.get("input"), str):
            message = _text_too_long(context.get("max_length"))
        if kind in ("too_short", "string_too_short") and isinstance(error.get("input"), str):
            message = _text_too_short(context.get("min_length"))
        if message is None:
            raw = str(error.get("msg", "valor inválido / invalid value"))
            message = raw.removeprefix("Value error, ")
        result.append({"field": ".".join(location) or "body", "message": message})
    return result
