"""Windows aligned to Peru's days (America/Lima, UTC-5, no daylight saving).

Convention: a value belongs to one local day. ``window_end`` is the next local midnight after
``as_of`` and ``window_start = window_end - window_days``; a rerun during the same local day computes
the same window and so upserts the same row. The previous windows (for the baseline) are the
``window_days``-long windows ending at ``window_end - k * window_days`` for k = 1..K, where K windows
cover the previous ``baseline_days`` (365: twelve months).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from indicators.days import LIMA
from indicators.rules import Rule

BASELINE_DAYS = 365


def local_day_end(as_of: datetime) -> datetime:
    """The next local midnight (Lima) strictly after ``as_of``, in UTC."""
    if as_of.tzinfo is None:
        msg = "as_of must be timezone-aware"
        raise ValueError(msg)
    local = as_of.astimezone(LIMA)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=LIMA)
    return end.astimezone(UTC)


def window(as_of: datetime, window_days: int) -> tuple[datetime, datetime]:
    """``(window_start, window_end)`` in UTC for a ``window_days`` window containing ``as_of``'s day."""
    end = local_day_end(as_of)
    return end - timedelta(days=window_days), end


def baseline_windows(window_days: int, baseline_days: int = BASELINE_DAYS) -> int:
    """How many earlier windows of this length the baseline takes (at least one)."""
    return max(1, baseline_days // window_days)


def lookback_start(
    as_of: datetime, window_days: int, baseline_days: int = BASELINE_DAYS
) -> datetime:
    """The earliest instant the value and its baseline read."""
    end = local_day_end(as_of)
    return end - timedelta(days=window_days * (1 + baseline_windows(window_days, baseline_days)))


def lookback_days(rules: Mapping[str, Rule]) -> int:
    """How many days before a day's end a run must read for every value and baseline."""
    spans = [
        (r.window_days or 1) * (1 + baseline_windows(r.window_days or 1, BASELINE_DAYS))
        for r in rules.values()
    ]
    return max([*spans, BASELINE_DAYS + 1])
