"""``POST /api/v1/jobs/{name}/run``: run a job now (analyst, admin) and answer its summary."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict

from ews.api.deps import SessionFactoryDep, SettingsDep, read_only_request
from ews.api.errors import Failed, InvalidData, NotFound
from ews.api.roles import AnalystOrAdmin
from ews.fields import PlausibleTime
from ews.jobs import get_job, job_names, run_job
from ews.models import JobStatus
from ews.models.base import utcnow

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
# A run "as of" a later moment would compute windows for data that cannot exist yet.
AS_OF_AHEAD = timedelta(days=1)


class JobRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: PlausibleTime | None = None


class JobRunOut(BaseModel):
    job: str
    status: str  # succeeded | failed | skipped
    run_id: int | None
    tick: datetime
    as_of: datetime
    summary: dict[str, Any]
    error: str | None


@router.post(
    "/{name}/run",
    response_model=JobRunOut,
    # The request's session only reads the key, so it leaves SQLite's one writer lock to the job,
    # which works in sessions of its own.
    dependencies=[Depends(read_only_request)],
    summary="Ejecutar un trabajo ahora / Run a job now",
)
def run_now(
    name: str,
    _principal: AnalystOrAdmin,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    body: Annotated[JobRunIn | None, Body()] = None,
) -> JobRunOut:
    if get_job(name) is None:
        names = ", ".join(job_names())
        raise NotFound(
            "job_not_found",
            f"No existe el trabajo {name!r}; hay: {names}. / No job {name!r}; there are: {names}.",
        )
    as_of = body.as_of if body else None
    if as_of is not None and as_of > utcnow() + AS_OF_AHEAD:
        raise InvalidData.field(
            "as_of_ahead",
            "as_of está más de un día en el futuro. / as_of is more than a day ahead.",
            "as_of",
            "a lo sumo un día en el futuro / at most a day ahead",
        )
    outcome = run_job(
        name,
        settings=settings,
        session_factory=factory,
        tick=utcnow(),
        as_of=as_of,
    )
    if outcome.status == JobStatus.failed:
        raise Failed(
            "job_failed",
            f"El trabajo {name} falló: {outcome.error} / The job {name} failed: {outcome.error}",
        )
    return JobRunOut(
        job=outcome.job,
        status=outcome.status,
        run_id=outcome.run_id,
        tick=outcome.tick,
        as_of=outcome.as_of,
        summary=outcome.summary,
        error=outcome.error,
    )
