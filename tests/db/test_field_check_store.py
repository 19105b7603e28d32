"""Field checks in the store, on both engines: a feed file opens one check per point and community
whose territory or approach zone holds it, on the point's local day; a verdict leaves that day in
``pending_work`` (the trigger of migration 0017)."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ews.checks.opening import open_checks
from ews.checks.verdicts import VerdictIn, store_verdict
from ews.intake.feeds import FeedSource, ingest_feed
from ews.models import CheckSource, FieldCheck, PendingWork
from ews.models.base import utcnow

VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
# 2026-11-26 03:30 UTC is 22:30 on the 25th in Lima: the check counts on Lima's day.
ROWS = [
    "-8.3100,-74.0800,330.0,0.4,0.4,2026-11-26,330,N20,VIIRS,l,2.0NRT,290.0,5.0,N",  # territory
    "-8.3300,-74.0000,330.0,0.4,0.4,2026-11-26,330,N20,VIIRS,h,2.0NRT,290.0,5.0,N",  # ring
    "-12.0500,-77.0400,330.0,0.4,0.4,2026-11-26,330,N20,VIIRS,h,2.0NRT,290.0,5.0,N",  # Lima
]
NOV25 = (date(2026, 11, 25) - date(1970, 1, 1)).days


def _ingest(db: Session) -> None:
    body = "\n".join([VIIRS, *ROWS]) + "\n"
    ingest_feed(session=db, source=FeedSource.firms, stream=io.BytesIO(body.encode()), origin="t")


def test_a_feed_file_opens_a_check_per_point_in_a_zone_on_its_local_day(db: Session) -> None:
    _ingest(db)
    checks = db.execute(select(FieldCheck).order_by(FieldCheck.zone)).scalars().all()
    assert [(c.source, c.community_code, c.zone, c.day) for c in checks] == [
        ("firms", "flor-de-ucayali", "buffer", NOV25),
        ("firms", "flor-de-ucayali", "core", NOV25),
    ]
    _ingest(db)  # the same file again
    assert len(db.execute(select(FieldCheck.id)).all()) == 2


def test_opening_checks_says_how_many_it_opened(db: Session) -> None:
    _ingest(db)
    db.execute(delete(FieldCheck))
    assert open_checks(db, source=CheckSource.firms) == 2  # as `ews demo` reports it
    assert open_checks(db, source=CheckSource.firms) == 0


def test_a_verdict_leaves_its_points_local_day_pending(db: Session) -> None:
    _ingest(db)
    db.execute(delete(PendingWork))
    check = db.execute(select(FieldCheck).where(FieldCheck.zone == "core")).scalar_one()
    verdict = VerdictIn.model_validate(
        {"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "verdict": "confirmed"}
    )
    store_verdict(db, check=check, verdict=verdict, reporter_pseudonym="p" * 64, now=utcnow())
    days = db.execute(select(PendingWork.day, PendingWork.source)).all()
    assert [(d.day, d.source) for d in days] == [(NOV25, "field_verdict")]
