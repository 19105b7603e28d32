"""The ``compute-indicators`` job: load what a run needs, call the pure core, store the
``indicator_value`` rows (and the daily rollups behind them), all in one transaction.

One row per indicator, community and local day (Lima): a rerun the same day updates that row, and a
rerun that finds the same numbers writes nothing.

Two ways to the same numbers:

- full (the first run of each local day, after a rule change, or with no stored rollups): read every
  row of the lookback (the longest window plus a year of baselines), place the points, rebuild the
  daily rollups (``indicator_rollup``) and compute every community;
- incremental (the other runs of the day): read only the rows received after the rollups'
  watermark (``indicator_rollup_state``), add their rollups to the stored ones, and recompute the
  communities they touch, from the day the oldest of them was observed (late data) to today.

Runs are serialized (PostgreSQL advisory lock; SQLite has one writer), and rows younger than
``settings.compute_settle_seconds`` wait for the next run, so each row enters the rollups once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select, type_coerce, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import NullType

from ews.bulk import bulk_insert
from ews.db import session_scope
from ews.jobs.frames import Frames, load_communities, load_frames, load_rules, read_frame
from ews.models import Community, IndicatorRollup, IndicatorRollupState, IndicatorValue
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import ALGORITHM_VERSION, LIMA, local_day_end, lookback_days
from indicators.events import indicator_events, local_day_number
from indicators.rollups import ROLLUP_COLUMNS, daily_rollups, indicators_from_rollups, merge_rollups
from indicators.rules import Rule
from indicators.zones import locate_points, locate_reports

JOB_NAME = "compute-indicators"
STATE = "rollups"
ROLLUP_LOCK = 4_101_004  # any constant, the same in every process
EPOCH_DAY = date(1970, 1, 1)


def day_as_of(day: date) -> datetime:
    """The last instant of a local day: the value of that day as if computed at its end."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LIMA) - timedelta(
        microseconds=1
    )


def local_day(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def _day(number: int) -> date:
    return EPOCH_DAY + timedelta(days=int(number))


def rules_hash(rules: dict[str, Rule]) -> str:
    """What the rollups depend on: each rule's window and parameters, and the algorithm."""
    spec = {c: [r.window_days, dict(r.params)] for c, r in sorted(rules.items())}
    raw = json.dumps([ALGORITHM_VERSION, spec], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _located(
    frames: Frames, communities: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return (
        locate_reports(frames.reports, communities),
        locate_points(frames.hotspots, communities),
        locate_points(frames.deforestation, communities),
    )


def _events(frames: Frames, communities: pd.DataFrame, rules: dict[str, Rule]) -> pd.DataFrame:
    reports, hotspots, deforestation = _located(frames, communities)
    return indicator_events(
        reports=reports,
        hotspots=hotspots,
        deforestation=deforestation,
        communities=communities,
        rules=rules,
    )


def load_rollups(
    session: Session, *, first_day: int, communities: Sequence[str] | None = None
) -> pd.DataFrame:
    table = IndicatorRollup.__table__
    query = select(*(type_coerce(table.c[c], NullType()).label(c) for c in ROLLUP_COLUMNS)).where(
        IndicatorRollup.day >= first_day
    )
    if communities is not None:
        query = query.where(IndicatorRollup.community_code.in_(list(communities)))
    frame = read_frame(session.connection(), query, ROLLUP_COLUMNS)
    for column in ("core_value", "buffer_value"):
        frame[column] = frame[column].astype(float)
    for column in ("day", "inputs", "severe"):
        frame[column] = frame[column].astype(np.int64)
    return frame


def store_rollups(
    session: Session, rollups: pd.DataFrame, *, days: Sequence[int] | None = None
) -> None:
    """Replace the stored rollups (of ``days`` only, if given) with ``rollups``."""
    statement = delete(IndicatorRollup)
    if days is not None:
        statement = statement.where(IndicatorRollup.day.in_([int(d) for d in days]))
    session.execute(statement)
    frame = rollups[ROLLUP_COLUMNS].copy()
    frame["inputs"] = frame["inputs"].astype(np.int64)
    frame["severe"] = frame["severe"].astype(np.int64)
    bulk_insert(session.connection(), IndicatorRollup, frame)


def _lock(session: Session) -> IndicatorRollupState | None:
    """Serialize compute runs (PostgreSQL: a transaction advisory lock; SQLite: the transaction is
    already the one writer) and read what the stored rollups hold."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(ROLLUP_LOCK)))
    return session.get(IndicatorRollupState, STATE, populate_existing=True)


def _record_state(session: Session, *, digest: str, watermark: datetime) -> None:
    state = session.get(IndicatorRollupState, STATE)
    if state is None:
        session.add(
            IndicatorRollupState(
                name=STATE, rules_hash=digest, watermark=watermark, updated_at=utcnow()
            )
        )
    else:
        state.rules_hash, state.watermark, state.updated_at = digest, watermark, utcnow()
    session.flush()


def _computed_today(session: Session, as_of: datetime) -> bool:
    """Whether every community already has its values for ``as_of``'s local day (a community
    added since the day's first run makes the next run a full one)."""
    with_values = session.execute(
        select(func.count(func.distinct(IndicatorValue.community_code))).where(
            IndicatorValue.window_end == local_day_end(as_of)
        )
    ).scalar_one()
    return (
        bool(with_values)
        and with_values >= session.execute(select(func.count()).select_from(Community)).scalar_one()
    )


def _evidence_days(rules: dict[str, Rule]) -> int:
    return max((r.window_days or 1) for r in rules.values())


def _moments(days: Sequence[date], as_of: datetime) -> list[datetime]:
    return sorted({day_as_of(d) for d in days if d < local_day(as_of)} | {as_of})


def compute_full(
    session: Session,
    *,
    as_of: datetime,
    days: Sequence[date],
    computed_at: datetime,
    rules: dict[str, Rule] | None = None,
    received_until: datetime | None = None,
) -> dict[str, Any]:
    """Rebuild every rollup from the rows of the lookback (received up to ``received_until``) and
    compute every community on each of ``days`` (earlier ones at their end, today's at ``as_of``).
    Flushes; the caller commits."""
    rules = rules or load_rules(session)
    communities = load_communities(session)
    moments = _moments(days, as_of)
    end = local_day_end(moments[-1])
    start = local_day_end(moments[0]) - timedelta(days=lookback_days(rules))
    frames = load_frames(
        session.connection(),
        reports_from=start,
        hotspots_from=start,
        alerts_from=start,
        end=end,
        received_until=received_until,
    )
    events = _events(frames, communities, rules)
    sizes = {
        "reports": len(frames.reports),
        "fire_hotspots": len(frames.hotspots),
        "deforestation_alerts": len(frames.deforestation),
    }
    del frames  # the events hold what is needed from here on
    rollups = daily_rollups(events)
    store_rollups(session, rollups)
    _record_state(session, digest=rules_hash(rules), watermark=received_until or computed_at)
    horizon = int(local_day_number(pd.Timestamp(moments[0]).value)) - _evidence_days(rules)
    evidence = events[events["day"].to_numpy() >= horizon]
    values = indicators_from_rollups(
        rollups=rollups, communities=communities, rules=rules, as_of=moments, events=evidence
    )
    counts: dict[str, Any] = upsert_values(session, values=values, computed_at=computed_at)
    counts.update(
        mode="full",
        days=len(moments),
        communities=len(communities),
        rollups=len(rollups),
        **sizes,
    )
    return counts


def compute_incremental(
    session: Session,
    *,
    as_of: datetime,
    since: datetime,
    until: datetime,
    computed_at: datetime,
    rules: dict[str, Rule],
) -> dict[str, Any]:
    """Add the rollups of rows received in ``(since, until]`` and recompute the communities they
    touch, from the oldest day they were observed on to today. Flushes; the caller commits."""
    communities = load_communities(session)
    end = local_day_end(as_of)
    start = end - timedelta(days=lookback_days(rules))
    new = load_frames(
        session.connection(),
        reports_from=start,
        hotspots_from=start,
        alerts_from=start,
        end=end,
        received_after=since,
        received_until=until,
    )
    delta = daily_rollups(_events(new, communities, rules))
    counts: dict[str, Any] = {
        "mode": "incremental",
        "reports": len(new.reports),
        "fire_hotspots": len(new.hotspots),
        "deforestation_alerts": len(new.deforestation),
        "rollups": len(delta),
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "days": 0,
        "communities": 0,
    }
    if delta.empty:
        _record_state(session, digest=rules_hash(rules), watermark=until)
        counts["late_days"] = []
        return counts
    touched_days = sorted(int(d) for d in delta["day"].unique())
    stored = load_rollups(session, first_day=touched_days[0])
    stored = stored[stored["day"].isin(touched_days)]
    store_rollups(session, merge_rollups(stored, delta), days=touched_days)
    _record_state(session, digest=rules_hash(rules), watermark=until)
    today = local_day(as_of)
    longest = max((r.window_days or 1) for r in rules.values())
    first = max(_day(touched_days[0]), today - timedelta(days=longest))
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    moments = _moments(days, as_of)
    scope = sorted(set(delta["community_code"]))
    scoped = communities[communities["code"].isin(scope)].reset_index(drop=True)
    first_day = int(local_day_number(pd.Timestamp(moments[0]).value)) - lookback_days(rules)
    rollups = load_rollups(session, first_day=first_day, communities=scope)
    evidence_from = local_day_end(moments[0]) - timedelta(days=_evidence_days(rules) + 1)
    window = {code: rule.window_days or 1 for code, rule in rules.items()}
    recent = load_frames(
        session.connection(),
        reports_from=evidence_from,
        hotspots_from=local_day_end(moments[0]) - timedelta(days=window.get("fire_hotspots", 1)),
        alerts_from=local_day_end(moments[0]) - timedelta(days=window.get("deforestation_ha", 1)),
        end=end,
        communities=scope,
    )
    evidence = _events(recent, scoped, rules)
    values = indicators_from_rollups(
        rollups=rollups, communities=scoped, rules=rules, as_of=moments, events=evidence
    )
    counts.update(upsert_values(session, values=values, computed_at=computed_at))
    counts.update(days=len(moments), communities=len(scoped))
    counts["late_days"] = [d.isoformat() for d in days if d < today]
    return counts


def _clean(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 6)


def _key(code: str, community: str, window_end: datetime) -> tuple[str, str, str]:
    return code, community, pd.Timestamp(window_end).tz_convert("UTC").isoformat()


def upsert_values(
    session: Session, *, values: pd.DataFrame, computed_at: datetime
) -> dict[str, int]:
    """Insert new rows, update rows whose numbers changed, leave equal rows untouched."""
    if values.empty:
        return {"inserted": 0, "updated": 0, "unchanged": 0}
    ends = sorted({pd.Timestamp(e).to_pydatetime() for e in values["window_end"].unique()})
    codes = sorted(set(values["community_code"]))
    query = select(
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
    ).where(IndicatorValue.window_end.in_(ends))
    if len(codes) < 500:
        query = query.where(IndicatorValue.community_code.in_(codes))
    existing: dict[tuple[str, str, str], Any] = {
        _key(row.code, row.community_code, row.window_end): row for row in session.execute(query)
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    unchanged = 0
    for code, community, start, end, value, level, baseline, inputs, details in zip(
        values["code"],
        values["community_code"],
        values["window_start"],
        values["window_end"],
        values["value"],
        values["level"],
        values["baseline"],
        values["inputs"],
        values["details"],
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
        old = existing.get(_key(code, community, end))
        if old is None:
            inserts.append(
                {
                    "code": code,
                    "community_code": community,
                    "window_start": pd.Timestamp(start).to_pydatetime(),
                    "window_end": pd.Timestamp(end).to_pydatetime(),
                    "computed_at": computed_at,
                    **fields,
                }
            )
        elif any(getattr(old, name) != item for name, item in fields.items()):
            updates.append({"id": old.id, "computed_at": computed_at, **fields})
        else:
            unchanged += 1
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


def late_days(
    session: Session,
    *,
    as_of: datetime,
    since: datetime | None,
    until: datetime,
    rules: dict[str, Rule],
) -> list[date]:
    """Earlier local days (oldest first, at most the longest window back) whose windows hold rows
    received after ``since``: what a full run recomputes besides today."""
    if since is None:
        return []
    end = local_day_end(as_of)
    new = load_frames(
        session.connection(),
        reports_from=end - timedelta(days=lookback_days(rules)),
        hotspots_from=end - timedelta(days=lookback_days(rules)),
        alerts_from=end - timedelta(days=lookback_days(rules)),
        end=end,
        received_after=since,
        received_until=until,
    )
    days = [
        *(local_day(t) for t in new.reports["observed_at"].nsmallest(1)),
        *(local_day(t) for t in new.hotspots["acquired_at"].nsmallest(1)),
        *(d.date() for d in new.deforestation["alert_date"].nsmallest(1)),
    ]
    today = local_day(as_of)
    earlier = [d for d in days if d < today]
    if not earlier:
        return []
    longest = max((r.window_days or 1) for r in rules.values())
    first = max(min(earlier), today - timedelta(days=longest))
    return [first + timedelta(days=n) for n in range((today - first).days)]


def compute_indicators(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Job: every indicator for every community as of ``as_of`` (plus the earlier days late data
    touched), in one transaction. Answers the mode and counts of rows inserted, updated, unchanged."""
    computed_at = utcnow()
    watermark = computed_at - timedelta(seconds=settings.compute_settle_seconds)
    with session_scope(session_factory) as session:
        state = _lock(session)
        rules = load_rules(session)
        digest = rules_hash(rules)
        since = state.watermark if state else None
        if (
            state is not None
            and state.rules_hash == digest
            and state.watermark <= watermark
            and _computed_today(session, as_of)
        ):
            summary = compute_incremental(
                session,
                as_of=as_of,
                since=state.watermark,
                until=watermark,
                computed_at=computed_at,
                rules=rules,
            )
        else:
            days = late_days(session, as_of=as_of, since=since, until=watermark, rules=rules)
            summary = compute_full(
                session,
                as_of=as_of,
                days=[*days, local_day(as_of)],
                computed_at=computed_at,
                rules=rules,
                received_until=watermark,
            )
            summary["late_days"] = [d.isoformat() for d in days]
    summary["as_of"] = as_of.isoformat()
    summary["rules_hash"] = digest
    summary["watermark"] = watermark.isoformat()
    return summary
