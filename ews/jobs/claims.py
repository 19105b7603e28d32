"""Claim a job's tick in ``job_run`` (unique job + tick), so two schedulers never run it twice."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ews.db import session_scope
from ews.models import JobRun, JobStatus
from ews.models.base import utcnow


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(factory: sessionmaker[Session], *, job: str, tick: datetime) -> int | None:
    """Insert the ``running`` row for (job, tick) and commit; ``None`` if another process has it."""
    try:
        with session_scope(factory) as session:
            run = JobRun(
                job=job,
                tick=tick,
                status=JobStatus.running,
                runner=runner_name(),
                started_at=utcnow(),
                summary={},
            )
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


def finish(
    factory: sessionmaker[Session],
    *,
    run_id: int,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Record the outcome: ``succeeded`` with its summary or ``failed`` with its error."""
    with session_scope(factory) as session:
        started = session.execute(select(JobRun.started_at).where(JobRun.id == run_id)).scalar_one()
        finished = utcnow()
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                status=JobStatus.failed if error else JobStatus.succeeded,
                finished_at=finished,
                duration_s=(finished - started).total_seconds(),
                error=error,
                summary=summary or {},
            )
        )


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
