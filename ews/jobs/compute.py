"""Indicator computation (the ``compute-indicators`` job calls it): load what a run needs, call the pure core, store the
``indicator_value`` rows (and the daily rollups behind them), all in one transaction that reads
one snapshot of the data.

What a run counts needs no clock: every insert, edit or delete of a report, patrol, hotspot or
deforestation alert leaves the local day it counts on in ``pending_work``, in its own transaction
(database triggers). A run consumes the pending days its snapshot sees and rebuilds their rollups
from every row of those days, so a row committed before the run is in it, once, however long its
own transaction took; one committed later waits, with its pending day, for the next run.

Two ways to the same numbers (one row per indicator, community and local day):

- full (the first run of each local day, after a rule change, or when a community has no value
  for the day): read every row of the lookback, rebuild every rollup, compute every community;
- incremental (the other runs of the day): rebuild the rollups of the pending days and recompute
  the communities whose rollups changed, from the first pending day (late data) to today.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from ews import counters
from ews.db import session_scope
from ews.jobs import indicator_store as store
from ews.jobs.frames import (
    Frames,
    load_communities,
    load_day_frames,
    load_frames,
    load_patrols,
    load_rules,
)
from indicators import LIMA, local_day_end, lookback_days
from indicators import planning as plan
from indicators.catalog import indicators_from_rollups
from indicators.days import day_number, day_start
from indicators.events import indicator_events
from indicators.rollups import daily_rollups
from indicators.rules import Rule
from indicators.zones import locate_points, locate_reports


def _events(frames: Frames, communities: pd.DataFrame, rules: dict[str, Rule]) -> pd.DataFrame:
    return indicator_events(
        reports=locate_reports(frames.reports, communities),
        fire_hotspots=locate_points(frames.fire_hotspots, communities),
        deforestation=locate_points(frames.deforestation, communities),
        communities=communities,
        rules=rules,
        patrols=frames.patrols,
    )


def _sizes(frames: Frames) -> dict[str, int]:
    return {
        "reports": len(frames.reports),
        "fire_hotspots": len(frames.fire_hotspots),
        "deforestation_alerts": len(frames.deforestation),
        "patrols": len(frames.patrols),
    }


def _late(days: list[int], as_of: datetime) -> list[str]:
    """The earlier local days recomputed besides ``as_of``'s (late or edited data), as dates."""
    today = day_number(as_of)
    return [day_start(d).astimezone(LIMA).date().isoformat() for d in days if d < today]


def _evidence_days(rules: dict[str, Rule]) -> int:
    return plan.longest_window(rules)


def compute_full(
    session: Session,
    *,
    as_of: datetime,
    days: list[int],
    computed_at: datetime,
    rules: dict[str, Rule] | None = None,
) -> dict[str, Any]:
    """Rebuild every rollup from the rows of the lookback and compute every community on each of
    ``days`` (local day numbers; today's at ``as_of``, the others at their end). Flushes."""
    rules = rules or load_rules(session)
    store.take_pending_days(session)  # a full rebuild counts every row: nothing stays pending
    communities = load_communities(session)
    moments = plan.moments(days, as_of)
    end = local_day_end(moments[-1])
    start = local_day_end(moments[0]) - timedelta(days=lookback_days(rules))
    frames = load_frames(
        session.connection(),
        reports_from=start,
        fire_hotspots_from=start,
        deforestation_from=start,
        end=end,
    )
    sizes = _sizes(frames)
    events = _events(frames, communities, rules)
    patrols = frames.patrols
    del frames  # the events (and the patrols' tracks) hold what is needed from here on
    rollups = daily_rollups(events)
    store.replace_rollups(session, rollups)
    store.record_rules_hash(session, plan.rules_hash(rules))
    horizon = day_number(moments[0]) - _evidence_days(rules)
    evidence = events[events["day"].to_numpy() >= horizon]
    values = indicators_from_rollups(
        rollups=rollups,
        communities=communities,
        rules=rules,
        as_of=moments,
        events=evidence,
        patrols=patrols,  # the lookback's: the coverage and its baseline
    )
    counts: dict[str, Any] = store.upsert_values(session, values=values, computed_at=computed_at)
    counts.update(
        mode="full", days=len(moments), communities=len(communities), rollups=len(rollups), **sizes
    )
    counts["late_days"] = _late(days, as_of)
    return counts


def compute_incremental(
    session: Session,
    *,
    as_of: datetime,
    pending: list[int],
    computed_at: datetime,
    rules: dict[str, Rule],
) -> dict[str, Any]:
    """Rebuild the rollups of the ``pending`` days from every row observed on them, and recompute
    the communities whose rollups changed, from the first of those days to today. Flushes."""
    today = day_number(as_of)
    rebuild = plan.rollup_days(pending, first_kept=plan.first_day_read(today, rules))
    counts: dict[str, Any] = {"mode": "incremental", "inserted": 0, "updated": 0, "unchanged": 0}
    counts.update(days=0, communities=0, rollups=0, reports=0, fire_hotspots=0)
    counts.update(deforestation_alerts=0, patrols=0, late_days=[])
    if not rebuild:
        return counts
    communities = load_communities(session)
    rows = load_day_frames(session.connection(), plan.day_spans(rebuild))
    counts.update(_sizes(rows))
    rebuilt = daily_rollups(_events(rows, communities, rules))
    rebuilt = rebuilt[rebuilt["day"].isin(rebuild)]
    scope = plan.changed_communities(store.load_rollups(session, days=rebuild), rebuilt)
    store.replace_rollups(session, rebuilt, days=rebuild)
    counts["rollups"] = len(rebuilt)
    if not scope:
        return counts
    days = plan.value_days(
        rebuild, today=today, stored=store.stored_value_days(session), rules=rules
    )
    moments = plan.moments(days, as_of)
    scoped = communities[communities["code"].isin(scope)].reset_index(drop=True)
    rollups = store.load_rollups(
        session, first_day=plan.first_day_read(days[0], rules), communities=scope
    )
    first_end = local_day_end(moments[0])
    window = {code: rule.window_days or 1 for code, rule in rules.items()}
    recent = load_frames(
        session.connection(),
        reports_from=first_end - timedelta(days=_evidence_days(rules) + 1),
        fire_hotspots_from=first_end - timedelta(days=window.get("fire_hotspots", 1)),
        deforestation_from=first_end - timedelta(days=window.get("deforestation_ha", 1)),
        end=local_day_end(moments[-1]),
        communities=scope,
    )
    values = indicators_from_rollups(
        rollups=rollups,
        communities=scoped,
        rules=rules,
        as_of=moments,
        events=_events(recent, scoped, rules),
        patrols=load_patrols(  # the lookback's: the coverage and its baseline
            session.connection(),
            start=first_end - timedelta(days=lookback_days(rules)),
            end=local_day_end(moments[-1]),
            communities=scope,
        ),
    )
    counts.update(store.upsert_values(session, values=values, computed_at=computed_at))
    counts.update(days=len(moments), communities=len(scoped), late_days=_late(days, as_of))
    return counts


def compute(
    session: Session, *, as_of: datetime, computation: int, computed_at: datetime
) -> dict[str, Any]:
    """One computation in ``session``'s transaction (which the caller commits): consume the
    pending days, rebuild what they touch (or everything), store the values, and record
    ``computation`` as done."""
    # Serializes computations: the second waits here for the first's commit (and PostgreSQL then
    # refuses its older snapshot, so it runs again from a new one; see ews.db.in_snapshot).
    counters.read(session, counters.COMPUTATIONS_DONE, for_update=True)
    rules = load_rules(session)
    digest = plan.rules_hash(rules)
    pending = store.take_pending_days(session)
    today = day_number(as_of)
    if store.rules_hash_of_rollups(session) == digest and store.every_community_has_values(
        session, local_day_end(as_of)
    ):
        summary = compute_incremental(
            session, as_of=as_of, pending=pending, computed_at=computed_at, rules=rules
        )
    else:
        days = plan.value_days(
            pending, today=today, stored=store.stored_value_days(session), rules=rules
        )
        summary = compute_full(
            session, as_of=as_of, days=days, computed_at=computed_at, rules=rules
        )
    counters.raise_to(session, counters.COMPUTATIONS_DONE, computation)
    summary["pending_days"] = len(pending)
    summary["rules_hash"] = digest
    summary["computation"] = computation
    return summary


def start_computation(session_factory: sessionmaker[Session]) -> int:
    """Number a new computation, committed before it takes its snapshot: a report committed before
    this is counted by it (the fast path's hold relies on this)."""
    with session_scope(session_factory) as session:
        return counters.advance(session, counters.COMPUTATIONS_STARTED)
