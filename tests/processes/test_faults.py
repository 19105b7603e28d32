"""Faults with real processes on PostgreSQL (a server of the test's own, so it can be restarted)."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from bench.bench_ingest import generate
from ews import migrate
from ews.auth.keys import Role, create_key
from ews.db import build_engine
from ews.models import FireHotspot
from ews.reference.loader import load_reference_data
from indicators import CATALOG
from tests.support.delivery import SmtpServer
from tests.support.paths import FIXTURES_DIR
from tests.support.pg_server import OwnPostgres
from tests.support.processes import EWS, ews_env, free_port, wait_for_service
from tests.support.settings import (
    POSTGRES_URL,
    make_settings,
    prepare_database,
)
from tests.support.wait import wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not POSTGRES_URL, reason="EWS_TEST_POSTGRES_URL is not set: PostgreSQL half skipped"
    ),
]


@pytest.fixture
def own_postgres():
    server = OwnPostgres()
    server.init()
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
        server.stop("immediate")
    server.remove()


def start_api(url: str, port: int) -> subprocess.Popen[bytes]:
    env = ews_env(url, EWS_EMBEDDED_SCHEDULER="false", EWS_EMBEDDED_WORKER="false")
    server = subprocess.Popen(
        [*EWS, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_service(f"http://127.0.0.1:{port}", "/livez")
    except AssertionError:
        server.kill()
        raise
    return server


def test_postgres_restarted_during_an_ingest_gives_a_clear_error_and_a_retry_loads_everything_once(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    admin = create_engine(own_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE ews"))
    admin.dispose()
    url = own_postgres.url.rsplit("/", 1)[0] + "/ews"
    engine = build_engine(make_settings(url))
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session, FIXTURES_DIR)
        _row, token = create_key(session, role=Role.feed, name="feed")
        session.commit()
    engine.dispose()
    rows = 300_000
    path = generate(tmp_path / "firms.csv", rows)

    port = free_port()
    api = start_api(url, port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    answers: list[httpx.Response | Exception] = []

    def upload() -> None:
        try:
            answers.append(
                httpx.post(
                    f"http://127.0.0.1:{port}/api/v1/feeds/firms",
                    content=path.read_bytes(),
                    headers=headers,
                    timeout=300,
                )
            )
        except httpx.HTTPError as exc:
            answers.append(exc)

    try:
        worker = threading.Thread(target=upload)
        worker.start()
        wait_until(lambda: _inserting_hotspots(own_postgres.url), message="no insert began")
        own_postgres.stop("fast")
        # The API answers while the server is down; only then does the server come back.
        wait_until(lambda: answers, timeout=120, message="the client got no answer")
        own_postgres.start()
        worker.join(timeout=300)
        [first] = answers
        assert isinstance(first, httpx.Response), f"the client got no answer: {first!r}"
        assert first.status_code == 503, first.text
        assert "reintente" in first.json()["detail"]
        assert "retry" in first.json()["detail"]

        retry = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/feeds/firms",
            content=path.read_bytes(),
            headers=headers,
            timeout=300,
        )
        assert retry.status_code == 200, retry.text
        body = retry.json()
        assert body["rows"] == rows
        assert body["rejected"] == []
        assert body["inserted"] + body["duplicates"] == rows
    finally:
        api.terminate()
        api.wait(timeout=30)
    check = create_engine(url)
    with check.connect() as conn:
        assert conn.execute(select(func.count()).select_from(FireHotspot)).scalar_one() == rows
    check.dispose()


def _scheduler(settings_url: str, secret: str) -> subprocess.Popen[bytes]:
    env = ews_env(settings_url, secret_key=secret, EWS_COMPUTE_INTERVAL_MINUTES="0.1")
    return subprocess.Popen(
        [*EWS, "scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(engine, query, predicate, timeout: float):  # type: ignore[no-untyped-def]
    """The rows of ``query`` once ``predicate`` holds for them."""

    def rows():  # type: ignore[no-untyped-def]
        with engine.connect() as conn:
            value = conn.execute(query).all()
        return value if predicate(value) else None

    return wait_until(rows, timeout=timeout, interval=0.05, message=f"timed out waiting on {query}")


def _inserting_hotspots(server_url: str) -> bool:
    """Whether a connection to the ``ews`` database is inside a transaction that has begun writing
    fire hotspots (the upload is streaming into the database)."""
    engine = create_engine(server_url)
    try:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'ews'"
                        " AND xact_start IS NOT NULL AND query ILIKE '%fire_hotspot%'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


@pytest.fixture
def pg_settings(postgres_databases):  # type: ignore[no-untyped-def]
    """A fresh, migrated and loaded PostgreSQL database on the shared server."""
    settings = make_settings(postgres_databases.create())
    prepare_database(settings).dispose()
    return settings


def test_a_scheduler_killed_mid_computation_leaves_no_partial_series_and_the_next_tick_completes(
    pg_settings,  # type: ignore[no-untyped-def]
) -> None:
    fresh_settings = pg_settings
    from ews.demo import DemoSizes, generate, load_demo
    from ews.models import IndicatorValue, JobRun
    from ews.models.base import utcnow

    engine = build_engine(fresh_settings)
    # Enough data that one computation takes seconds, so the kill lands inside it.
    data = generate(
        utcnow().date(),
        DemoSizes(communities=150, reports=20_000, hotspots=400_000, alerts=150_000),
    )
    with Session(engine) as session:
        load_demo(session, data, now=utcnow())
        session.commit()
    running = select(JobRun.tick).where(
        JobRun.job == "compute-indicators", JobRun.status == "running"
    )
    values = select(func.count()).select_from(IndicatorValue)

    first = _scheduler(fresh_settings.database_url, fresh_settings.secret_key)
    try:
        [(killed_tick,)] = _wait_for(engine, running, lambda rows: len(rows) == 1, timeout=60)
        first.kill()  # SIGKILL in the middle of the computation
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    with engine.connect() as conn:
        assert conn.execute(values).scalar_one() == 0, "a killed run must leave no partial series"

    second = _scheduler(fresh_settings.database_url, fresh_settings.secret_key)
    try:
        done = select(JobRun.tick).where(
            JobRun.job == "compute-indicators",
            JobRun.status == "succeeded",
            JobRun.tick > killed_tick,
        )
        _wait_for(engine, done, lambda rows: len(rows) >= 1, timeout=120)
    finally:
        second.terminate()
        second.wait(timeout=30)
    with engine.connect() as conn:
        communities = conn.execute(text("SELECT count(*) FROM community")).scalar_one()
        stored = conn.execute(
            select(IndicatorValue.community_code, func.count()).group_by(
                IndicatorValue.community_code
            )
        ).all()
    engine.dispose()
    assert len(stored) == communities  # every community has its series
    # every indicator of the catalog, whole days
    assert all(count % len(CATALOG) == 0 for _code, count in stored)


def test_two_schedulers_and_two_workers_for_minutes_run_each_tick_once_and_send_each_message_once(
    pg_settings,  # type: ignore[no-untyped-def]
) -> None:
    """Two `ews scheduler` and two `ews worker` processes on one PostgreSQL for two minutes of
    3-second ticks, while new reports keep arriving and alerts keep changing."""
    from ews.demo import DemoSizes, generate, load_demo
    from ews.models import JobRun, OutboxMessage, Report
    from ews.models.base import utcnow

    smtp = SmtpServer().start()
    engine = build_engine(pg_settings)
    with Session(engine) as session:
        load_demo(session, generate(utcnow().date(), DemoSizes()), now=utcnow())
        session.commit()
    env = ews_env(
        pg_settings.database_url,
        secret_key=pg_settings.secret_key,
        EWS_COMPUTE_INTERVAL_MINUTES="0.05",
        EWS_SMTP_PORT=str(smtp.port),
        EWS_DELIVERY_POLL_INTERVAL_S="0.2",
    )
    commands = [["scheduler"], ["scheduler"], ["worker"], ["worker"]]
    processes = [
        subprocess.Popen(
            [*EWS, *c],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for c in commands
    ]
    threat_types = [
        "settler_invasion",
        "illegal_mining",
        "coca_cultivation",
        "fire",
        "illegal_logging",
    ]
    ticks = select(func.count()).select_from(JobRun).where(JobRun.job == "compute-indicators")
    try:
        deadline = time.monotonic() + 120
        n = 0
        while time.monotonic() < deadline:
            with Session(engine) as session:  # a monitor's report each tick, changing levels
                seen = session.execute(ticks).scalar_one()
                now = utcnow()
                session.add(
                    Report(
                        id=str(uuid.uuid4()),
                        community_code="flor-de-ucayali",
                        threat_type=threat_types[n % len(threat_types)],
                        severity=3,
                        observed_at=now - timedelta(minutes=5),
                        received_at=now,
                        reporter_pseudonym="p" * 64,
                        content_hash=uuid.uuid4().hex * 2,
                        source="api",
                    )
                )
                session.commit()
            n += 1
            _wait_for(engine, ticks, lambda rows, seen=seen: rows[0][0] > seen, timeout=30)
            assert all(p.poll() is None for p in processes), "a scheduler or worker died"
        pending = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
        )
        _wait_for(engine, pending, lambda rows: rows[0][0] == 0, timeout=60)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        smtp.stop()
    with engine.connect() as conn:
        runs = conn.execute(select(JobRun.job, JobRun.tick, JobRun.status, JobRun.runner)).all()
        sent = conn.execute(
            select(OutboxMessage.message_id).where(OutboxMessage.status == "sent")
        ).all()
    engine.dispose()

    computes = [r for r in runs if r.job == "compute-indicators"]
    assert len(computes) >= 20, "ticks every 3 s for two minutes"
    assert len({r.tick for r in computes}) == len(computes)  # each tick once
    assert {r.status for r in runs} == {"succeeded"}
    # Which scheduler wins a tick is a race (often the same one); that each tick ran once while
    # both were alive all along (checked above) is the property.
    ids = smtp.recorder.message_ids()
    assert len(ids) == len(set(ids)), "a message was sent twice"
    assert sorted(ids) == sorted(f"<{row.message_id}@ews.example.org>" for row in sent)
    assert len(ids) > 50
