"""The scheduler: APScheduler 3 with an in-memory job store (never shared). Ticks are aligned to
whole intervals since 2000-01-01 UTC, so every scheduler process computes the same tick for the same
moment, and the claim in ``job_run`` lets exactly one of them run it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from ews.jobs.registry import FOLLOWERS, daily_schedules, schedules
from ews.jobs.runs import run_job
from ews.models.base import utcnow
from ews.settings import Settings
from indicators.days import LIMA

logger = logging.getLogger(__name__)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def tick_for(moment: datetime, seconds: float) -> datetime:
    """The start of the interval ``moment`` falls in (intervals aligned to :data:`EPOCH`)."""
    elapsed = (moment - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=(elapsed // seconds) * seconds)


def daily_tick_for(moment: datetime, hour: int) -> datetime:
    """The latest ``hour``:00 Lima time at or before ``moment`` (in UTC): a daily job's tick."""
    local = moment.astimezone(LIMA)
    tick = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if tick > local:
        tick -= timedelta(days=1)
    return tick.astimezone(UTC)


def daily_due(moment: datetime, hour: int) -> bool:
    """Whether today's (Lima) run of a daily job at ``hour`` is due at ``moment``: not before
    the hour, so a scheduler started at 3 a.m. does not send the day's digest early (nor
    yesterday's late)."""
    return daily_tick_for(moment, hour).astimezone(LIMA).date() == moment.astimezone(LIMA).date()


def _daily_runner(
    name: str, hour: int, settings: Settings, factory: sessionmaker[Session]
) -> Callable[[], None]:
    def run() -> None:
        now = utcnow()
        if daily_due(now, hour):
            tick = daily_tick_for(now, hour)
            run_job(name, settings=settings, session_factory=factory, tick=tick, as_of=now)

    return run


def _tick_runner(
    name: str, seconds: float, settings: Settings, factory: sessionmaker[Session]
) -> Callable[[], None]:
    def run() -> None:
        tick = tick_for(utcnow(), seconds)
        for job in (name, *FOLLOWERS.get(name, ())):
            run_job(job, settings=settings, session_factory=factory, tick=tick, as_of=tick)

    return run


def build_scheduler(
    settings: Settings, factory: sessionmaker[Session], *, blocking: bool = False
) -> BaseScheduler:
    """A scheduler with one interval job per registered, scheduled job (see ``registry.schedules``)."""
    options = {"jobstores": {"default": MemoryJobStore()}, "timezone": UTC}
    scheduler: BaseScheduler = (
        BlockingScheduler(**options) if blocking else BackgroundScheduler(**options)
    )
    for name, seconds in schedules(settings).items():
        scheduler.add_job(
            _tick_runner(name, seconds, settings, factory),
            IntervalTrigger(seconds=seconds, start_date=EPOCH, timezone=UTC),
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            # The current tick at once: a (re)started service catches up without waiting a whole
            # interval; the claim in job_run keeps it to one run across processes.
            next_run_time=utcnow(),
            misfire_grace_time=max(1, int(seconds)),
        )
        logger.info("scheduled %s every %s s", name, seconds)
    for name, hour in daily_schedules(settings).items():
        scheduler.add_job(
            _daily_runner(name, hour, settings, factory),
            CronTrigger(hour=hour, minute=0, timezone=LIMA),
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            # At once as well: a service (re)started after the hour catches up on today's run (the
            # claims keep it to one); before the hour, the run waits for it.
            next_run_time=utcnow(),
            misfire_grace_time=3600,
        )
        logger.info("scheduled %s daily at %02d:00 Lima time", name, hour)
    return scheduler
