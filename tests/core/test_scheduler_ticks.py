"""The scheduler's tick alignment (pure): every process computes the same tick for a moment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import sessionmaker

from ews.jobs.scheduler import build_scheduler, daily_due, daily_tick_for, tick_for
from ews.settings import Settings


def test_tick_alignment_is_the_same_in_every_process() -> None:
    moment = datetime(2026, 11, 26, 15, 7, 31, tzinfo=UTC)
    assert tick_for(moment, 900) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert tick_for(datetime(2026, 11, 26, 15, 15, tzinfo=UTC), 900) == datetime(
        2026, 11, 26, 15, 15, tzinfo=UTC
    )


def test_a_daily_job_ticks_at_its_lima_hour_and_is_due_only_after_it() -> None:
    # 2026-11-29 06:59 and 07:00 in Lima (UTC-5); the digest hour is 7.
    before = datetime(2026, 11, 29, 11, 59, tzinfo=UTC)
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    late = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # 23:30 in Lima, still the 29th
    assert daily_tick_for(at, 7) == at
    assert daily_tick_for(late, 7) == at
    assert daily_tick_for(before, 7) == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert not daily_due(before, 7)
    assert daily_due(at, 7) and daily_due(late, 7)


def test_the_scheduler_runs_the_digest_daily_at_the_configured_lima_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EWS_DIGEST_HOUR", "6")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    scheduler = build_scheduler(settings, sessionmaker())
    job = scheduler.get_job("send-digests")
    assert job is not None
    # 2026-11-29 05:30 in Lima: the next run is at 06:00 Lima, 11:00 UTC.
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 29, 10, 30, tzinfo=UTC))
    assert fire == datetime(2026, 11, 29, 11, 0, tzinfo=UTC)


def test_a_digest_hour_outside_the_day_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EWS_DIGEST_HOUR", "24")
    with pytest.raises(ValidationError, match="digest_hour"):
        Settings(_env_file=None)  # type: ignore[call-arg]
