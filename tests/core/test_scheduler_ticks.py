"""The scheduler's tick alignment (pure): every process computes the same tick for a moment."""

from __future__ import annotations

from datetime import UTC, datetime

from ews.jobs.scheduler import daily_due, daily_tick_for, tick_for


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
