"""Named jobs. A job is ``job(*, settings, session_factory, as_of) -> dict`` (its summary), an
entry point of :mod:`ews.jobs.entry_points`; add one with one line in :data:`JOBS`. ``pipeline``
runs the registered ones of :data:`PIPELINE` in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from ews.jobs.entry_points import (
    compute_indicators,
    deliver_notifications,
    evaluate_alerts,
    pull_feeds,
    send_digests,
    tell_communities,
)
from ews.models.base import utcnow
from ews.photos.kobo import fetch_photos
from ews.settings import Settings


class Job(Protocol):
    def __call__(
        self, *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
    ) -> dict[str, Any]: ...


JOBS: dict[str, Job] = {
    "compute-indicators": compute_indicators,
    "evaluate-alerts": evaluate_alerts,
    "tell-communities": tell_communities,
    "deliver-notifications": deliver_notifications,
    "pull-feeds": pull_feeds,
    "fetch-photos": fetch_photos,
    "send-digests": send_digests,
}
# Jobs run once a day at a Lima hour (see ``daily_schedules``), not on an interval.
DAILY = ("send-digests",)
PIPELINE = ("compute-indicators", "evaluate-alerts", "tell-communities", "deliver-notifications")
# A scheduled tick of the key runs these right after it, with the same tick (each claimed on its
# own), so alerts are always evaluated on the values just computed.
FOLLOWERS: dict[str, tuple[str, ...]] = {
    "compute-indicators": ("evaluate-alerts", "tell-communities")
}


def pipeline(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Compute indicators, evaluate alerts, deliver notifications, in that order. Delivery runs at
    the real time (or ``as_of`` if later): the messages just queued are due now, whatever moment
    the indicators were computed for."""
    summary: dict[str, Any] = {}
    for name in PIPELINE:
        moment = max(as_of, utcnow()) if name == "deliver-notifications" else as_of
        summary[name] = JOBS[name](settings=settings, session_factory=session_factory, as_of=moment)
    return summary


def job_names() -> list[str]:
    return [*JOBS, "pipeline"]


def get_job(name: str) -> Job | None:
    return pipeline if name == "pipeline" else JOBS.get(name)


def schedules(settings: Settings) -> dict[str, float]:
    """Seconds between ticks of each scheduled job (0 turns one off). Evaluation follows each
    computation (:data:`FOLLOWERS`); delivery is the worker's, unless an interval is set."""
    every = {
        "compute-indicators": settings.compute_interval_minutes * 60,
        "deliver-notifications": settings.deliver_interval_seconds,
        # What institutions did since the last run, told to the communities in one message each.
        "tell-communities": settings.community_update_interval_minutes * 60,
        "pull-feeds": settings.feed_pull_interval_minutes * 60 if settings.feed_pull_sources else 0,
        "fetch-photos": settings.photo_fetch_interval_minutes * 60 if settings.kobo_url else 0,
    }
    return {name: float(seconds) for name, seconds in every.items() if seconds > 0}


def daily_schedules(settings: Settings) -> dict[str, int]:
    """The Lima hour of each daily job."""
    return {"send-digests": settings.digest_hour}
