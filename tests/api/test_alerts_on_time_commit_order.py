"""Alerts on time (issue 11) where transactions overlap, on the jobs and the database directly:

- an ingest committed long after its received stamp counts in the first computation that starts
  after its commit, once;
- every write of an input row (insert, edit across Lima's midnight, delete) leaves its local day
  pending;
- a computation whose snapshot was taken before an urgent report cannot lower the fast path's alert
  (PostgreSQL only).
"""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ews.db import build_engine, build_session_factory
from ews.intake.reports import ValidReport, store_report
from ews.jobs.entry_points import compute_indicators
from ews.models import IndicatorValue, PendingWork, Report
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import LIMA, local_day_end
from tests.support.alert_timeline import INSIDE
from tests.support.patrol_reports import COMMUNITY


def test_an_ingest_committed_long_after_its_received_stamp_counts_in_the_next_run_once(
    fresh_settings: Settings, engine_name: str
) -> None:
    """No settling time: whatever the received stamp, a row counts in the first computation that
    starts after its commit, and in no later one. On PostgreSQL a computation runs while the
    ingest's transaction is open and does not count it; on SQLite the computation waits for the
    one writer and counts it."""
    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = utcnow()
    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    stamped = now - timedelta(hours=3)  # when the long transaction began
    report = ValidReport(
        id=str(uuid.uuid4()),
        community_code=COMMUNITY,
        threat_type="settler_invasion",
        severity=3,
        observed_at=now - timedelta(hours=4),
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        description=None,
    )
    ingest = factory()
    store_report(ingest, report=report, reporter_pseudonym="p" * 64, now=stamped)
    ingest.flush()
    done: list[dict[str, Any]] = []
    runner = threading.Thread(
        target=lambda: done.append(
            compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
        )
    )
    runner.start()
    if engine_name == "postgresql":
        runner.join(timeout=60)
        assert done
        assert done[0]["pending_days"] == 0
        assert invasion_value(factory) == 0  # not committed when the computation began
    ingest.commit()
    ingest.close()
    runner.join(timeout=60)
    assert not runner.is_alive()
    for _ in range(2):
        compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
        assert invasion_value(factory) == 1
    engine.dispose()


def invasion_value(factory: Any) -> float:
    with factory() as session:
        today = local_day_end(utcnow())
        row = session.execute(
            select(IndicatorValue).where(
                IndicatorValue.code == "invasion_reports", IndicatorValue.window_end == today
            )
        ).scalar_one()
        assert row.inputs == row.value
        return float(row.value)


def test_every_write_of_an_input_row_leaves_its_local_day_pending(db: Session) -> None:
    """The triggers: inserts, edits (the day before and the day after) and deletes, each on its
    local day in Lima's calendar, to the microsecond before midnight."""

    def pending() -> list[int]:
        days = db.execute(delete(PendingWork).returning(PendingWork.day)).scalars().all()
        return sorted(set(days))

    pending()
    late_evening = datetime(2026, 11, 25, 23, 59, 59, 999_999, tzinfo=LIMA)
    report = ValidReport(str(uuid.uuid4()), COMMUNITY, "fire", 2, late_evening, None, None, None)
    store_report(db, report=report, reporter_pseudonym="p" * 64, now=utcnow())
    nov25 = (late_evening.date() - date(1970, 1, 1)).days
    assert pending() == [nov25]
    row = db.get(Report, report.id)
    assert row is not None
    row.observed_at = late_evening + timedelta(microseconds=1)  # midnight in Lima
    db.flush()
    assert pending() == [nov25, nov25 + 1]
    db.delete(row)
    db.flush()
    assert pending() == [nov25 + 1]


# PostgreSQL only: on SQLite a computation holds the one writer's lock, so no report can commit
# while it runs.
@pytest.mark.parametrize("engine_name", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_computation_that_began_before_an_urgent_report_cannot_lower_its_alert(
    fresh_settings: Settings, engine_name: str
) -> None:
    """Whichever runs last decides on the newest evidence: a computation whose snapshot was taken
    before the urgent report commits after the fast path; its values (one report: high) must not
    deescalate the critical alert. The next computation counts the report and releases it."""
    from ews import counters
    from ews.alerting.urgent import evaluate_urgent_report
    from ews.db import session_scope
    from ews.jobs.compute import compute, start_computation
    from ews.jobs.entry_points import evaluate_alerts
    from ews.models import Alert, AlertEvent

    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = utcnow()

    def post(severity: int) -> str:
        report = ValidReport(
            str(uuid.uuid4()), COMMUNITY, "threat_to_defender", severity,
            now - timedelta(minutes=20 - severity), INSIDE[0], INSIDE[1], None,
        )  # fmt: skip
        with session_scope(factory) as session:
            store_report(session, report=report, reporter_pseudonym="p" * 64, now=now)
        evaluate_urgent_report(
            settings=fresh_settings, session_factory=factory, report_id=report.id
        )
        return report.id

    def defender() -> tuple[str, list[str]]:
        with factory() as session:
            alert = session.execute(
                select(Alert).where(Alert.category == "defender_safety")
            ).scalar_one()
            kinds = session.execute(
                select(AlertEvent.kind)
                .where(AlertEvent.alert_id == alert.id)
                .order_by(AlertEvent.id)
            ).scalars()
            return alert.level, list(kinds)

    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    post(2)  # not urgent; no computation yet
    number = start_computation(factory)
    early = factory()
    early.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    counters.read(early, counters.COMPUTATIONS_DONE, for_update=True)  # its snapshot, taken now
    post(5)  # the fast path: critical at once
    assert defender() == ("critical", ["raised", "escalated_national"])
    compute(early, as_of=now, computation=number, computed_at=now)  # one report: high
    early.commit()
    early.close()
    evaluate_alerts(settings=fresh_settings, session_factory=factory, as_of=now)
    assert defender() == ("critical", ["raised", "escalated_national"])
    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    evaluate_alerts(settings=fresh_settings, session_factory=factory, as_of=now)
    assert defender() == ("critical", ["raised", "escalated_national"])
    with factory() as session:
        held = select(Alert.hold_until).where(Alert.category == "defender_safety")
        assert session.execute(held).scalar_one() is None  # released
        value = session.execute(
            select(IndicatorValue).where(IndicatorValue.code == "defender_threats")
        ).scalar_one()
        assert (value.value, value.level) == (2, "critical")
    engine.dispose()
