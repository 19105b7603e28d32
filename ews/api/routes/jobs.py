"""``POST /api/v1/jobs/{name}/run``: run a job now (analyst, admin) and answer its summary."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from ews.api.deps import SessionDep, SettingsDep, require_roles
from ews.api.errors import problem
from ews.api.fields import PlausibleTime
from ews.auth.keys import Role
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
    dependencies=[Depends(require_roles(Role.analyst, Role.admin))],
    summary="Ejecutar un trabajo ahora / Run a job now",
)
def run_now(
    name: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[JobRunIn | None, Body()] = None,
) -> JobRunOut | Any:
    if get_job(name) is None:
        names = ", ".join(job_names())
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"No existe el trabajo {name!r}; hay: {names}. / No job {name!r}; there are: {names}.",
        )
    as_of = body.as_of if body else None
    if as_of is not None and as_of > utcnow() + AS_OF_AHEAD:
        return problem(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "as_of está más de un día en el futuro. / as_of is more than a day ahead.",
            [{"field": "as_of", "message": "a lo sumo un día en el futuro / at most a day ahead"}],
        )
    # The job opens its own sessions: end this one's transaction first (SQLite has one writer).
    session.commit()
    factory: sessionmaker[Session] = request.app.state.session_factory
    outcome = run_job(
        name,
        settings=settings,
        session_factory=factory,
        tick=utcnow(),
        as_of=as_of,
    )
    if outcome.status == JobStatus.failed:
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR,
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
