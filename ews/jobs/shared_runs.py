"""A computation shared by every scheduler process that runs the same tick (DESIGN section 13).

The run's row in ``job_run`` (``compute-indicators``, tick) is claimed by one process, which plans
the computation (consumes the pending days, decides the mode, the days and the shards) and writes
the plan into the row, in one transaction. Every process of the tick then claims shards, one row
each (``compute-indicators/shard-NNNN``, same tick; unique, so each shard is computed by one
process), computes and commits it, and records it done. A process renews its lease on the shard it
computes every third of ``shard_lease_seconds``; a shard whose lease ran out (its process died)
is taken over by another process of the run, and so is an unplanned run. When every shard is
done, the first process to finish the run records the computation as done (the fast path's
``computations_done``); the others answer ``skipped``. A process first helps finish any planned
run of an earlier tick still going, so computations are done in order. Every process waits for the run to be
finished before it answers, so the evaluation that follows (claimed by one of them) sees every
shard's values. A shard that fails fails the run, which gives its pending days back.

On SQLite (one process) the same steps run in that process, one shard after another.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from ews.db import in_snapshot, session_scope
from ews.jobs import claims
from ews.jobs.compute import (
    Plan,
    compute_shard,
    finish_computation,
    plan_computation,
    start_computation,
    summarize,
)
from ews.models import JobRun, JobStatus
from ews.models.base import utcnow
from ews.settings import Settings

logger = logging.getLogger(__name__)
JOB = "compute-indicators"


class TakenOverError(RuntimeError):
    """This process's lease ran out and another process took the row over."""


def shard_job(job: str, index: int) -> str:
    return f"{job}/shard-{index:04d}"


@contextmanager
def _heartbeat(factory: sessionmaker[Session], run_id: int, lease: float) -> Iterator[None]:
    """Renew the lease of ``run_id`` every third of ``lease`` while the block runs (PostgreSQL:
    other processes may take it over; SQLite has one process and one writer: no heartbeat)."""
    bind = factory.kw.get("bind")  # a test's connection is not shared with a thread
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease / 3):
            try:
                if not claims.renew(factory, run_id=run_id, lease_seconds=lease):
                    return
            except Exception:  # a missed beat: the next one tries again
                logger.warning("lease of job_run %s not renewed", run_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"lease-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _plan(
    factory: sessionmaker[Session], settings: Settings, *, run_id: int, as_of: datetime
) -> Plan:
    """Plan the computation and write the plan into the run's row, in one transaction."""
    computation = start_computation(factory)

    def work(session: Session) -> Plan:
        planned = plan_computation(
            session,
            as_of=as_of,
            computation=computation,
            computed_at=utcnow(),
            shard_size=settings.shard_size,
        )
        mine = session.execute(
            update(JobRun)
            .where(
                JobRun.id == run_id,
                JobRun.status == JobStatus.running,
                JobRun.runner == claims.runner_name(),
            )
            .values(summary={"plan": planned.as_json()}, lease_until=None)  # planned: kept
            .returning(JobRun.id)
        ).scalar_one_or_none()
        if mine is None:
            raise TakenOverError(f"job_run {run_id}")
        return planned

    return in_snapshot(factory, work)


def _planned_run(
    factory: sessionmaker[Session], settings: Settings, *, job: str, tick: datetime, as_of: datetime
) -> tuple[int, Plan] | None:
    """The run of (job, tick) and its plan: claimed and planned here, or planned by another
    process (waited for); ``None`` if the run is already finished."""
    lease = settings.shard_lease_seconds
    while True:
        run_id = claims.claim(factory, job=job, tick=tick, lease_seconds=lease)
        if run_id is None:
            run_id = claims.take_over(factory, job=job, tick=tick, lease_seconds=lease)
        if run_id is not None:
            try:
                return run_id, _plan(factory, settings, run_id=run_id, as_of=as_of)
            except TakenOverError:
                continue
        (row,) = claims.runs_of(factory, jobs=[job], tick=tick)
        if row.status != JobStatus.running:
            return None
        if "plan" in (row.summary or {}):
            return row.id, Plan.from_json(row.summary["plan"])
        time.sleep(settings.shard_poll_seconds)  # another process is planning it


def _unfinished_before(
    factory: sessionmaker[Session], *, job: str, tick: datetime
) -> list[datetime]:
    """The ticks before ``tick`` whose planned run of ``job`` is still going, oldest first."""
    with session_scope(factory) as session:
        rows = session.execute(
            select(JobRun.tick, JobRun.summary)
            .where(JobRun.job == job, JobRun.status == JobStatus.running, JobRun.tick < tick)
            .order_by(JobRun.tick)
        ).all()
    return [row.tick for row in rows if "plan" in (row.summary or {})]


def _compute_claimed(
    factory: sessionmaker[Session], settings: Settings, work: Plan, index: int, shard_id: int
) -> dict[str, Any]:
    with _heartbeat(factory, shard_id, settings.shard_lease_seconds):
        return in_snapshot(factory, lambda session: compute_shard(session, work, index))


def run_shared(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tick: datetime,
    as_of: datetime,
    job: str = JOB,
) -> tuple[JobStatus, int | None, dict[str, Any], str | None]:
    """Take part in the computation of (job, tick) until it is finished: status (``succeeded``
    for the process that finished it, ``failed``, else ``skipped``), the run's id, the summary
    (with ``shards_here``: the shards this process computed) and the error."""
    factory = session_factory
    for older in _unfinished_before(factory, job=job, tick=tick):
        # One computation at a time: an earlier tick's run still going (its planner may be gone)
        # is finished first, so no later one records itself done before it.
        run_shared(settings=settings, session_factory=factory, tick=older, as_of=older, job=job)
    planned = _planned_run(factory, settings, job=job, tick=tick, as_of=as_of)
    if planned is None:
        return JobStatus.skipped, None, {}, None
    run_id, work = planned
    names = [shard_job(job, index) for index in range(len(work.shards))]
    lease = settings.shard_lease_seconds
    here: list[int] = []
    while True:
        rows = {row.job: row for row in claims.runs_of(factory, jobs=names, tick=tick)}
        failed = [row for row in rows.values() if row.status == JobStatus.failed]
        done = [row for row in rows.values() if row.status == JobStatus.succeeded]
        if failed or len(done) == len(names):
            break
        progressed = False
        for index, name in enumerate(names):
            row = rows.get(name)
            if row is not None and row.status != JobStatus.running:
                continue
            shard_id = claims.claim(factory, job=name, tick=tick, lease_seconds=lease)
            if shard_id is None:
                shard_id = claims.take_over(factory, job=name, tick=tick, lease_seconds=lease)
            if shard_id is None:
                continue
            progressed = True
            try:
                part = _compute_claimed(factory, settings, work, index, shard_id)
            except Exception as exc:
                logger.exception("shard %s of %s tick %s failed", index, job, tick.isoformat())
                error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
                claims.finish(factory, run_id=shard_id, error=error)
                break
            claims.finish(factory, run_id=shard_id, summary=_plain(part))
            here.append(index)
        if not progressed:
            time.sleep(settings.shard_poll_seconds)  # the others' shards are still running
    return _finish(factory, run_id=run_id, work=work, names=names, tick=tick, here=here)


def _finish(
    factory: sessionmaker[Session],
    *,
    run_id: int,
    work: Plan,
    names: list[str],
    tick: datetime,
    here: list[int],
) -> tuple[JobStatus, int | None, dict[str, Any], str | None]:
    rows = sorted(claims.runs_of(factory, jobs=names, tick=tick), key=lambda row: row.job)
    failed = [row for row in rows if row.status == JobStatus.failed]
    error = None
    if failed:
        error = f"{failed[0].job}: {failed[0].error}"
        summary: dict[str, Any] = {"plan": {"computation": work.computation}}
    else:
        summary = summarize(work, [row.summary for row in rows])
        summary["as_of"] = work.as_of.isoformat()
    with session_scope(factory) as session:
        mine = claims.finish(factory, run_id=run_id, summary=summary, error=error, session=session)
        if mine:
            finish_computation(session, work, failed=bool(failed))
    summary = {**summary, "shards_here": here}
    if not mine:
        return JobStatus.skipped, run_id, summary, None
    return (JobStatus.failed if failed else JobStatus.succeeded), run_id, summary, error


def _plain(part: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, int | str | float | list) else str(v) for k, v in part.items()}
