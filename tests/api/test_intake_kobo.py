"""Kobo/ODK submissions as patrol reports: the question mapping, created, resent and edited
submissions, geopoints, conflicting resends kept for review; and the roles and report listeners
that Kobo and SMS share. SMS on its own is in ``test_intake_sms.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.auth.pseudonyms import pseudonymize
from ews.intake.kobo import DEFAULT_MAPPING, mapping_from, report_payload
from ews.models import QuarantineRow, Report
from ews.settings import Settings
from tests.support.patrol_reports import COMMUNITY
from tests.support.sms_gateway import sms
from tests.support.web import auth

INSTANCE = "uuid:3f8e0c52-1b1e-4c57-9e3a-5c2a7f6d9b10"
EDIT = "uuid:9a0b7c41-6e2d-4f18-8b55-2d1c3e4f5a60"


def submission(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_id": 101,
        "formhub/uuid": "a1b2",
        "start": "2026-11-20T07:55:00.000-05:00",
        "end": "2026-11-20T08:10:00.000-05:00",
        "patrulla/community": COMMUNITY,
        "patrulla/amenaza/threat_type": "tala",
        "patrulla/amenaza/severity": "4",
        "patrulla/description": "camión con trozas en la trocha",
        "_geolocation": [-8.3, -74.08],
        "meta/instanceID": INSTANCE,
        "_submission_time": "2026-11-20T13:20:00",
        "_submitted_by": "vigilante01",
    }
    body.update(overrides)
    return body


def test_default_mapping_reads_questions_in_groups() -> None:
    payload = report_payload(submission(), DEFAULT_MAPPING, report_id="x")
    assert payload == {
        "id": "x",
        "community": COMMUNITY,
        "threat_type": "illegal_logging",
        "severity": "4",
        "description": "camión con trozas en la trocha",
        "observed_at": "2026-11-20T07:55:00.000-05:00",
        "latitude": -8.3,
        "longitude": -74.08,
    }
    bare = {k: v for k, v in submission().items() if k != "start"}
    assert report_payload(bare, DEFAULT_MAPPING, report_id="x")["observed_at"] == (
        "2026-11-20T13:20:00+00:00"
    )


def test_configured_mapping_replaces_default_questions() -> None:
    custom = {
        "comunidad": COMMUNITY,
        "g/tipo": "fuego",
        "g/nivel": 2,
        "g/punto": "-8.2 -74.05 120 5",
        "start": "2026-11-20T07:55:00-05:00",
    }
    mapping = mapping_from(
        {
            "community": ["comunidad"],
            "threat_type": ["tipo"],
            "severity": ["nivel"],
            "location": ["punto", "_geolocation"],
        }
    )
    payload = report_payload(custom, mapping, report_id="x")
    assert payload["community"] == COMMUNITY
    assert payload["threat_type"] == "fire"
    assert payload["severity"] == 2
    assert (payload["latitude"], payload["longitude"]) == (-8.2, -74.05)


def test_kobo_created_resent_edited(
    client: TestClient, db: Session, feed: str, settings: Settings
) -> None:
    first = client.post("/api/v1/intake/kobo", json=submission(), headers=auth(feed))
    assert first.status_code == 201, first.text
    report_id = first.json()["id"]
    assert report_id == INSTANCE.removeprefix("uuid:")
    row = db.get(Report, report_id)
    assert row is not None
    assert row.source == "kobo"
    assert row.threat_type == "illegal_logging"
    assert row.severity == 4
    assert row.observed_at == datetime(2026, 11, 20, 12, 55, tzinfo=UTC)
    assert row.reporter_pseudonym == pseudonymize(settings.secret_key, "kobo:vigilante01")
    again = client.post("/api/v1/intake/kobo", json=submission(), headers=auth(feed))
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    other = client.post(
        "/api/v1/intake/kobo",
        json=submission(**{"patrulla/amenaza/severity": "1"}),
        headers=auth(feed),
    )
    assert other.status_code == 409
    edit = submission(
        **{"meta/instanceID": EDIT, "meta/deprecatedID": INSTANCE, "patrulla/amenaza/severity": "5"}
    )
    edited = client.post("/api/v1/intake/kobo", json=edit, headers=auth(feed))
    assert (edited.status_code, edited.json()) == (200, {"id": report_id, "status": "replaced"})
    rows = db.execute(select(Report).where(Report.source == "kobo")).scalars().all()
    db.refresh(rows[0])
    assert [(r.id, r.severity, r.source_ref) for r in rows] == [(report_id, 5, EDIT)]
    resent_edit = client.post("/api/v1/intake/kobo", json=edit, headers=auth(feed))
    assert resent_edit.json()["status"] == "duplicate"
    resent_old = client.post("/api/v1/intake/kobo", json=submission(), headers=auth(feed))
    assert (resent_old.status_code, resent_old.json()["status"]) == (200, "superseded")
    assert len(db.execute(select(Report).where(Report.source == "kobo")).scalars().all()) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"meta/instanceID": None}, "meta/instanceID"),
        ({"patrulla/community": "nadie"}, "community"),
        ({"patrulla/amenaza/threat_type": "ovni"}, "threat_type"),
        ({"patrulla/amenaza/severity": "9"}, "severity"),
        ({"_geolocation": [95, -74]}, "_geolocation"),
    ],
)
def test_kobo_invalid_names_the_field(
    client: TestClient, feed: str, change: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/intake/kobo", json=submission(**change), headers=auth(feed))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_kobo_and_sms_roles(client: TestClient, make_key: Any) -> None:
    monitor = make_key("monitor", community=COMMUNITY)
    assert (
        client.post("/api/v1/intake/kobo", json=submission(), headers=auth(monitor)).status_code
        == 403
    )
    assert client.post("/api/v1/intake/sms", json={}, headers=auth(monitor)).status_code == 403
    assert client.post("/api/v1/intake/kobo", json=submission()).status_code == 401
    admin = make_key("admin")
    assert (
        client.post("/api/v1/intake/kobo", json=submission(), headers=auth(admin)).status_code
        == 201
    )


def test_kobo_and_sms_run_listeners(app: Any, client: TestClient, feed: str) -> None:
    seen: list[str] = []
    app.state.report_listeners.append(seen.append)
    kobo = client.post("/api/v1/intake/kobo", json=submission(), headers=auth(feed)).json()["id"]
    client.post("/api/v1/intake/kobo", json=submission(), headers=auth(feed))
    text = client.post("/api/v1/intake/sms", json=sms(), headers=auth(feed)).json()["report_id"]
    client.post("/api/v1/intake/sms", json=sms(), headers=auth(feed))
    assert seen == [kobo, text]


def test_kobo_mapping_comes_from_settings(
    settings: Settings, migrated_engine: Any, session_factory: Any, make_key: Any, db: Session
) -> None:
    from ews.api.app import create_app
    from tests.support.settings import make_settings

    custom = make_settings(
        settings.database_url,
        kobo_mapping={"community": ["comunidad"], "threat_type": ["tipo"], "severity": ["nivel"]},
    )
    app = create_app(custom, engine=migrated_engine, session_factory=session_factory)
    form = {
        "g/comunidad": COMMUNITY,
        "g/tipo": "mineria",
        "g/nivel": 2,
        "start": "2026-11-20T07:55:00-05:00",
        "meta/instanceID": "uuid:11111111-2222-4333-8444-555555555555",
    }
    with TestClient(app) as client:
        response = client.post("/api/v1/intake/kobo", json=form, headers=auth(make_key("feed")))
    assert response.status_code == 201, response.text
    row = db.get(Report, "11111111-2222-4333-8444-555555555555")
    assert row is not None
    assert (row.threat_type, row.severity) == ("illegal_mining", 2)


@pytest.mark.parametrize(
    ("geolocation", "position"),
    [
        ("-8.3,-74.1", (-8.3, -74.1)),
        ("-8.3 -74.1 150 4.5", (-8.3, -74.1)),
        ({"lat": -8.3, "lon": -74.1}, (-8.3, -74.1)),
        ({"type": "Point", "coordinates": [-74.1, -8.3]}, (-8.3, -74.1)),
        (["-8.3", "-74.1"], (-8.3, -74.1)),
        ([None, None], (None, None)),
    ],
)
def test_kobo_geopoints_in_every_shape_keep_the_position(
    client: TestClient, db: Session, feed: str, geolocation: Any, position: Any
) -> None:
    response = client.post(
        "/api/v1/intake/kobo", json=submission(_geolocation=geolocation), headers=auth(feed)
    )
    assert response.status_code == 201, response.text
    row = db.get(Report, response.json()["id"])
    assert row is not None
    assert (row.latitude, row.longitude) == position


@pytest.mark.parametrize(
    ("geolocation", "words"),
    [
        ([-8.3], "falta la longitud"),
        ({"x": -8.3, "y": -74.1}, "se espera"),
        ("-8.3 -74.1 0 0;-8.4 -74.2 0 0", "no un punto"),
    ],
)
def test_kobo_unreadable_geopoint_is_refused_and_kept_once_pseudonymized(
    client: TestClient, db: Session, feed: str, geolocation: Any, words: str
) -> None:
    body = submission(_geolocation=geolocation, deviceid="imei:356938035643809")
    for _ in range(2):
        response = client.post("/api/v1/intake/kobo", json=body, headers=auth(feed))
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        assert error["field"] == "_geolocation"
        assert words in error["message"]
        assert "no se pudo leer la posición" in error["message"]
    assert db.get(Report, INSTANCE.removeprefix("uuid:")) is None
    kept = db.scalars(select(QuarantineRow).where(QuarantineRow.source == "kobo")).all()
    assert len(kept) == 1
    assert "camión con trozas" in kept[0].raw
    assert "_geolocation" in kept[0].error
    assert "vigilante01" not in kept[0].raw
    assert "356938035643809" not in kept[0].raw
    assert "pseudonym:" in kept[0].raw


def test_kobo_conflicting_resend_is_kept_for_review(
    client: TestClient, db: Session, feed: str
) -> None:
    assert (
        client.post("/api/v1/intake/kobo", json=submission(), headers=auth(feed)).status_code == 201
    )
    other = submission(**{"patrulla/amenaza/severity": "5"})
    for _ in range(2):
        assert client.post("/api/v1/intake/kobo", json=other, headers=auth(feed)).status_code == 409
    kept = db.scalars(select(QuarantineRow).where(QuarantineRow.source == "kobo")).all()
    assert [row.details["status"] for row in kept if row.details] == ["conflict"]
