"""Two real scheduler processes on one database never run the same tick, nor make a day's digests
twice."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from ews.db import build_engine, build_session_factory, session_scope
from ews.models import InstitutionDigest, JobRun, OutboxMessage
from ews.models.base import utcnow
from ews.settings import Settings
from tests.support.delivery import DEFENDER_CONTACTS, queue_alert
from tests.support.paths import REPO
from tests.support.processes import ews_env
from tests.support.wait import wait_until

INTERVAL_S = 2.0
TICK_LOG = re.compile(r"job compute-indicators tick (\S+) (already claimed elsewhere|succeeded)")


def test_two_scheduler_processes_never_run_the_same_tick(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "ticks.txt"
    out.touch()
    env = ews_env(
        fresh_settings.database_url,
        secret_key=fresh_settings.secret_key,
        EWS_COMPUTE_INTERVAL_MINUTES=str(INTERVAL_S / 60),
        EWS_LOG_LEVEL="INFO",
    )
    log_paths = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    log_files = [path.open("w") for path in log_paths]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.scheduler_worker", str(out)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        for log_file in log_files
    ]

    def attempts_of(log: str) -> dict[str, str]:
        return {m.group(1): m.group(2) for m in TICK_LOG.finditer(log)}

    def seen_enough() -> bool:
        """Three ticks run, two of them tried by both processes."""
        tried = [set(attempts_of(path.read_text())) for path in log_paths]
        return len(out.read_text().splitlines()) >= 3 and len(tried[0] & tried[1]) >= 2

    wait_until(seen_enough, timeout=60, interval=0.2, message="too few ticks")
    logs = []
    for process, log_file, path in zip(processes, log_files, log_paths, strict=True):
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log_file.close()
        logs.append(path.read_text())
    ran = [line.split() for line in out.read_text().splitlines()]
    ticks = Counter(tick for tick, _pid in ran)
    assert len(ticks) >= 3, logs
    assert max(ticks.values()) == 1, f"a tick ran twice: {ticks}"
    # Both processes tried the ticks they both lived through: one ran each, the other stood aside.
    attempts = [attempts_of(log) for log in logs]
    shared = set(attempts[0]) & set(attempts[1])
    assert len(shared) >= 2, logs
    for tick in shared:
        outcomes = sorted([attempts[0][tick], attempts[1][tick]])
        assert outcomes == ["already claimed elsewhere", "succeeded"], (tick, logs)
    engine = build_engine(fresh_settings)
    with engine.connect() as conn:
        runs = conn.execute(select(JobRun.tick, JobRun.status, JobRun.runner)).all()
    engine.dispose()
    assert len(runs) == len(ticks)
    assert {status for _tick, status, _runner in runs} == {"succeeded"}
    assert {int(pid) for _tick, pid in ran} <= {p.pid for p in processes}


def test_ews_serve_embeds_the_scheduler(fresh_settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from ews.api.app import create_app
    from ews.cli.service import embedded_background

    settings = fresh_settings.model_copy(
        update={"embedded_scheduler": True, "compute_interval_minutes": 1 / 60}
    )
    assert embedded_background(settings.model_copy(update={"embedded_scheduler": False})) == []
    app = create_app(settings, background=embedded_background(settings))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200

        def compute_runs() -> list:  # type: ignore[type-arg]
            engine = build_engine(settings)
            with engine.connect() as conn:
                found = conn.execute(
                    select(JobRun.status).where(JobRun.job == "compute-indicators")
                ).all()
            engine.dispose()
            return list(found)

        runs = wait_until(compute_runs, timeout=20, interval=0.5, message="no computation ran")
    assert runs
    assert runs[0].status in ("running", "succeeded")
    app.state.engine.dispose()


def test_two_scheduler_processes_make_each_days_digest_once(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    """Both real ``ews scheduler`` processes start after the digest hour (0: midnight in Lima), so
    both catch up on today's digests at once: each institution's is queued once."""
    engine = build_engine(fresh_settings)
    try:
        with session_scope(build_session_factory(engine)) as session:
            queue_alert(session, contact_codes=DEFENDER_CONTACTS, at=utcnow() - timedelta(hours=1))
        env = ews_env(
            fresh_settings.database_url,
            secret_key=fresh_settings.secret_key,
            EWS_DIGEST_HOUR="0",
            EWS_COMPUTE_INTERVAL_MINUTES="0",  # only the digests run
            EWS_LOG_LEVEL="INFO",
        )
        log_paths = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
        log_files = [path.open("w") for path in log_paths]
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "ews", "scheduler"],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
            for log_file in log_files
        ]

        def both_tried() -> bool:
            said = [path.read_text() for path in log_paths]
            return all(
                re.search(r"job send-digests tick \S+ (already claimed|succeeded)", s) for s in said
            )

        try:
            wait_until(both_tried, timeout=60, interval=0.2, message="the digests did not run")
        finally:
            for process, log_file in zip(processes, log_files, strict=True):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
                log_file.close()
        with session_scope(build_session_factory(engine)) as session:
            digests = session.execute(
                select(InstitutionDigest.institution_code, InstitutionDigest.day)
            ).all()
            messages = session.scalars(
                select(OutboxMessage.contact_id).where(OutboxMessage.digest_id.is_not(None))
            ).all()
            runs = session.scalars(select(JobRun.status).where(JobRun.job == "send-digests")).all()
        assert len(digests) == len(set(digests)) and {code for code, _day in digests} >= {
            "MINJUS",
            "DP",
        }
        assert len(messages) == len(set(messages)) == 4  # a critical alert: 2 offices each
        assert runs == ["succeeded"]  # one process ran today's tick, the other stood aside
    finally:
        engine.dispose()
