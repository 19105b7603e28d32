"""Two real scheduler processes on one database never run the same tick."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ews.db import build_engine
from ews.jobs.scheduler import tick_for
from ews.models import JobRun
from ews.settings import Settings
from tests.conftest import TEST_CAP_SENDER, TEST_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parent.parent
INTERVAL_S = 2.0
TICK_LOG = re.compile(r"job compute-indicators tick (\S+) (already claimed elsewhere|succeeded)")


def test_tick_alignment_is_the_same_in_every_process() -> None:
    moment = datetime(2026, 11, 26, 15, 7, 31, tzinfo=UTC)
    assert tick_for(moment, 900) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert tick_for(datetime(2026, 11, 26, 15, 15, tzinfo=UTC), 900) == datetime(
        2026, 11, 26, 15, 15, tzinfo=UTC
    )


def test_two_scheduler_processes_never_run_the_same_tick(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "ticks.txt"
    env = {
        **os.environ,
        "EWS_ENV": "test",
        "EWS_DATABASE_URL": fresh_settings.database_url,
        "EWS_SECRET_KEY": fresh_settings.secret_key,
        "EWS_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "EWS_CAP_SENDER": TEST_CAP_SENDER,
        "EWS_COMPUTE_INTERVAL_MINUTES": str(INTERVAL_S / 60),
        "EWS_LOG_LEVEL": "INFO",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.scheduler_worker", str(out)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(5 * INTERVAL_S + 3)
    logs = []
    for process in processes:
        process.send_signal(signal.SIGTERM)
        _stdout, stderr = process.communicate(timeout=30)
        logs.append(stderr)
    ran = [line.split() for line in out.read_text().splitlines()]
    ticks = Counter(tick for tick, _pid in ran)
    assert len(ticks) >= 3, logs
    assert max(ticks.values()) == 1, f"a tick ran twice: {ticks}"
    # Both processes tried the ticks they both lived through: one ran each, the other stood aside.
    attempts = [{m.group(1): m.group(2) for m in TICK_LOG.finditer(log)} for log in logs]
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
        deadline = time.monotonic() + 20
        runs: list = []
        while time.monotonic() < deadline and not runs:
            time.sleep(0.5)
            engine = build_engine(settings)
            with engine.connect() as conn:
                runs = conn.execute(
                    select(JobRun.status).where(JobRun.job == "compute-indicators")
                ).all()
            engine.dispose()
    assert runs
    assert runs[0].status in ("running", "succeeded")
    app.state.engine.dispose()
