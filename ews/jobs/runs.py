"""Run a named job once for a tick: claim it in ``job_run``, run it, record the outcome."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ews.jobs import claims, shared_runs
from ews.jobs.entry_points import compute_indicators
from ews.jobs.registry import get_job, job_names
from ews.models import JobStatus
from ews.settings import Settings

logger = logging.getLogger(__name__)


class UnknownJobError(LookupError):
    def __init__(self, name: str) -> None:
        names = ", ".join(job_names())
        super().__init__(
            f"no existe el trabajo {name!r}; hay: {names} / no job {name!r}; there are: {names}"
        )


@dataclass
class JobOutcome:
    job: str
    tick: datetime
    as_of: datetime
    status: JobStatus  # succeeded | failed | skipped (another process claimed the tick)
    run_id: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def run_job(
    name: str,
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    tick: datetime,
    as_of: datetime | None = None,
) -> JobOutcome:
    """Claim (``name``, ``tick``) and run the job with ``as_of`` (default: the tick)."""
    job = get_job(name)
    if job is None:
        raise UnknownJobError(name)
    as_of = as_of or tick
    if name == shared_runs.JOB and get_job(name) is compute_indicators:
        return _run_shared(name, settings=settings, factory=session_factory, tick=tick, as_of=as_of)
    run_id = claims.claim(session_factory, job=name, tick=tick)
    if run_id is None:
        logger.info("job %s tick %s already claimed elsewhere; skipped", name, tick.isoformat())
        return JobOutcome(job=name, tick=tick, as_of=as_of, status=JobStatus.skipped)
    try:
        summary = job(settings=settings, session_factory=session_factory, as_of=as_of)
    except Exception as exc:
        logger.exception("job %s tick %s failed", name, tick.isoformat())
        error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        claims.finish(session_factory, run_id=run_id, error=error)
        return JobOutcome(
            job=name, tick=tick, as_of=as_of, status=JobStatus.failed, run_id=run_id, error=error
        )
    claims.finish(session_factory, run_id=run_id, summary=_jsonable(summary))
    logger.info("job %s tick %s succeeded: %s", name, tick.isoformat(), summary)
    return JobOutcome(
        job=name, tick=tick, as_of=as_of, status=JobStatus.succeeded, run_id=run_id, summary=summary
    )


def _run_shared(
    name: str,
    *,
    settings: Settings,
    factory: sessionmaker[Session],
    tick: datetime,
    as_of: datetime,
) -> JobOutcome:
    """The computation, its shards shared with every process running the same tick."""
    status, run_id, summary, error = shared_runs.run_shared(
        settings=settings, session_factory=factory, tick=tick, as_of=as_of, job=name
    )
    if status == JobStatus.skipped:
        logger.info("job %s tick %s finished by another process", name, tick.isoformat())
    else:
        logger.info("job %s tick %s %s: %s", name, tick.isoformat(), status, error or summary)
    return JobOutcome(
        job=name,
        tick=tick,
        as_of=as_of,
        status=status,
        run_id=run_id,
        summary=summary,
        error=error,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
