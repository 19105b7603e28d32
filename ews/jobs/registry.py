"""Named jobs. A job is ``job(*, settings, session_factory, as_of) -> dict`` (its summary); add one
with one line in :data:`JOBS`. ``pipeline`` runs the registered ones of :data:`PIPELINE` in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from ews.jobs.compute import compute_indicators
from ews.settings import Settings


class Job(Protocol):
    def __call__(
        self, *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
    ) -> dict[str, Any]: ...


JOBS: dict[str, Job] = {
    "compute-indicators": compute_indicators,
}
PIPELINE = ("compute-indicators", "evaluate-alerts", "deliver-notifications")


def pipeline(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Compute indicators, evaluate alerts, deliver notifications: whichever are registered."""
    return {
        name: JOBS[name](settings=settings, session_factory=session_factory, as_of=as_of)
        for name in PIPELINE
        if name in JOBS
    }


def job_names() -> list[str]:
    return [*JOBS, "pipeline"]


def get_job(name: str) -> Job | None:
    return pipeline if name == "pipeline" else JOBS.get(name)


def schedules(settings: Settings) -> dict[str, float]:
    """Seconds between ticks of each scheduled job that is registered."""
    every = {
        "compute-indicators": settings.compute_interval_minutes * 60,
        "evaluate-alerts": settings.evaluate_interval_minutes * 60,
        "deliver-notifications": settings.deliver_interval_seconds,
        "pull-feeds": settings.feed_pull_interval_minutes * 60,
    }
    return {name: float(seconds) for name, seconds in every.items() if name in JOBS and seconds > 0}
