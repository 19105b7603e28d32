"""Scheduler processes share a tick's computation in shards (DESIGN section 13): on PostgreSQL two
real ``ews scheduler`` processes split the shards, one is killed (SIGKILL) in the middle of a shard,
the other takes that shard over once its lease runs out; every shard is computed once, the alerts
are evaluated after the last one, and the values are those of one process computing alone. On
SQLite one process computes every shard."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ews.db import build_engine, build_session_factory
from ews.demo import DemoSizes, generate, load_demo
from ews.jobs.entry_points import compute_indicators
from ews.models import IndicatorRollup, IndicatorRollupState, IndicatorValue, JobRun
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import LIMA
from tests.support.paths import REPO
from tests.support.processes import ews_env
from tests.support.wait import wait_until

DATA = DemoSizes(communities=8, reports=400, hotspots=2_000, alerts=800)
JOB = "compute-indicators"


def values(session: Session) -> dict[tuple[str, str, Any], tuple[Any, ...]]:
    return {
        (r.code, r.community_code, r.window_end): (
            r.value,
            r.level,
            r.baseline,
            r.inputs,
            repr(r.details),
        )
        for r in session.execute(select(IndicatorValue)).scalars()
    }


def start(out: Path, env: dict[str, str], log: Path, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.shard_worker", str(out)],
        cwd=REPO,
        env={**env, **extra},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def runs(settings: Settings) -> list[Any]:
    engine = build_engine(settings)
    with engine.connect() as conn:
        found = conn.execute(
            select(
                JobRun.job, JobRun.tick, JobRun.status, JobRun.runner, JobRun.started_at
            ).order_by(JobRun.id)
        ).all()
    engine.dispose()
    return list(found)


def test_schedulers_share_a_sharded_run_and_take_over_a_killed_ones_shard(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = utcnow()
    with factory() as session:
        load_demo(session, generate(now.astimezone(LIMA).date() - timedelta(days=1), DATA), now=now)
        session.commit()
    communities = DATA.communities + 1  # and the real one of the fixtures
    out = tmp_path / "shards.txt"
    out.touch()
    env = ews_env(
        fresh_settings.database_url,
        secret_key=fresh_settings.secret_key,
        EWS_COMPUTE_INTERVAL_MINUTES="600",  # one tick while the test runs
        EWS_SHARD_SIZE="1",
        EWS_SHARD_LEASE_SECONDS="3",
        EWS_SHARD_POLL_SECONDS="0.2",
        EWS_LOG_LEVEL="INFO",
    )
    postgres = engine.dialect.name == "postgresql"
    logs = [tmp_path / "scheduler-0.log", tmp_path / "scheduler-1.log"]
    processes = [start(out, env, logs[0], HANG_ON_SHARD="2" if postgres else "0")]

    def lines() -> list[list[str]]:
        return [line.split() for line in out.read_text().splitlines()]

    if postgres:  # the second joins the run the first planned, once it has computed a shard
        wait_until(lambda: lines(), timeout=120, interval=0.2, message="no shard computed")
        processes.append(start(out, env, logs[1]))

    def report() -> str:
        return "\n".join(path.read_text() for path in logs if path.exists())

    killed: tuple[int, int] | None = None
    if postgres:
        hang = wait_until(
            lambda: next((line for line in lines() if line[0] == "hang"), None),
            timeout=120,
            interval=0.2,
            message="no process reached its second shard",
        )
        victim = processes[0]
        assert int(hang[2]) == victim.pid
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        killed = (int(hang[1]), victim.pid)

    def evaluated() -> bool:
        return any(
            row.job == "evaluate-alerts" and row.status != "running" for row in runs(fresh_settings)
        )

    wait_until(evaluated, timeout=180, interval=0.5, message="the run did not finish")
    for process in processes[1:] if postgres else processes:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    rows = runs(fresh_settings)
    computed = [(int(index), int(pid)) for kind, index, pid in lines() if kind == "computed"]
    # Every shard computed exactly once overall; the killed process's shard by the other one.
    assert Counter(index for index, _pid in computed) == dict.fromkeys(range(communities), 1), (
        computed,
        report(),
    )
    pids = {pid for _index, pid in computed}
    if postgres:
        assert killed is not None
        assert pids == {processes[0].pid, processes[1].pid}  # both took part
        assert (killed[0], processes[1].pid) in computed
    else:
        assert pids == {processes[0].pid}
    shards = [row for row in rows if row.job.startswith(f"{JOB}/shard-")]
    assert len(shards) == communities
    assert {row.status for row in shards} == {"succeeded"}
    (run,) = [row for row in rows if row.job == JOB]
    assert run.status == "succeeded", report()
    (evaluation,) = [row for row in rows if row.job == "evaluate-alerts"]
    assert evaluation.status == "succeeded"
    assert evaluation.tick == run.tick
    engine2 = build_engine(fresh_settings)
    with engine2.connect() as conn:
        finished = conn.execute(select(JobRun.finished_at).where(JobRun.job == JOB)).scalar_one()
    engine2.dispose()
    assert evaluation.started_at >= finished  # after every shard
    # The values are those of one process computing the whole country alone.
    with factory() as session:
        shared = values(session)
        session.execute(delete(IndicatorValue))
        session.execute(delete(IndicatorRollup))
        session.execute(delete(IndicatorRollupState))
        session.commit()
    alone = fresh_settings.model_copy(update={"shard_size": 0})
    summary = compute_indicators(settings=alone, session_factory=factory, as_of=run.tick)
    assert summary["shards"] == 1
    with factory() as session:
        assert values(session) == shared
    assert len(shared) > 0
    engine.dispose()
