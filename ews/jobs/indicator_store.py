"""Storage of the indicator computation: pending work, daily rollups, the rules they were built
with, and indicator values with their revisions. All in the caller's transaction (flushes, never
commits)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, inspect, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from ews import counters
from ews.bulk import bulk_insert, bulk_read
from ews.models import (
    Community,
    IndicatorRollup,
    IndicatorRollupState,
    IndicatorValue,
    PendingWork,
)
from ews.models.base import utcnow
from indicators import ALGORITHM_VERSION
from indicators.columns import ROLLUP_COLUMNS
from indicators.days import day_number, utc_ns

STATE = "rollups"
# indicator_rollup's primary key, in its order: rollups are written sorted by it.
STORED_KEY = [column.name for column in inspect(IndicatorRollup).primary_key]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What a revision follows: a change of these makes a new one (not of the baseline or inputs).
REVISED = ("value", "level", "details")
ROLLUP_DTYPES = {
    "code": "str",
    "community_code": "str",
    "day": "int64",
    "core_value": "float64",
    "buffer_value": "float64",
    "inputs": "int64",
    "severe": "int64",
}


def take_pending_days(session: Session) -> list[int]:
    """Consume the pending work this transaction sees: the days whose input rows changed since the
    last computation (deleted here; kept if the transaction rolls back)."""
    days = session.execute(delete(PendingWork).returning(PendingWork.day)).scalars().all()
    return sorted({int(day) for day in days})


def rules_hash_of_rollups(session: Session) -> str | None:
    """The rules hash the stored rollups were built with (``None``: no rollups yet)."""
    state = session.get(IndicatorRollupState, STATE, populate_existing=True)
    return state.rules_hash if state is not None else None


def record_rules_hash(session: Session, digest: str) -> None:
    state = session.get(IndicatorRollupState, STATE)
    if state is None:
        session.add(IndicatorRollupState(name=STATE, rules_hash=digest, updated_at=utcnow()))
    else:
        state.rules_hash, state.updated_at = digest, utcnow()
    session.flush()


def load_rollups(
    session: Session,
    *,
    first_day: int | None = None,
    days: Sequence[int] | None = None,
    communities: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Stored rollups from ``first_day`` on, or of ``days``, of ``communities`` if given."""
    table = IndicatorRollup.__table__
    query = select(*(type_coerce(table.c[c], NullType()).label(c) for c in ROLLUP_COLUMNS))
    if first_day is not None:
        query = query.where(IndicatorRollup.day >= first_day)
    if days is not None:
        query = query.where(IndicatorRollup.day.in_([int(d) for d in days]))
    if communities is not None:
        query = query.where(IndicatorRollup.community_code.in_(list(communities)))
    return bulk_read(session.connection(), query, ROLLUP_DTYPES)


def replace_rollups(
    session: Session,
    rollups: pd.DataFrame,
    *,
    days: Sequence[int] | None = None,
    communities: Sequence[str] | None = None,
) -> None:
    """Replace the stored rollups (of ``days`` only, of ``communities`` only, if given) with
    ``rollups``."""
    statement = delete(IndicatorRollup)
    if days is not None:
        statement = statement.where(IndicatorRollup.day.in_([int(d) for d in days]))
    if communities is not None:
        statement = statement.where(IndicatorRollup.community_code.in_(list(communities)))
    session.execute(statement)
    # In the table's key order: the index grows page after page, not all over it.
    frame = rollups[ROLLUP_COLUMNS].sort_values(STORED_KEY, ignore_index=True)
    frame["inputs"] = frame["inputs"].astype(np.int64)
    frame["severe"] = frame["severe"].astype(np.int64)
    bulk_insert(session.connection(), IndicatorRollup, frame)


def every_community_has_values(session: Session, window_end: datetime) -> bool:
    """Whether every community has its values for the day ending at ``window_end``."""
    with_values = session.execute(
        select(func.count(func.distinct(IndicatorValue.community_code))).where(
            IndicatorValue.window_end == window_end
        )
    ).scalar_one()
    communities = session.execute(select(func.count()).select_from(Community)).scalar_one()
    return bool(with_values) and with_values >= communities


def stored_value_days(session: Session) -> tuple[int, int] | None:
    """The first and the last local day with a stored value (``None``: none yet)."""
    row = session.execute(
        select(func.min(IndicatorValue.window_end), func.max(IndicatorValue.window_end))
    ).one()
    first, last = _as_datetime(row[0]), _as_datetime(row[1])
    if first is None or last is None:
        return None
    return day_number(first) - 1, day_number(last) - 1


def _as_datetime(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from what min() or max() over a UTCDateTime column return (SQLite
    may answer text or a naive value)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _clean(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 6)


def _end_key(window_end: datetime) -> int:
    """A stored row's end as microseconds since the epoch (the key :func:`upsert_values` matches
    the computed rows' ends by, computed for a whole column at once there)."""
    aware = window_end if window_end.tzinfo is not None else window_end.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)


_STORED_COLUMNS = (
    IndicatorValue.id,
    IndicatorValue.code,
    IndicatorValue.community_code,
    IndicatorValue.window_end,
    IndicatorValue.value,
    IndicatorValue.level,
    IndicatorValue.baseline,
    IndicatorValue.inputs,
    IndicatorValue.details,
    IndicatorValue.algorithm_version,
    IndicatorValue.revision,
)


def _stored(
    session: Session, ends: list[datetime], codes: list[str], wanted: set[tuple[str, str, int]]
) -> dict[tuple[str, str], dict[int | str, Any]]:
    """Per (code, community): the stored rows of ``ends`` by end (microseconds since the epoch),
    and under ``"before"`` the row of the last stored day before them (a series with a gap there
    has none: its next row is new). The rows before are read only if some of ``wanted`` (code,
    community, end) has no stored row yet: a run that rewrites stored days needs none."""
    found: dict[tuple[str, str], dict[int | str, Any]] = {}
    same = select(*_STORED_COLUMNS).where(IndicatorValue.window_end.in_(ends))
    if len(codes) < 500:
        same = same.where(IndicatorValue.community_code.in_(codes))
    for row in session.execute(same):
        found.setdefault((row.code, row.community_code), {})[_end_key(row.window_end)] = row
    new = {
        (code, community)
        for code, community, end in wanted
        if end not in found.get((code, community), {})
    }
    if not new:
        return found
    previous_end = _as_datetime(
        session.execute(
            select(func.max(IndicatorValue.window_end)).where(IndicatorValue.window_end < min(ends))
        ).scalar_one_or_none()
    )
    if previous_end is None:
        return found
    before = select(*_STORED_COLUMNS).where(IndicatorValue.window_end == previous_end)
    communities = sorted({community for _, community in new})
    if len(communities) < 500:
        before = before.where(IndicatorValue.community_code.in_(communities))
    for row in session.execute(before):
        found.setdefault((row.code, row.community_code), {})["before"] = row
    return found


def upsert_values(
    session: Session,
    *,
    values: pd.DataFrame,
    computed_at: datetime,
    order: Sequence[str] | None = None,
) -> dict[str, int]:
    """Insert new rows, update rows whose numbers changed, leave equal rows untouched.

    Revisions: a row whose value, level or details change gets a new one (from the
    ``indicator_revision`` counter), numbered community by community in ``order`` (default: by
    code), then by indicator and day; so shards stored one after another in that order number
    them as one computation would. A new row equal to the row of the day before keeps that row's
    revision, so a new day with the same numbers is nothing new to an alert.
    """
    if values.empty:
        return {"inserted": 0, "updated": 0, "unchanged": 0}
    ends = sorted({pd.Timestamp(e).to_pydatetime() for e in values["window_end"].unique()})
    end_keys = utc_ns(values["window_end"]) // 1000
    wanted = set(zip(values["code"], values["community_code"], end_keys.tolist(), strict=True))
    stored = _stored(session, ends, sorted(set(values["community_code"])), wanted)
    rank = {
        code: index for index, code in enumerate(order or sorted(set(values["community_code"])))
    }
    ordered = values.assign(
        _rank=[rank.get(c, len(rank)) for c in values["community_code"]]
    ).sort_values(["_rank", "community_code", "code", "window_end"], kind="stable")
    end_keys = utc_ns(ordered["window_end"]) // 1000
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged = 0
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    for code, community, start, end, end_key, value, level, baseline, inputs, details in zip(
        ordered["code"],
        ordered["community_code"],
        ordered["window_start"],
        ordered["window_end"],
        end_keys.tolist(),
        ordered["value"],
        ordered["level"],
        ordered["baseline"],
        ordered["inputs"],
        ordered["details"],
        strict=True,
    ):
        fields = {
            "value": _clean(value) or 0.0,
            "level": str(level),
            "baseline": _clean(baseline),
            "inputs": int(inputs),
            "details": details,  # plain Python values from the core: compared as they are
            "algorithm_version": ALGORITHM_VERSION,
        }
        key = (code, community)
        rows = stored.get(key, {})
        old = rows.get(end_key)
        before = previous.get(key)
        if before is None and rows.get("before") is not None:
            row = rows["before"]
            before = {name: getattr(row, name) for name in (*REVISED, "revision")}
        if old is None:
            same = before is not None and all(before[n] == fields[n] for n in REVISED)
            row = {
                "code": code,
                "community_code": community,
                "window_start": pd.Timestamp(start).to_pydatetime(),
                "window_end": pd.Timestamp(end).to_pydatetime(),
                "computed_at": computed_at,
                **fields,
                "revision": None,
            }
            if same and before is not None:
                row["follows"] = before  # its revision, once numbered
            inserts.append(row)
            previous[key] = row
        elif any(getattr(old, name) != item for name, item in fields.items()):
            revised = any(getattr(old, name) != fields[name] for name in REVISED)
            row = {"id": old.id, "computed_at": computed_at, **fields}
            row["revision"] = None if revised else old.revision
            updates.append(row)
            previous[key] = row
        else:
            unchanged += 1
            previous[key] = {name: getattr(old, name) for name in (*REVISED, "revision")}
    _number_revisions(session, [*inserts, *updates])
    if inserts:
        frame = pd.DataFrame(inserts)
        frame["details"] = [json.dumps(d, ensure_ascii=False) for d in frame["details"]]
        for column in ("window_start", "window_end", "computed_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        bulk_insert(session.connection(), IndicatorValue, frame)
    if updates:
        session.execute(update(IndicatorValue), updates)
    session.flush()
    return {"inserted": len(inserts), "updated": len(updates), "unchanged": unchanged}


def _number_revisions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each revised row a new revision, in order; a new row equal to the row before it in its
    series takes that row's revision (``rows`` hold each series in day order)."""
    fresh = [row for row in rows if row["revision"] is None and "follows" not in row]
    last = counters.advance(session, counters.INDICATOR_REVISION, len(fresh)) if fresh else 0
    for offset, row in enumerate(fresh):
        row["revision"] = last - len(fresh) + 1 + offset
    for row in rows:
        if "follows" in row:
            row["revision"] = row.pop("follows")["revision"]
