"""Indicator computation (the ``compute-indicators`` job calls it): load what a run needs, call the pure core, store the
``indicator_value`` rows (and the daily rollups behind them), all in one transaction that reads
one snapshot of the data.

What a run counts needs no clock: every insert, edit or delete of a report, patrol, hotspot or
deforestation alert leaves the local day it counts on in ``pending_work``, in its own transaction
(database triggers). A run consumes the pending days its snapshot sees and rebuilds their rollups
from every row of those days, so a row committed before the run is in it, once, however long its
own transaction took; one committed later waits, with its pending day, for the next run.

A computation runs in community shards (:func:`plan_computation`, then :func:`compute_shard` for
each, then :func:`finish_computation`): the plan consumes the pending days and decides the mode and
the days in one transaction; each shard reads, in its own transaction, only its communities'
reports and patrols and the satellite points inside its area, rebuilds their rollups and stores
their values, and frees its frames before the next; the finish records the computation as done
once every shard has committed. A shard's snapshot may be later than the plan's: a row committed in
between is counted by it and stays pending for the next computation too (rollups are rebuilt from
rows, so counting a day again never counts a row twice). Revisions are numbered in the plan's
community order, so sharded and unsharded computations store the same values and revisions.

Two ways to the same numbers (one row per indicator, community and local day):

- full (the first run of each local day, after a rule change, or when a community has no value
  for the day): read every row of the lookback, rebuild every rollup, compute every community;
- incremental (the other runs of the day): rebuild the rollups of the pending days and recompute
  the communities whose rollups changed, from the first pending day (late data) to today.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from ews import counters
from ews.db import session_scope
from ews.jobs import indicator_store as store
from ews.jobs.frames import (
    Area,
    Frames,
    load_communities,
    load_day_frames,
    load_frames,
    load_patrols,
    load_rules,
)
from ews.models import IndicatorRollup, PendingWork
from indicators import LIMA, local_day_end, lookback_days
from indicators import planning as plan
from indicators.catalog import indicators_from_rollups
from indicators.days import day_number, day_start
from indicators.events import indicator_events
from indicators.rollups import daily_rollups
from indicators.rules import Rule
from indicators.zones import _geometry, locate_points, locate_reports


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


FULL = "full"
INCREMENTAL = "incremental"
SUMMED = (
    "inserted",
    "updated",
    "unchanged",
    "communities",
    "rollups",
    "reports",
    "fire_hotspots",
    "deforestation_alerts",
    "patrols",
)


@dataclass
class Plan:
    """What one computation does, decided in one transaction (JSON-able: the scheduler processes
    that share a run read it from the run's ``job_run`` row)."""

    computation: int
    as_of: datetime
    computed_at: datetime
    mode: str  # full | incremental
    days: list[int]  # the local days whose values are computed
    rebuild: list[int]  # incremental: the days whose rollups are rebuilt
    pending: list[int]  # the pending days consumed (given back if the computation fails)
    rules_hash: str
    shards: list[list[str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"], data["computed_at"] = self.as_of.isoformat(), self.computed_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        values = dict(data)
        values["as_of"] = datetime.fromisoformat(values["as_of"])
        values["computed_at"] = datetime.fromisoformat(values["computed_at"])
        return cls(**values)

    @property
    def order(self) -> list[str]:
        return [code for shard in self.shards for code in shard]


def _longitude(geometry: Any) -> float:
    shape = _geometry(geometry)
    if shape is None or shape.is_empty:
        return math.inf
    west, _, east, _ = shapely.bounds(shape)
    return float(west + east) / 2


def _shards(session: Session, size: int | None) -> list[list[str]]:
    communities = load_communities(session)
    return plan.shards(
        list(communities["code"]), [_longitude(g) for g in communities["boundary"]], size or 0
    )


def _area(communities: pd.DataFrame) -> Area | None:
    """The box around the shard's territories and rings (a hair wider: points on an edge count)."""
    shapes = [
        _geometry(g)
        for column in ("boundary", "buffer")
        if column in communities
        for g in communities[column]
    ]
    bounds = [shapely.bounds(s) for s in shapes if s is not None and not s.is_empty]
    if not bounds:
        return None
    pad = 1e-9
    return (
        min(b[0] for b in bounds) - pad,
        min(b[1] for b in bounds) - pad,
        max(b[2] for b in bounds) + pad,
        max(b[3] for b in bounds) + pad,
    )


def plan_computation(
    session: Session,
    *,
    as_of: datetime,
    computation: int,
    computed_at: datetime,
    shard_size: int | None = None,
) -> Plan:
    """Consume the pending days this transaction sees and decide the mode, the days and the shards
    (``shard_size`` communities each; ``None``: one shard). Flushes."""
    # Serializes plans: the second waits here for the first's commit (and PostgreSQL then refuses
    # its older snapshot, so it runs again from a new one; see ews.db.in_snapshot).
    counters.read(session, counters.COMPUTATIONS_DONE, for_update=True)
    rules = load_rules(session)
    digest = plan.rules_hash(rules)
    pending = store.take_pending_days(session)
    today = day_number(as_of)
    stored = store.stored_value_days(session)
    if store.rules_hash_of_rollups(session) == digest and store.every_community_has_values(
        session, local_day_end(as_of)
    ):
        mode = INCREMENTAL
        rebuild = plan.rollup_days(pending, first_kept=plan.first_day_read(today, rules))
        days = plan.value_days(rebuild, today=today, stored=stored, rules=rules) if rebuild else []
    else:
        mode, rebuild = FULL, []
        days = plan.value_days(pending, today=today, stored=stored, rules=rules)
    return Plan(
        computation=computation,
        as_of=as_of,
        computed_at=computed_at,
        mode=mode,
        days=days,
        rebuild=rebuild,
        pending=pending,
        rules_hash=digest,
        shards=_shards(session, shard_size) if days else [],
    )


def compute_shard(session: Session, work: Plan, index: int) -> dict[str, Any]:
    """Compute shard ``index`` of ``work`` in ``session``'s transaction. Flushes."""
    codes = work.shards[index]
    rules = load_rules(session)
    communities = load_communities(session, codes)
    codes = list(communities["code"])  # a community removed since the plan has nothing to compute
    if not codes:
        return {"mode": work.mode}
    area = _area(communities)
    if work.mode == FULL:
        return _full_shard(session, work, communities, area, rules)
    return _incremental_shard(session, work, communities, area, rules)


def _full_shard(
    session: Session,
    work: Plan,
    communities: pd.DataFrame,
    area: Area | None,
    rules: dict[str, Rule],
) -> dict[str, Any]:
    codes = list(communities["code"])
    moments = plan.moments(work.days, work.as_of)
    end = local_day_end(moments[-1])
    start = local_day_end(moments[0]) - timedelta(days=lookback_days(rules))
    frames = load_frames(
        session.connection(),
        reports_from=start,
        fire_hotspots_from=start,
        deforestation_from=start,
        end=end,
        communities=codes,
        area=area,
    )
    sizes = _sizes(frames)
    events = _events(frames, communities, rules)
    patrols = frames.patrols
    del frames  # the events (and the patrols' tracks) hold what is needed from here on
    rollups = daily_rollups(events)
    store.replace_rollups(session, rollups, communities=codes)
    horizon = day_number(moments[0]) - _evidence_days(rules)
    evidence = events[events["day"].to_numpy() >= horizon]
    del events
    values = indicators_from_rollups(
        rollups=rollups,
        communities=communities,
        rules=rules,
        as_of=moments,
        events=evidence,
        patrols=patrols,  # the lookback's: the coverage and its baseline
    )
    counts: dict[str, Any] = store.upsert_values(
        session, values=values, computed_at=work.computed_at, order=work.order
    )
    counts.update(mode=FULL, communities=len(communities), rollups=len(rollups), **sizes)
    return counts


def _incremental_shard(
    session: Session,
    work: Plan,
    communities: pd.DataFrame,
    area: Area | None,
    rules: dict[str, Rule],
) -> dict[str, Any]:
    codes = list(communities["code"])
    rebuild = work.rebuild
    rows = load_day_frames(
        session.connection(), plan.day_spans(rebuild), communities=codes, area=area
    )
    counts: dict[str, Any] = {"mode": INCREMENTAL, **_sizes(rows)}
    rebuilt = daily_rollups(_events(rows, communities, rules))
    del rows
    rebuilt = rebuilt[rebuilt["day"].isin(rebuild)]
    scope = plan.changed_communities(
        store.load_rollups(session, days=rebuild, communities=codes), rebuilt
    )
    store.replace_rollups(session, rebuilt, days=rebuild, communities=codes)
    counts["rollups"] = len(rebuilt)
    if not scope:
        return counts
    moments = plan.moments(work.days, work.as_of)
    scoped = communities[communities["code"].isin(scope)].reset_index(drop=True)
    rollups = store.load_rollups(
        session, first_day=plan.first_day_read(work.days[0], rules), communities=scope
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
        area=_area(scoped),
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
    counts.update(
        store.upsert_values(session, values=values, computed_at=work.computed_at, order=work.order)
    )
    counts["communities"] = len(scoped)
    return counts


def finish_computation(session: Session, work: Plan, *, failed: bool = False) -> None:
    """Once every shard has committed: record the computation as done (a full one: the rules its
    rollups were built with, and no rollups of communities gone). A failed one gives its pending
    days back, so the next computation does them. Flushes."""
    if failed:
        if work.pending:
            session.execute(
                insert(PendingWork), [{"day": day, "source": "retry"} for day in work.pending]
            )
        return
    if work.mode == FULL and work.days:
        store.record_rules_hash(session, work.rules_hash)
        session.execute(
            delete(IndicatorRollup).where(IndicatorRollup.community_code.not_in(work.order))
        )
    counters.raise_to(session, counters.COMPUTATIONS_DONE, work.computation)


def summarize(work: Plan, parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The computation's summary: the shards' counts added up."""
    summary: dict[str, Any] = {"mode": work.mode}
    for name in SUMMED:
        summary[name] = sum(int(part.get(name, 0)) for part in parts)
    computed = work.days if any(part.get("communities") for part in parts) else []
    summary.update(
        days=len(computed),
        late_days=_late(computed, work.as_of),
        shards=len(work.shards),
        pending_days=len(work.pending),
        rules_hash=work.rules_hash,
        computation=work.computation,
    )
    return summary


def compute(
    session: Session,
    *,
    as_of: datetime,
    computation: int,
    computed_at: datetime,
    shard_size: int | None = None,
) -> dict[str, Any]:
    """One whole computation in ``session``'s transaction (which the caller commits): plan, every
    shard, finish."""
    work = plan_computation(
        session,
        as_of=as_of,
        computation=computation,
        computed_at=computed_at,
        shard_size=shard_size,
    )
    parts = [compute_shard(session, work, index) for index in range(len(work.shards))]
    finish_computation(session, work)
    return summarize(work, parts)


def compute_full(
    session: Session,
    *,
    as_of: datetime,
    days: list[int],
    computed_at: datetime,
    rules: dict[str, Rule] | None = None,
) -> dict[str, Any]:
    """Rebuild every rollup from the rows of the lookback and compute every community on each of
    ``days`` (local day numbers; today's at ``as_of``, the others at their end), in one shard.
    Flushes."""
    rules = rules or load_rules(session)
    work = Plan(
        computation=0,
        as_of=as_of,
        computed_at=computed_at,
        mode=FULL,
        days=days,
        rebuild=[],
        pending=store.take_pending_days(session),  # a full rebuild counts every row
        rules_hash=plan.rules_hash(rules),
        shards=_shards(session, None),
    )
    parts = [compute_shard(session, work, index) for index in range(len(work.shards))]
    store.record_rules_hash(session, work.rules_hash)
    summary = summarize(work, parts)
    summary["days"] = len(days)
    return summary


def start_computation(session_factory: sessionmaker[Session]) -> int:
    """Number a new computation, committed before it takes its snapshot: a report committed before
    this is counted by it (the fast path's hold relies on this)."""
    with session_scope(session_factory) as session:
        return counters.advance(session, counters.COMPUTATIONS_STARTED)
