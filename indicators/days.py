"""Lima's calendar: the one time zone of the service and local days as numbers.

Peru keeps UTC-5 all year (no daylight saving since 1994): :data:`LIMA` is ``America/Lima``, and a
local day is a fixed shift of UTC, so days are numbered (since 1970-01-01, Lima calendar) with
integer arithmetic over whole columns of nanoseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

LIMA = ZoneInfo("America/Lima")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC).date()
DAY_NS = 86_400 * 10**9
_OFFSET = datetime(2026, 1, 1, tzinfo=LIMA).utcoffset()
assert _OFFSET is not None
LIMA_OFFSET_NS = int(_OFFSET.total_seconds()) * 10**9


def utc_ns(values: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (pandas may keep microseconds: convert first)."""
    stamps = pd.to_datetime(values, utc=True).dt.as_unit("ns")
    return np.asarray(stamps.astype("int64"), dtype=np.int64)


def local_day_number(t_ns: np.ndarray | int) -> np.ndarray:
    """Days since 1970-01-01 of the local (Lima) calendar day of each instant."""
    return np.floor_divide(np.asarray(t_ns, dtype=np.int64) + LIMA_OFFSET_NS, DAY_NS)


def day_number(as_of: datetime) -> int:
    """The local day number of one instant."""
    return int(local_day_number(int(pd.Timestamp(as_of).as_unit("ns").value)))


def day_start(day: int) -> datetime:
    """The first instant of local day ``day``, in UTC."""
    return datetime.combine(EPOCH + timedelta(days=day), time(0), tzinfo=LIMA).astimezone(UTC)


def day_as_of(day: int) -> datetime:
    """The last instant of local day ``day``: the value of that day as if computed at its end."""
    return day_start(day + 1) - timedelta(microseconds=1)
