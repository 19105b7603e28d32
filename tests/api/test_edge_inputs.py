"""Every written field at the edge of its range, on both engines: timestamps at the first and last
moments of the calendar in every offset and around each plausibility bound (2000-01-01, now + 10
minutes for reports, now + one day for feed rows and job runs) in reports, batches, Kobo, SMS,
silences and feed files; and a fuzzing run of every operation with edge timestamps. Every write
route answers 2xx or a 4xx naming the field, never a 5xx; what is stored is what was sent, nothing
more or less. Filters and cursors at their edges are in ``test_edge_queries.py``.

Each test checks the answer against its own oracle (``tests.support.edges``), not against the code
under test. The server's own exceptions are turned into 500 answers (``raise_server_exceptions=False``)
so a failure shows the input that caused it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from schemathesis.specs.openapi.formats import unregister_string_format
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.models import QuarantineRow, Report, Silence
from tests.support.edges import (
    CLOCK_SLACK,
    DAY_AHEAD,
    EARLIEST,
    EXAMPLES,
    NOW,
    REPORT_AHEAD,
    assert_answer,
    edge_days,
    edge_timestamps,
    field_named,
    fuzz_every_operation,
    in_utc,
    parse_aware,
    plausible,
    readable,
    report,
)
from tests.support.patrol_reports import COMMUNITY
from tests.support.web import auth

GOOD = (NOW - timedelta(hours=1)).isoformat()


def test_report_observed_at_at_every_edge(
    edge_client: TestClient, make_key: Any, db: Session
) -> None:
    monitor = auth(make_key("monitor", community=COMMUNITY))

    @EXAMPLES
    @given(text=edge_timestamps(NOW))
    def check(text: str) -> None:
        body = report(text)
        response = edge_client.post("/api/v1/reports", json=body, headers=monitor)
        expected = plausible(text, ahead=REPORT_AHEAD)
        assert_answer(response, ok=201, expected=expected)
        field_named(response, "observed_at")
        stored = db.get(Report, body["id"], populate_existing=True)
        if response.status_code == 201:
            moment = parse_aware(text)
            assert stored is not None
            assert moment is not None
            assert stored.observed_at == moment  # the same moment, nothing invented
        else:
            assert stored is None

    check()


def test_a_batch_answers_each_item_whatever_one_item_holds(
    edge_client: TestClient, make_key: Any
) -> None:
    monitor = auth(make_key("monitor", community=COMMUNITY))

    @EXAMPLES
    @given(text=edge_timestamps(NOW))
    def check(text: str) -> None:
        items = [report(GOOD), report(text), report(GOOD)]
        response = edge_client.post(
            "/api/v1/reports/batch", json={"reports": items}, headers=monitor
        )
        assert response.status_code == 200, response.text
        answers = response.json()["items"]
        assert [a["id"] for a in answers] == [item["id"] for item in items]
        assert answers[0]["status"] == answers[2]["status"] == "created"
        expected = plausible(text, ahead=REPORT_AHEAD)
        if expected is not None:
            assert answers[1]["status"] == ("created" if expected else "invalid"), answers[1]
        if answers[1]["status"] == "invalid":
            assert answers[1]["errors"][0]["field"] == "observed_at"

    check()


def kobo(start: str) -> dict[str, Any]:
    return {
        "community": COMMUNITY,
        "threat_type": "tala",
        "severity": "3",
        "start": start,
        "_geolocation": [-8.3, -74.08],
        "meta/instanceID": f"uuid:{uuid.uuid4()}",
    }


def test_kobo_start_at_every_edge(edge_client: TestClient, make_key: Any, db: Session) -> None:
    feed = auth(make_key("feed"))

    @EXAMPLES
    @given(text=edge_timestamps(NOW))
    def check(text: str) -> None:
        submission = kobo(text)
        response = edge_client.post("/api/v1/intake/kobo", json=submission, headers=feed)
        assert_answer(response, ok=201, expected=plausible(text, ahead=REPORT_AHEAD))
        field_named(response, "observed_at")
        if response.status_code == 422:  # kept for review, once
            kept = db.scalars(
                select(QuarantineRow).where(
                    QuarantineRow.source == "kobo",
                    QuarantineRow.raw.contains(submission["meta/instanceID"]),
                )
            ).all()
            assert len(kept) == 1

    check()


def test_sms_received_at_at_every_edge(edge_client: TestClient, make_key: Any, db: Session) -> None:
    """A gateway time the calendar cannot hold is a malformed request (422); a readable one that is
    implausible is a rejected SMS whose text is kept; a plausible one makes a report."""
    feed = auth(make_key("feed"))

    @EXAMPLES
    @given(text=edge_timestamps(NOW))
    def check(text: str) -> None:
        gateway_id = f"gw-{uuid.uuid4()}"
        message = {
            "id": gateway_id,
            "from": "+51 987 000 111",
            "text": "EWS flor-de-ucayali fuego 3 -8.31 -74.10 humo",
            "received_at": text,
        }
        response = edge_client.post("/api/v1/intake/sms", json=message, headers=feed)
        assert response.status_code < 500, response.text
        if not readable(text):
            assert response.status_code == 422, response.text
            field_named(response, "received_at")
            return
        expected = plausible(text, ahead=REPORT_AHEAD)
        if expected is None:
            return
        if expected:
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "accepted"
            return
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "rejected"
        kept = db.scalars(
            select(QuarantineRow).where(
                QuarantineRow.source == "sms", QuarantineRow.raw == message["text"]
            )
        ).all()
        mine = [row for row in kept if row.details and row.details["gateway_id"] == gateway_id]
        assert len(mine) == 1
        assert "987000111" not in str(mine[0].details)

    check()


def test_silence_bounds_at_every_edge(edge_client: TestClient, make_key: Any, db: Session) -> None:
    analyst = auth(make_key("analyst"))

    @EXAMPLES
    @given(ends=edge_timestamps(NOW), starts=st.none() | edge_timestamps(NOW))
    def check(ends: str, starts: str | None) -> None:
        body: dict[str, Any] = {"community": COMMUNITY, "ends_at": ends, "reason": "prueba"}
        if starts is not None:
            body["starts_at"] = starts
        before = db.scalar(select(func.count()).select_from(Silence))
        response = edge_client.post("/api/v1/silences", json=body, headers=analyst)
        assert response.status_code in (201, 422), response.text
        after = db.scalar(select(func.count()).select_from(Silence))
        assert after == before + (response.status_code == 201)
        end = in_utc(parse_aware(ends)) if parse_aware(ends) else None
        start = in_utc(parse_aware(starts)) if starts and parse_aware(starts) else None
        sound_end = end is not None and end >= EARLIEST and end > datetime.now(UTC) + CLOCK_SLACK
        sound_start = starts is None or (start is not None and start >= EARLIEST)
        if response.status_code == 201:
            assert sound_end
            assert sound_start
            assert response.json()["ends_at"].startswith(end.strftime("%Y-%m-%dT%H:%M"))
        elif sound_end and sound_start and (start is None or start < end):
            pytest.fail(f"refused a sound silence: {body} -> {response.text}")

    check()


VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
GFW = "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence"


def feed_day_plausible(day: date, hhmm: str = "2359") -> bool | None:
    latest = datetime.now(UTC) + DAY_AHEAD
    moment = datetime.combine(day, datetime.min.time(), UTC).replace(
        hour=int(hhmm[:2]), minute=int(hhmm[2:])
    )
    if day < EARLIEST.date():
        return False
    if day == latest.date() or day == (latest + CLOCK_SLACK).date():
        return None
    return moment <= latest


def test_feed_dates_at_every_edge_load_or_quarantine_once(
    edge_client: TestClient, make_key: Any, db: Session
) -> None:
    feed = auth(make_key("feed"))

    @EXAMPLES
    @given(day=edge_days(), hhmm=st.sampled_from(("0000", "0001", "1200", "2359")))
    def check(day: str, hhmm: str) -> None:
        firms = f"{VIIRS}\n-8.3,-74.1,330,0.4,0.4,{day},{hhmm},N,VIIRS,n,2,290,1,N\n".encode()
        gfw = f"{GFW}\n-8.3,-74.1,{day},high\n".encode()
        expected = feed_day_plausible(date.fromisoformat(day), hhmm)
        for source, body, row_text in (
            ("firms", firms, f",{day},{hhmm},"),
            ("gfw", gfw, f",{day},high"),
        ):
            rejected = []
            for _attempt in range(2):  # the same file twice: nothing doubles anywhere
                response = edge_client.post(f"/api/v1/feeds/{source}", content=body, headers=feed)
                assert response.status_code == 200, response.text
                answer = response.json()
                assert answer["rows"] == 1
                assert answer["inserted"] + answer["duplicates"] + len(answer["rejected"]) == 1
                if expected is not None:
                    assert bool(answer["rejected"]) is (not expected), (source, day, answer)
                rejected.append(bool(answer["rejected"]))
            kept = db.scalar(
                select(func.count())
                .select_from(QuarantineRow)
                .where(QuarantineRow.source == source, QuarantineRow.raw.contains(row_text))
            )
            assert kept == (1 if rejected[0] else 0), (source, day, hhmm)

    check()


def test_the_feed_answer_lists_every_bad_row_but_quarantine_keeps_each_once(
    edge_client: TestClient, make_key: Any, db: Session
) -> None:
    feed = auth(make_key("feed"))
    rows = [
        "-8.3,-74.1,330,0.4,0.4,1900-01-01,0533,N,VIIRS,n,2,290,1,N",
        "-8.3,-74.1,330,0.4,0.4,2099-12-31,0533,N,VIIRS,n,2,290,1,N",
        "-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,x,2,290,1,N",
        "-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N",
    ]
    body = "\n".join([VIIRS, *rows]).encode()
    for attempt in range(3):
        answer = edge_client.post("/api/v1/feeds/firms", content=body, headers=feed).json()
        assert [r["row"] for r in answer["rejected"]] == [2, 3, 4]
        assert answer["inserted"] == (1 if attempt == 0 else 0)
    reasons = db.scalars(
        select(QuarantineRow.error)
        .where(QuarantineRow.source == "firms")
        .order_by(QuarantineRow.id)
    ).all()
    assert len(reasons) == 3
    assert "2000-01-01" in reasons[0]
    assert "2000-01-01" in reasons[1]
    # A longer file that repeats the same bad rows (a pull overlapping the last one) adds nothing.
    longer = "\n".join([VIIRS, rows[3], *rows]).encode()
    edge_client.post("/api/v1/feeds/firms", content=longer, headers=feed)
    assert (
        db.scalar(
            select(func.count()).select_from(QuarantineRow).where(QuarantineRow.source == "firms")
        )
        == 3
    )


def test_a_nul_deep_in_a_feed_file_quarantines_its_row(
    edge_client: TestClient, make_key: Any, db: Session
) -> None:
    """Past the first 64 KB the file is not sniffed for binary: a NUL there is one bad row."""
    feed = auth(make_key("feed"))
    good = [
        f"-8.3,-74.{i:04d},330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N" for i in range(1200)
    ]
    bad = "-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N\x00,VIIRS,n,2,290,1,N"
    body = "\n".join([VIIRS, *good, bad]).encode()
    answer = edge_client.post("/api/v1/feeds/firms", content=body, headers=feed).json()
    assert answer["inserted"] == 1200
    assert [r["row"] for r in answer["rejected"]] == [1202]
    kept = db.scalars(select(QuarantineRow).where(QuarantineRow.row_number == 1202)).one()
    assert "\x00" not in kept.raw
    assert "\ufffd" in kept.raw


def test_feeds_keep_the_whole_answer_shape_under_multipart(
    edge_client: TestClient, make_key: Any
) -> None:
    feed = auth(make_key("feed"))
    body = f"{VIIRS}\n-8.3,-74.1,330,0.4,0.4,0001-01-01,0000,N,VIIRS,n,2,290,1,N\n".encode()
    response = edge_client.post(
        "/api/v1/feeds/firms",
        files={"file": ("edge.csv", io.BytesIO(body), "text/csv")},
        headers=feed,
    )
    assert response.status_code == 200, response.text
    assert response.json()["rejected"][0]["row"] == 2


@pytest.fixture
def edge_date_times() -> Iterator[None]:
    """Schemathesis draws every ``format: date-time`` value from the edge strategy, then forgets it."""
    schemathesis.openapi.format("date-time", edge_timestamps(NOW))
    yield
    unregister_string_format("date-time")


def test_fuzzing_every_operation_with_edge_timestamps_finds_no_server_error(
    app: Any, make_key: Any, edge_date_times: None
) -> None:
    """The OpenAPI document's every operation, with its date-time fields and parameters drawn at the
    edges of the calendar and of plausibility: never a 5xx, and documented answers conform."""
    failures = fuzz_every_operation(
        app,
        headers=auth(make_key("admin")),
        max_examples=12,
        checks=[st_checks.not_a_server_error, st_checks.response_schema_conformance],
    )
    assert failures == [], "\n\n".join(failures)
