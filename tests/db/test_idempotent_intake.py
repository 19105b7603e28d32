"""Idempotent intake (``ews.intake.idempotent``): the row a new report gets comes back from its
INSERT, so what the service answers with is what the database holds."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.intake.idempotent import StoreStatus
from ews.intake.reports import ValidReport, store_report
from ews.models import Report
from ews.models.base import utcnow
from tests.support.patrol_reports import COMMUNITY


def _valid(**changes: object) -> ValidReport:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "community_code": COMMUNITY,
        "threat_type": "fire",
        "severity": 2,
        "observed_at": utcnow() - timedelta(hours=1),
        "latitude": -8.31,
        "longitude": -74.1,
        "description": "humo detrás del cerro",
    }
    values.update(changes)
    return ValidReport(**values)  # type: ignore[arg-type]


def test_a_new_report_is_the_sessions_row_equal_to_the_stored_one(db: Session) -> None:
    valid = _valid()
    status, stored = store_report(db, report=valid, reporter_pseudonym="p" * 64, now=utcnow())
    assert status is StoreStatus.created
    assert db.get(Report, valid.id) is stored
    db.commit()  # clean: nothing is inserted a second time
    row = db.execute(select(Report.__table__).where(Report.id == valid.id)).one()
    assert {key: getattr(stored, key) for key in row._fields} == row._asdict()


def test_a_change_to_a_new_report_is_written_and_its_resend_answers_the_same_row(
    db: Session,
) -> None:
    valid = _valid(threat_type="threat_to_defender", severity=3)
    _status, stored = store_report(db, report=valid, reporter_pseudonym="p" * 64, now=utcnow())
    assert stored is not None
    stored.severity = 5
    db.commit()
    assert db.scalar(select(Report.severity).where(Report.id == valid.id)) == 5
    again, row = store_report(db, report=valid, reporter_pseudonym="p" * 64, now=utcnow())
    assert (again, row) == (StoreStatus.duplicate, stored)
    db.commit()
    assert db.scalar(select(Report.severity).where(Report.id == valid.id)) == 5
