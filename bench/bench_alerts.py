"""Alert benchmarks.

1. ``evaluate-alerts`` for N communities (2,500; 250 with ``--quick``) with all eight indicators:
   the first run (raises most alerts), a run on new values (escalations, deescalations,
   resolutions), a rerun on the same values (adds nothing) and the usual tick (a new day with the
   same numbers: revisions kept, so nothing new; the alerts below warning since the last run
   resolve by time). Floor: the plain SELECT of the latest
   value per (community, code), which every run must do.
2. The fast path: M defender reports (200; 20 with ``--quick``) in M communities, each evaluated by
   ``evaluate_urgent_report``; time from the call to its commit of the alert event and the queued
   outbox rows, p50 and p99 (target p99 < 2 s). Floor: the same rows (one alert, two events, four
   outbox rows) inserted with plain Core statements in one transaction.
"""

from __future__ import annotations

import random
import statistics
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from bench.harness import BENCH_KEYS, BenchContext, BenchResult, timer
from ews import migrate
from ews.alerting.urgent import evaluate_urgent_report
from ews.db import build_engine, build_session_factory
from ews.jobs.entry_points import evaluate_alerts
from ews.models import (
    Alert,
    AlertEvent,
    Community,
    Contact,
    IndicatorValue,
    OutboxMessage,
    Report,
)
from ews.models.base import UTCDateTime
from ews.reference.loader import load_reference_data
from ews.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SECRET = "bench-secret-key-long-enough-0123456789abcdef"
CODES = (
    "defender_threats",
    "deforestation_ha",
    "forest_crime_reports",
    "fire_hotspots",
    "illicit_crop_reports",
    "invasion_reports",
    "patrol_silence_days",
    "threat_index",
)
LEVELS = ("none", "none", "none", "warning", "high", "critical")
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, env="test", database_url=url, secret_key=SECRET, **BENCH_KEYS
    )


def _prepare(url: str, communities: int, extra: int) -> tuple[Settings, Any]:
    settings = _settings(url)
    engine = build_engine(settings)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session, FIXTURES)
        template = session.get(Community, "flor-de-ucayali")
        assert template is not None
        columns = {c.key: getattr(template, c.key) for c in Community.__table__.columns}
        rows = []
        for i in range(communities + extra):
            prefix = "bench" if i < communities else "urgent"
            rows.append({**columns, "code": f"{prefix}-{i:05d}", "synthetic": True})
        session.execute(insert(Community), rows)
        session.commit()
    return settings, engine


def _values(
    communities: int, window_end: datetime, rng: random.Random, revision: int
) -> list[dict[str, Any]]:
    """Values of a computation that changed every one of them: revisions from ``revision`` on."""
    rows = []
    for i in range(communities):
        for code in CODES:
            level = rng.choice(LEVELS)
            revision += 1
            rows.append(
                {
                    "revision": revision,
                    "code": code,
                    "community_code": f"bench-{i:05d}",
                    "window_start": window_end - timedelta(days=30),
                    "window_end": window_end,
                    "value": float(LEVELS.index(level)),
                    "level": level,
                    "baseline": 0.5,
                    "inputs": 3,
                    "computed_at": window_end,
                    "algorithm_version": "bench",
                    "details": {
                        "core_value": rng.choice((0.0, 1.0)),
                        "buffer_value": 1.0,
                        "evidence": {
                            "report_ids": [str(uuid.UUID(int=rng.getrandbits(128)))],
                            "fire_hotspot_ids": [rng.randrange(10**6)],
                            "deforestation_alert_ids": [],
                        },
                    },
                }
            )
    return rows


def _latest_floor(engine: Any) -> float:
    query = text(
        "SELECT v.* FROM indicator_value v JOIN (SELECT community_code, code, "
        "max(window_end) AS window_end FROM indicator_value GROUP BY community_code, code) m "
        "ON v.community_code = m.community_code AND v.code = m.code "
        "AND v.window_end = m.window_end"
    )
    with engine.connect() as conn, timer() as elapsed:
        conn.execute(query).fetchall()
    return elapsed[0]


def _evaluation(ctx: BenchContext, engine_name: str) -> list[BenchResult]:
    communities = 250 if ctx.quick else 2500
    rng = random.Random(7)
    results: list[BenchResult] = []
    with ctx.database(engine_name) as url:
        settings, engine = _prepare(url, communities, 0)
        factory = build_session_factory(engine)
        with engine.begin() as conn:
            conn.execute(insert(IndicatorValue), _values(communities, T0, rng, 0))
        runs: list[tuple[str, float, dict[str, Any]]] = []
        floor = _latest_floor(engine)
        with timer() as elapsed:
            summary = evaluate_alerts(settings=settings, session_factory=factory, as_of=T0)
        runs.append(("first run", elapsed[0], summary))
        with engine.begin() as conn:
            conn.execute(
                insert(IndicatorValue),
                _values(communities, T0 + timedelta(hours=1), rng, len(CODES) * communities),
            )
        floor = min(floor, _latest_floor(engine))
        with timer() as elapsed:
            summary = evaluate_alerts(
                settings=settings, session_factory=factory, as_of=T0 + timedelta(hours=1)
            )
        runs.append(("new values", elapsed[0], summary))
        with timer() as elapsed:
            summary = evaluate_alerts(
                settings=settings, session_factory=factory, as_of=T0 + timedelta(hours=1)
            )
        runs.append(("rerun", elapsed[0], summary))
        assert summary["changed_alerts"] == 0, summary
        # The usual tick: indicators recomputed for a new day, numbers unchanged (so the new rows
        # keep their revisions: nothing new for the alerts, as the computation stores them).
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO indicator_value (code, community_code, window_start, window_end, "
                    "value, level, baseline, inputs, computed_at, algorithm_version, details, "
                    "revision) "
                    "SELECT code, community_code, window_start, :new_end, value, level, baseline, "
                    "inputs, computed_at, algorithm_version, details, revision "
                    "FROM indicator_value WHERE window_end = :old_end"
                ).bindparams(
                    bindparam("new_end", type_=UTCDateTime()),
                    bindparam("old_end", type_=UTCDateTime()),
                ),
                {"new_end": T0 + timedelta(hours=2), "old_end": T0 + timedelta(hours=1)},
            )
        with timer() as elapsed:
            summary = evaluate_alerts(
                settings=settings, session_factory=factory, as_of=T0 + timedelta(hours=2)
            )
        runs.append(("new window, same levels", elapsed[0], summary))
        for name, seconds, run_summary in runs:
            events = sum(run_summary["events"].values())
            results.append(
                BenchResult(
                    benchmark=f"evaluate-alerts {communities} communities, {name}",
                    engine=engine_name,
                    metric="s/run",
                    value=seconds,
                    floor=floor,
                    higher_is_better=False,
                    extra={"events": events, "messages": run_summary["messages"]},
                )
            )
            print(
                f"{engine_name} {name}: {seconds:.2f} s, {events} events, "
                f"{run_summary['messages']} messages (floor SELECT {floor:.3f} s)"
            )
        engine.dispose()
    return results


def _plain_floor(engine: Any, contact_ids: list[int], community: str) -> float:
    """One alert, two events and four outbox rows with plain Core inserts, one transaction."""
    now = datetime.now(UTC)
    with timer() as elapsed, engine.begin() as conn:
        alert_id = conn.execute(
            insert(Alert).returning(Alert.id),
            {
                "fingerprint": f"{community}:floor-{uuid.uuid4().hex[:6]}",
                "community_code": community,
                "category": "defender_safety",
                "level": "critical",
                "status": "resolved",
                "routed_to": ["MINJUS", "DP"],
                "opened_at": now,
                "updated_at": now,
                "evidence": {},
                "context": {},
            },
        ).scalar_one()
        event_ids = [
            conn.execute(
                insert(AlertEvent).returning(AlertEvent.id),
                {
                    "alert_id": alert_id,
                    "kind": kind,
                    "level": "critical",
                    "at": now,
                    "actor": "system",
                    "details": {},
                },
            ).scalar_one()
            for kind in ("raised", "escalated_national")
        ]
        conn.execute(
            insert(OutboxMessage),
            [
                {
                    "message_id": str(uuid.uuid4()),
                    "alert_id": alert_id,
                    "event_id": event_ids[0],
                    "contact_id": contact_id,
                    "institution_code": "MINJUS",
                    "channel": "email",
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "payload": {},
                }
                for contact_id in contact_ids
            ],
        )
    return elapsed[0]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _fast_path(ctx: BenchContext, engine_name: str) -> list[BenchResult]:
    reports = 20 if ctx.quick else 200
    background = 250 if ctx.quick else 2500
    rng = random.Random(11)
    with ctx.database(engine_name) as url:
        settings, engine = _prepare(url, background, reports)
        factory = build_session_factory(engine)
        # A store with an evaluated history, as in production.
        with engine.begin() as conn:
            conn.execute(insert(IndicatorValue), _values(background, T0, rng, 0))
        evaluate_alerts(settings=settings, session_factory=factory, as_of=T0)
        now = datetime.now(UTC)
        with engine.begin() as conn:
            ids = [str(uuid.uuid4()) for _ in range(reports)]
            conn.execute(
                insert(Report),
                [
                    {
                        "id": report_id,
                        "community_code": f"urgent-{background + i:05d}",
                        "threat_type": "threat_to_defender",
                        "severity": 4 + i % 2,
                        "observed_at": now - timedelta(minutes=30),
                        "received_at": now,
                        "reporter_pseudonym": "0" * 64,
                        "source": "api",
                        "content_hash": uuid.uuid4().hex,
                        "synthetic": True,
                    }
                    for i, report_id in enumerate(ids)
                ],
            )
        latencies = []
        for report_id in ids:
            with timer() as elapsed:
                evaluate_urgent_report(
                    settings=settings, session_factory=factory, report_id=report_id
                )
            latencies.append(elapsed[0])
        with engine.connect() as conn:
            raised = conn.execute(
                select(func.count())
                .select_from(Alert)
                .where(Alert.community_code.like("urgent-%"), Alert.level == "critical")
            ).scalar_one()
            queued = conn.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .join(Alert, Alert.id == OutboxMessage.alert_id)
                .where(Alert.community_code.like("urgent-%"))
            ).scalar_one()
            contact_ids = list(
                conn.execute(
                    select(Contact.id).where(Contact.institution_code.in_(["MINJUS", "DP"]))
                ).scalars()
            )
        assert raised == reports, (raised, reports)
        floors = [_plain_floor(engine, contact_ids, f"urgent-{background:05d}") for _ in range(20)]
        engine.dispose()
    p50 = statistics.median(latencies)
    p99 = _percentile(latencies, 0.99)
    floor = statistics.median(floors)
    print(
        f"{engine_name} fast path: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"{queued} outbox rows queued (floor {floor * 1000:.1f} ms)"
    )
    name = f"fast path: {reports} defender reports"
    return [
        BenchResult(name, engine_name, "p50 s", p50, floor, higher_is_better=False),
        BenchResult(
            name,
            engine_name,
            "p99 s",
            p99,
            floor,
            higher_is_better=False,
            target="p99 < 2 s",
            passed=p99 < 2.0,
            extra={"outbox_rows": queued},
        ),
    ]


def run(ctx: BenchContext) -> list[BenchResult]:
    results: list[BenchResult] = []
    for engine_name in ctx.engines():
        results.extend(_evaluation(ctx, engine_name))
        results.extend(_fast_path(ctx, engine_name))
    return results
