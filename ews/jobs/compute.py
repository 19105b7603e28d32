"""The ``compute-indicators`` job: load the frames a run needs, call the pure catalog, upsert the
``indicator_value`` rows, all in one transaction.

One row per indicator, community and local day (Lima): a rerun the same day updates that row, and a
rerun that finds the same numbers writes nothing. Late data: rows received since the last successful
run but observed on an earlier day make the run recompute every day from that one to today (at most
the longest window back), so the windows they fall in change.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ews.db import session_scope
from ews.jobs.claims import last_success_started
from ews.jobs.frames import load_communities, load_frames, load_rules
from ews.models import DeforestationAlert, FireHotspot, IndicatorValue, Report
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import ALGORITHM_VERSION, LIMA, compute_all, local_day_end, lookback_days
from indicators.rules import Rule
from indicators.zones import locate_points, locate_reports

JOB_NAME = "compute-indicators"


def day_as_of(day: date) -> datetime:
    """The last instant of a local day: the value of that day as if computed at its end."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LIMA) - timedelta(
        microseconds=1
    )


def local_day(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def late_days(
    session: Session, *, as_of: datetime, since: datetime | None, rules: dict[str, Rule]
) -> list[date]:
    """Earlier local days whose windows hold rows received after ``since`` (oldest first)."""
    if since is None:
        return []
    today = local_day(as_of)
    today_start = local_day_end(as_of) - timedelta(days=1)
    earliest = [
        session.execute(
            select(func.min(Report.observed_at)).where(
                Report.received_at > since, Report.observed_at < today_start
            )
        ).scalar_one_or_none(),
        session.execute(
            select(func.min(FireHotspot.acquired_at)).where(
                FireHotspot.ingested_at > since, FireHotspot.acquired_at < today_start
            )
        ).scalar_one_or_none(),
    ]
    days = [local_day(moment) for moment in earliest if moment is not None]
    alert_day = session.execute(
        select(func.min(DeforestationAlert.alert_date)).where(
            DeforestationAlert.ingested_at > since, DeforestationAlert.alert_date < today
        )
    ).scalar_one_or_none()
    if alert_day is not None:
        days.append(alert_day)
    if not days:
        return []
    longest = max((r.window_days or 1) for r in rules.values())
    first = max(min(days), today - timedelta(days=longest))
    return [first + timedelta(days=n) for n in range((today - first).days)]


def compute_days(
    session: Session, *, days: Iterable[date], as_of: datetime, computed_at: datetime
) -> dict[str, int]:
    """Compute and upsert every indicator for every community on each local day (the last one at
    ``as_of``, earlier ones at their end). Flushes; the caller commits."""
    rules = load_rules(session)
    communities = load_communities(session)
    moments = sorted({day_as_of(d) for d in days if d < local_day(as_of)} | {as_of})
    start = local_day_end(moments[0]) - timedelta(days=lookback_days(rules))
    end = local_day_end(moments[-1])
    frames = load_frames(session.connection(), start, end)
    reports = locate_reports(frames.reports, communities)
    hotspots = locate_points(frames.hotspots, communities)
    deforestation = locate_points(frames.deforestation, communities)
    values = pd.concat(
        [
            compute_all(
                reports=reports,
                hotspots=hotspots,
                deforestation=deforestation,
                communities=communities,
                rules=rules,
                as_of=moment,
            )
            for moment in moments
        ],
        ignore_index=True,
    )
    counts = upsert_values(session, values=values, computed_at=computed_at)
    counts.update(
        days=len(moments),
        communities=len(communities),
        reports=len(frames.reports),
        fire_hotspots=len(frames.hotspots),
        deforestation_alerts=len(frames.deforestation),
    )
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
    existing: dict[tuple[str, str, str], Any] = {}
    for row in session.execute(
        select(
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
    ):
        existing[_key(row.code, row.community_code, row.window_end)] = row
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
            "details": json.loads(json.dumps(details)),
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
        session.execute(insert(IndicatorValue), inserts)
    if updates:
        session.execute(update(IndicatorValue), updates)
    session.flush()
    return {"inserted": len(inserts), "updated": len(updates), "unchanged": unchanged}


def compute_indicators(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Job: every indicator for every community as of ``as_of`` (plus earlier days late data
    touched), in one transaction. Answers counts of rows inserted, updated and unchanged."""
    computed_at = utcnow()
    with session_scope(session_factory) as session:
        rules = load_rules(session)
        since = last_success_started(session, (JOB_NAME, "pipeline"))
        days = late_days(session, as_of=as_of, since=since, rules=rules)
        summary: dict[str, Any] = compute_days(
            session, days=[*days, local_day(as_of)], as_of=as_of, computed_at=computed_at
        )
    summary["as_of"] = as_of.isoformat()
    summary["late_days"] = [d.isoformat() for d in days]
    return summary
