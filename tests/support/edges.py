"""Hypothesis strategies for the edges of each field: the calendar's first and last moments in every
UTC offset, the plausibility bounds (2000-01-01, now + tolerance), and integers past every row-id
range; the oracle that judges the answers (``plausible``, ``assert_answer``); the clock, the
hypothesis settings and the report body the edge tests share. Used by the edge-input and edge-query
tests and the schemathesis run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.patrol_reports import COMMUNITY

# The moment the edge tests start from, and how many examples each of their properties draws.
NOW = datetime.now(UTC)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def report(observed_at: str, **overrides: Any) -> dict[str, Any]:
    """A fire report body observed at ``observed_at`` (any text), with ``overrides``."""
    return {
        "id": str(uuid.uuid4()),
        "community": COMMUNITY,
        "threat_type": "fire",
        "severity": 2,
        "observed_at": observed_at,
        **overrides,
    }


# Offsets a timestamp may carry: -23:59 .. +23:59, at whole minutes.
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Written out, because ``datetime`` cannot even build some of them in UTC.
EDGE_TEXTS = (
    "0001-01-01T00:00:00+00:01",
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00-23:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-00:01",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59+23:59",
    "9999-12-31T23:59:59.999999Z",
    "1900-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "2000-01-01T00:00:00Z",
    "2000-01-01T00:00:00+00:01",  # 1999-12-31T23:59 in UTC: too old
    "2000-01-01T00:00:00-05:00",
    "2099-12-31T00:00:00Z",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30T00:00:00Z",
    "2026-11-20T10:00:00",  # no offset
)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def _datetimes(low: datetime, high: datetime) -> st.SearchStrategy[str]:
    return st.datetimes(min_value=low, max_value=high, timezones=OFFSETS).map(iso)


def edge_timestamps(now: datetime) -> st.SearchStrategy[str]:
    """Timestamps at the minimum and maximum of the calendar and around each plausibility bound,
    as ISO 8601 text, plus anything in between (hypothesis shrinks toward the minimum)."""
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    return st.one_of(
        st.sampled_from(EDGE_TEXTS),
        _datetimes(datetime.min, datetime(1, 1, 3)),
        _datetimes(datetime(9999, 12, 29), datetime.max),
        _datetimes(datetime(1999, 12, 30), datetime(2000, 1, 3)),
        # Around "now": clear of the 10-minute boundary, so the test's clock and the server's agree.
        st.sampled_from((-1440, -11, -9, 0, 9, 11, 60, 1440, 1441, 2880)).map(
            lambda minutes: iso((now + timedelta(minutes=minutes)).astimezone(UTC))
        ),
        _datetimes(datetime.min, datetime.max),
        _datetimes(naive_now - timedelta(days=400), naive_now),
    )


def edge_days() -> st.SearchStrategy[str]:
    """Calendar days (``YYYY-MM-DD``) from year 1 to 9999, the edges first."""
    return st.one_of(
        st.sampled_from(("0001-01-01", "9999-12-31", "1900-01-01", "1999-12-31", "2000-01-01")),
        st.dates(min_value=date.min, max_value=date.max).map(date.isoformat),
    )


# Integers at and past every range a row id or a count passes through.
EDGE_INTEGERS = st.one_of(
    st.sampled_from(
        (0, -1, 1, 2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1)
    ),
    st.integers(),
)


def parse_aware(text: str) -> datetime | None:
    """The moment ``text`` names if it has an offset (the oracle's own parser), else ``None``."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def in_utc(moment: datetime) -> datetime | None:
    """``moment`` in UTC, or ``None`` when UTC has no such moment (year 0 or 10000)."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
REPORT_AHEAD = timedelta(minutes=10)
DAY_AHEAD = timedelta(days=1)
# The server reads its clock a moment after the test: answers this close to a bound may go either way.
CLOCK_SLACK = timedelta(seconds=30)


def plausible(text: str, *, ahead: timedelta) -> bool | None:
    """The oracle: ``True`` if ``text`` is an aware moment from 2000-01-01 to now + ``ahead``,
    ``False`` if not, ``None`` when it lies too close to the upper bound to tell."""
    moment = parse_aware(text)
    utc = in_utc(moment) if moment is not None else None
    if utc is None or utc < EARLIEST:
        return False
    limit = datetime.now(UTC) + ahead
    if abs(utc - limit) < CLOCK_SLACK:
        return None
    return utc <= limit


def readable(text: str) -> bool:
    """Whether ``text`` is an aware moment the calendar can hold in UTC."""
    moment = parse_aware(text)
    return moment is not None and in_utc(moment) is not None


def assert_answer(response: Any, *, ok: int | tuple[int, ...], expected: bool | None) -> None:
    """2xx when the input is plausible, a 4xx with Spanish / English words otherwise, never 5xx."""
    assert response.status_code < 500, response.text
    oks = ok if isinstance(ok, tuple) else (ok,)
    if expected is True:
        assert response.status_code in oks, response.text
    elif expected is False:
        assert response.status_code == 422, response.text
        assert " / " in response.json()["detail"]


def field_named(response: Any, field: str) -> None:
    if response.status_code == 422:
        assert field in {error["field"] for error in response.json()["errors"]}, response.text


def fuzz_every_operation(
    app: Any, *, headers: dict[str, str], max_examples: int, checks: list[Any]
) -> list[str]:
    """Every operation of ``app``'s OpenAPI document called with cases schemathesis draws
    (``max_examples`` each, derandomized) and judged by ``checks``; one line per failed operation,
    every operation's failure and not only the first."""
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(headers=headers))
        @settings(
            max_examples=max_examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=checks)

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures
