"""The compute-indicators job and the job runner, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ews.jobs import JOBS, run_job
from ews.jobs.compute import compute_full
from ews.models import DeforestationAlert, FireHotspot, IndicatorValue, JobRun, Report
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import ALGORITHM_VERSION, CATALOG
from indicators.days import day_number

COMMUNITY = "flor-de-ucayali"
INSIDE = (-74.08, -8.33)


def add_report(
    db: Session,
    threat: str,
    observed_at: datetime,
    severity: int = 3,
    received_at: datetime | None = None,
) -> str:
    rid = str(uuid.uuid4())
    db.add(
        Report(
            id=rid,
            community_code=COMMUNITY,
            threat_type=threat,
            severity=severity,
            observed_at=observed_at,
            received_at=received_at or utcnow(),
            reporter_pseudonym="p" * 64,
            content_hash=uuid.uuid4().hex * 2,
            longitude=INSIDE[0],
            latitude=INSIDE[1],
        )
    )
    db.commit()
    return rid


def values(db: Session, code: str) -> dict[datetime, IndicatorValue]:
    db.expire_all()
    rows = db.execute(
        select(IndicatorValue).where(
            IndicatorValue.code == code, IndicatorValue.community_code == COMMUNITY
        )
    ).scalars()
    return {row.window_end: row for row in rows}


def all_rows(db: Session) -> list[tuple]:
    db.expire_all()
    return [
        (r.code, r.window_end, r.value, r.level, r.baseline, r.inputs, r.details, r.computed_at)
        for r in db.execute(select(IndicatorValue).order_by(IndicatorValue.id)).scalars()
    ]


def test_compute_gives_every_indicator_and_a_rerun_changes_nothing(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    now = utcnow()
    add_report(db, "threat_to_defender", now - timedelta(days=2), severity=4)
    add_report(db, "all_quiet", now - timedelta(days=3), severity=1)
    db.add(
        DeforestationAlert(
            dataset="gfw_integrated_alerts",
            alert_date=(now - timedelta(days=3)).date(),
            latitude=INSIDE[1],
            longitude=INSIDE[0],
            lat_e4=-83300,
            lon_e4=-740800,
            confidence="high",
            area_ha=10.0,
        )
    )
    db.add(
        FireHotspot(
            instrument="VIIRS",
            satellite="N20",
            acquired_at=now - timedelta(days=1),
            latitude=INSIDE[1],
            longitude=INSIDE[0],
            lat_e4=-83300,
            lon_e4=-740800,
            confidence="high",
        )
    )
    db.commit()
    first = run_job(
        "compute-indicators", settings=settings, session_factory=session_factory, tick=now
    )
    assert first.status == "succeeded"
    assert first.summary["inserted"] == len(CATALOG)
    defender = next(iter(values(db, "defender_threats").values()))
    assert defender.value == 1
    assert defender.level == "critical"
    assert defender.algorithm_version == ALGORITHM_VERSION
    deforestation = next(iter(values(db, "deforestation_ha").values()))
    assert deforestation.value == pytest.approx(8.0)
    assert deforestation.details["core_value"] == pytest.approx(8.0)
    assert len(deforestation.details["evidence"]["deforestation_alert_ids"]) == 1
    assert next(iter(values(db, "fire_hotspots").values())).value == 1
    assert next(iter(values(db, "patrol_silence_days").values())).value == 2
    before = all_rows(db)
    again = run_job(
        "compute-indicators",
        settings=settings,
        session_factory=session_factory,
        tick=now + timedelta(seconds=1),
        as_of=now,
    )
    assert again.summary["mode"] == "incremental"
    assert again.summary["inserted"] == again.summary["updated"] == 0
    assert all_rows(db) == before
    # A full recomputation of the same day finds the same numbers and writes nothing.
    full = compute_full(db, as_of=now, days=[day_number(now)], computed_at=utcnow())
    assert (full["inserted"], full["updated"], full["unchanged"]) == (0, 0, len(CATALOG))
    assert all_rows(db) == before


def test_a_late_report_changes_the_windows_it_falls_in(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    now = utcnow()
    for days_back in range(12, -1, -1):
        # A daily history of values, computed on each day.
        moment = now - timedelta(days=days_back)
        run_job(
            "compute-indicators",
            settings=settings,
            session_factory=session_factory,
            tick=moment,
            as_of=moment,
        )
    series = values(db, "invasion_reports")
    assert len(series) == 13
    assert {row.value for row in series.values()} == {0}
    # Observed ten days ago, received now: the next run recomputes the ten days since.
    add_report(db, "settler_invasion", now - timedelta(days=10))
    outcome = run_job(
        "compute-indicators",
        settings=settings,
        session_factory=session_factory,
        tick=now + timedelta(seconds=1),
        as_of=now,
    )
    assert len(outcome.summary["late_days"]) == 10
    series = values(db, "invasion_reports")
    ends = sorted(series)
    assert [series[e].value for e in ends] == [0, 0] + [1] * 11
    assert series[ends[-1]].details["evidence"]["report_ids"]
    assert outcome.summary["mode"] == "incremental"
    assert outcome.summary["communities"] == 1
    # The incremental run agrees with a full recomputation of those days.
    days = list(range(day_number(now) - 10, day_number(now) + 1))
    full = compute_full(db, as_of=now, days=days, computed_at=utcnow())
    assert full["updated"] == 0, full
    assert full["unchanged"] == len(CATALOG) * 11


def test_a_tick_is_claimed_once(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    tick = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    first = run_job(
        "compute-indicators", settings=settings, session_factory=session_factory, tick=tick
    )
    second = run_job(
        "compute-indicators", settings=settings, session_factory=session_factory, tick=tick
    )
    assert (first.status, second.status) == ("succeeded", "skipped")
    runs = db.execute(select(JobRun).where(JobRun.job == "compute-indicators")).scalars().all()
    assert len(runs) == 1
    assert runs[0].status == "succeeded"
    assert runs[0].duration_s is not None
    assert runs[0].summary["inserted"] == len(CATALOG)


def test_a_failing_job_records_its_error(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**_kwargs: object) -> dict:
        raise RuntimeError("feed server unreachable")

    monkeypatch.setitem(JOBS, "pull-feeds", broken)
    outcome = run_job(
        "pull-feeds", settings=settings, session_factory=session_factory, tick=utcnow()
    )
    assert outcome.status == "failed"
    run = db.execute(select(JobRun).where(JobRun.job == "pull-feeds")).scalar_one()
    assert run.status == "failed"
    assert "feed server unreachable" in (run.error or "")


def test_pipeline_runs_the_registered_jobs_in_order(
    session_factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []

    def recorder(name: str):
        def job(*, settings, session_factory, as_of):
            order.append(name)
            return {"as_of": as_of.isoformat()}

        return job

    monkeypatch.setitem(JOBS, "deliver-notifications", recorder("deliver-notifications"))
    monkeypatch.setitem(JOBS, "evaluate-alerts", recorder("evaluate-alerts"))
    monkeypatch.setitem(JOBS, "tell-communities", recorder("tell-communities"))
    as_of = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    outcome = run_job(
        "pipeline", settings=settings, session_factory=session_factory, tick=utcnow(), as_of=as_of
    )
    assert outcome.status == "succeeded"
    assert list(outcome.summary) == [
        "compute-indicators",
        "evaluate-alerts",
        "tell-communities",
        "deliver-notifications",
    ]
    assert order == ["evaluate-alerts", "tell-communities", "deliver-notifications"]
    assert outcome.summary["compute-indicators"]["inserted"] == len(CATALOG)


def test_a_new_community_gets_its_values_at_the_next_run(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    from ews.models import Community
    from ews.reference.loader import community_values

    now = utcnow()
    run_job("compute-indicators", settings=settings, session_factory=session_factory, tick=now)
    square = [[-73.5, -9.0], [-73.4, -9.0], [-73.4, -8.9], [-73.5, -8.9], [-73.5, -9.0]]
    entry = {
        "name": "Comunidad Nueva (sintético)",
        "region": "Ucayali",
        "region_ubigeo": "25",
        "province": "Coronel Portillo",
        "district": "Callería",
        "ubigeo": "250101",
        "boundary": {"type": "Polygon", "coordinates": [square]},
    }
    db.add(Community(code="nueva", **community_values(entry)))
    db.commit()
    outcome = run_job(
        "compute-indicators",
        settings=settings,
        session_factory=session_factory,
        tick=now + timedelta(seconds=1),
        as_of=now,
    )
    assert outcome.summary["mode"] == "full"
    rows = (
        db.execute(select(IndicatorValue).where(IndicatorValue.community_code == "nueva"))
        .scalars()
        .all()
    )
    assert len(rows) == len(CATALOG)


def test_a_row_committed_before_a_run_counts_once_however_old_its_received_stamp(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """No settling time: a row counts in the first run after its commit, even when its received
    stamp is far older than the last run (a long transaction), and in no run after that."""
    now = utcnow()
    first = run_job(
        "compute-indicators", settings=settings, session_factory=session_factory, tick=now
    )
    assert first.summary["mode"] == "full"
    add_report(
        db, "settler_invasion", now - timedelta(hours=2), received_at=now - timedelta(hours=1)
    )
    for seconds in (1, 2):  # the next run takes it in, the one after adds nothing
        outcome = run_job(
            "compute-indicators",
            settings=settings,
            session_factory=session_factory,
            tick=now + timedelta(seconds=seconds),
            as_of=now,
        )
        assert outcome.summary["mode"] == "incremental"
        value = next(iter(values(db, "invasion_reports").values()))
        assert value.value == 1
        assert value.inputs == 1


def test_two_computations_at_once_both_finish_and_count_each_row_once(
    fresh_settings: Settings,
) -> None:
    """One computation at a time: the second waits for the first (PostgreSQL then runs it again
    from a newer snapshot), and neither counts a row twice."""
    from concurrent.futures import ThreadPoolExecutor

    from ews.db import build_engine, build_session_factory
    from ews.jobs.entry_points import compute_indicators

    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = utcnow()
    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    with factory() as session:
        for _ in range(3):
            add_report(session, "settler_invasion", now - timedelta(hours=1))
    with ThreadPoolExecutor(max_workers=2) as pool:
        summaries = list(
            pool.map(
                lambda _: compute_indicators(
                    settings=fresh_settings, session_factory=factory, as_of=now
                ),
                range(2),
            )
        )
    assert sorted(s["pending_days"] for s in summaries) == [0, 1]
    assert sorted(s["computation"] for s in summaries) == [2, 3]
    with factory() as session:
        value = next(iter(values(session, "invasion_reports").values()))
        assert (value.value, value.inputs, value.level) == (3, 3, "high")
    engine.dispose()
