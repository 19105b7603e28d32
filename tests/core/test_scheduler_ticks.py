"""The scheduler's tick alignment (pure): every process computes the same tick for a moment."""

from __future__ import annotations

from datetime import UTC, datetime

from ews.jobs.scheduler import tick_for


def test_tick_alignment_is_the_same_in_every_process() -> None:
    moment = datetime(2026, 11, 26, 15, 7, 31, tzinfo=UTC)
    assert tick_for(moment, 900) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    assert tick_for(datetime(2026, 11, 26, 15, 15, tzinfo=UTC), 900) == datetime(
        2026, 11, 26, 15, 15, tzinfo=UTC
    )
