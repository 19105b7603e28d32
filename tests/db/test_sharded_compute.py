"""A computation in shards stores what the same computation in one shard stores: the same values,
levels, details and revisions, and the same rollups, on a full run and on the incremental run after
new rows (SQLite and PostgreSQL); shard sizes 1 and 4 over 9 communities (the planning itself is
tested with hypothesis in tests/core/test_shard_planning.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from ews.demo import DemoSizes, generate, load_demo
from ews.jobs.entry_points import compute_indicators
from ews.models import Community, FireHotspot, IndicatorRollup, IndicatorValue, Report
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import LIMA

SMALL = DemoSizes(communities=9, reports=500, hotspots=3_000, alerts=1_200)


def stored(db: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    db.expire_all()
    values = sorted(
        (
            r.code,
            r.community_code,
            r.window_end,
            r.window_start,
            r.value,
            r.level,
            r.baseline,
            r.inputs,
            repr(r.details),
            r.revision,
        )
        for r in db.execute(select(IndicatorValue)).scalars()
    )
    rollups = sorted(
        (
            r.code,
            r.community_code,
            r.day,
            round(r.core_value, 9),
            round(r.buffer_value, 9),
            r.inputs,
            r.severe,
        )
        for r in db.execute(select(IndicatorRollup)).scalars()
    )
    return values, rollups


def new_rows(db: Session, now: Any) -> None:
    """Rows arriving after the first run, observed today and two days ago, in several communities."""
    communities = db.execute(select(Community).order_by(Community.code)).scalars().all()
    for index, community in enumerate(communities[::2]):
        lon = (community.min_lon + community.max_lon) / 2
        lat = (community.min_lat + community.max_lat) / 2
        observed = now - timedelta(days=2 * (index % 2), minutes=5)
        db.add(
            Report(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"shard-test/{community.code}")),
                community_code=community.code,
                threat_type="illegal_logging",
                severity=3 + index % 3,
                observed_at=observed,
                received_at=now,
                reporter_pseudonym="p" * 64,
                content_hash=uuid.uuid4().hex * 2,
                longitude=lon,
                latitude=lat,
            )
        )
        db.add(
            FireHotspot(
                id=90_000_000 + index,  # the same ids in every run (a sequence is not rolled back)
                instrument="VIIRS",
                satellite="N20",
                acquired_at=observed,
                latitude=lat,
                longitude=lon,
                lat_e4=round(lat * 10_000) + 3,
                lon_e4=round(lon * 10_000) + 3,
                confidence="high",
            )
        )
    db.commit()


def run_twice(
    factory: sessionmaker[Session], app_settings: Settings, shard_size: int, now: datetime
) -> list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """A full run, new rows, an incremental run: what is stored after each."""
    shaped = app_settings.model_copy(update={"shard_size": shard_size})
    first = compute_indicators(settings=shaped, session_factory=factory, as_of=now)
    assert first["mode"] == "full"
    with factory() as db:
        after_full = stored(db)
        new_rows(db, now)
    second = compute_indicators(settings=shaped, session_factory=factory, as_of=now)
    assert second["mode"] == "incremental"
    assert second["updated"] + second["inserted"] > 0
    with factory() as db:
        return [after_full, stored(db)]


def test_shards_store_the_values_and_revisions_of_one_shard(
    connection: Connection,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    now = utcnow()
    with session_factory() as db:
        data = generate(now.astimezone(LIMA).date() - timedelta(days=1), SMALL)
        load_demo(db, data, now=now - timedelta(hours=1))
        db.commit()
    results = {}
    for size in (0, 1, 4):  # 0: the whole country in one shard; 9 communities
        savepoint = connection.begin_nested()  # each starts from the same rows, nothing computed
        try:
            results[size] = run_twice(session_factory, settings, size, now)
        finally:
            savepoint.rollback()
    one = results.pop(0)
    assert one[0][0], "the full run stored values"
    for size, sharded in results.items():
        for stage in range(2):
            for part in range(2):
                only_one = sorted(set(one[stage][part]) - set(sharded[stage][part]))
                only_sharded = sorted(set(sharded[stage][part]) - set(one[stage][part]))
                assert (only_one, only_sharded) == ([], []), (size, stage, part)


def test_a_planned_run_left_by_a_dead_process_is_finished_before_the_next_tick(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A scheduler planned a tick's run and died before computing a shard (no lease on a planned
    run: nobody else's to wait for). The next tick's run finishes it first, then runs its own:
    the earlier computation is done before the later one."""
    from ews import counters
    from ews.jobs import claims, run_job, shared_runs
    from ews.models import JobRun

    now = utcnow()
    with session_factory() as db:
        load_demo(db, generate(now.astimezone(LIMA).date() - timedelta(days=1), SMALL), now=now)
        db.commit()
    shaped = settings.model_copy(update={"shard_size": 4})
    earlier = now - timedelta(minutes=15)
    run_id = claims.claim(
        session_factory, job=shared_runs.JOB, tick=earlier, lease_seconds=shaped.shard_lease_seconds
    )
    assert run_id is not None
    planned = shared_runs._plan(session_factory, shaped, run_id=run_id, as_of=earlier)  # then dies
    outcome = run_job(
        "compute-indicators", settings=shaped, session_factory=session_factory, tick=now
    )
    assert outcome.status == "succeeded", outcome.error
    with session_factory() as db:
        rows = (
            db.execute(select(JobRun).where(JobRun.job == shared_runs.JOB).order_by(JobRun.tick))
            .scalars()
            .all()
        )
        assert [row.status for row in rows] == ["succeeded", "succeeded"]
        assert rows[0].finished_at <= rows[1].finished_at
        assert rows[0].summary["computation"] == planned.computation
        assert rows[0].summary["shards"] == 3  # 9 communities in shards of 4
        assert counters.read(db, counters.COMPUTATIONS_DONE) == outcome.summary["computation"]
        assert db.execute(select(IndicatorValue)).first() is not None


def test_a_failing_shard_fails_the_run_and_gives_its_pending_days_back(
    session_factory: sessionmaker[Session], settings: Settings, monkeypatch: Any
) -> None:
    from sqlalchemy import func

    from ews import counters
    from ews.jobs import run_job, shared_runs
    from ews.models import PendingWork

    now = utcnow()
    with session_factory() as db:
        load_demo(db, generate(now.astimezone(LIMA).date() - timedelta(days=1), SMALL), now=now)
        db.commit()
        pending = set(db.execute(select(PendingWork.day)).scalars())
    shaped = settings.model_copy(update={"shard_size": 4})
    real = shared_runs.compute_shard

    def broken(session: Session, work: Any, index: int) -> dict[str, Any]:
        if index == 1:
            raise RuntimeError("disk full")
        return real(session, work, index)

    monkeypatch.setattr(shared_runs, "compute_shard", broken)
    failed = run_job(
        "compute-indicators", settings=shaped, session_factory=session_factory, tick=now
    )
    assert failed.status == "failed"
    assert failed.error is not None and "disk full" in failed.error
    with session_factory() as db:
        assert set(db.execute(select(PendingWork.day)).scalars()) == pending
        assert counters.read(db, counters.COMPUTATIONS_DONE) == 0
    monkeypatch.setattr(shared_runs, "compute_shard", real)
    later = run_job(
        "compute-indicators",
        settings=shaped,
        session_factory=session_factory,
        tick=now + timedelta(minutes=15),
        as_of=now,
    )
    assert later.status == "succeeded", later.error
    with session_factory() as db:
        assert db.execute(select(func.count()).select_from(PendingWork)).scalar_one() == 0
        communities = db.execute(select(func.count()).select_from(Community)).scalar_one()
        with_values = db.execute(
            select(func.count(func.distinct(IndicatorValue.community_code)))
        ).scalar_one()
        assert with_values == communities
