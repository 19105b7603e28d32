"""Claim a job's tick in ``job_run`` (unique job + tick), so two schedulers never run it twice."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ews.db import session_scope
from ews.models import JobRun, JobStatus
from ews.models.base import utcnow


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(
    factory: sessionmaker[Session],
    *,
    job: str,
    tick: datetime,
    lease_seconds: float | None = None,
) -> int | None:
    """Insert the ``running`` row for (job, tick) and commit; ``None`` if another process has it.
    With ``lease_seconds``, the row is held that long (see :func:`take_over`, :func:`renew`)."""
    now = utcnow()
    try:
        with session_scope(factory) as session:
            run = JobRun(
                job=job,
                tick=tick,
                status=JobStatus.running,
                runner=runner_name(),
                started_at=now,
                summary={},
                lease_until=None
                if lease_seconds is None
                else now + timedelta(seconds=lease_seconds),
            )
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


def take_over(
    factory: sessionmaker[Session], *, job: str, tick: datetime, lease_seconds: float
) -> int | None:
    """Take the ``running`` row of (job, tick) whose lease has run out (its process died) for this
    process, with a new lease; its id, or ``None`` if there is none to take."""
    now = utcnow()
    with session_scope(factory) as session:
        return session.execute(
            update(JobRun)
            .where(
                JobRun.job == job,
                JobRun.tick == tick,
                JobRun.status == JobStatus.running,
                JobRun.lease_until < now,
            )
            .values(runner=runner_name(), lease_until=now + timedelta(seconds=lease_seconds))
            .returning(JobRun.id)
        ).scalar_one_or_none()


def renew(factory: sessionmaker[Session], *, run_id: int, lease_seconds: float) -> bool:
    """Extend this process's lease of a running row; ``False`` if it is no longer ours."""
    with session_scope(factory) as session:
        found = session.execute(
            update(JobRun)
            .where(
                JobRun.id == run_id,
                JobRun.status == JobStatus.running,
                JobRun.runner == runner_name(),
            )
            .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
            .returning(JobRun.id)
        ).scalar_one_or_none()
    return found is not None


def runs_of(factory: sessionmaker[Session], *, jobs: list[str], tick: datetime) -> list[JobRun]:
    """The rows of ``jobs`` at ``tick`` (detached: read their fields)."""
    with session_scope(factory) as session:
        rows = list(
            session.execute(select(JobRun).where(JobRun.job.in_(jobs), JobRun.tick == tick))
            .scalars()
            .all()
        )
        session.expunge_all()
    return rows


def finish(
    factory: sessionmaker[Session],
    *,
    run_id: int,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
    session: Session | None = None,
) -> bool:
    """Record the outcome: ``succeeded`` with its summary or ``failed`` with its error. In
    ``session`` if given (the caller commits), else in a transaction of its own. ``False`` if the
    row was already finished (another process recorded it)."""
    if session is None:
        with session_scope(factory) as own:
            return finish(factory, run_id=run_id, summary=summary, error=error, session=own)
    started = session.execute(select(JobRun.started_at).where(JobRun.id == run_id)).scalar_one()
    finished = utcnow()
    done = session.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.status == JobStatus.running)
        .values(
            status=JobStatus.failed if error else JobStatus.succeeded,
            finished_at=finished,
            duration_s=(finished - started).total_seconds(),
            error=error,
            summary=summary or {},
            lease_until=None,
        )
        .returning(JobRun.id)
    ).scalar_one_or_none()
    return done is not None


def last_success(session: Session, jobs: tuple[str, ...]) -> tuple[datetime, dict[str, Any]] | None:
    """When the last successful run of any of ``jobs`` started (their data watermark), and its
    summary."""
    row = session.execute(
        select(JobRun.started_at, JobRun.summary)
        .where(JobRun.job.in_(jobs), JobRun.status == JobStatus.succeeded)
        .order_by(JobRun.started_at.desc())
        .limit(1)
    ).first()
    return None if row is None else (row.started_at, row.summary)
