"""Patrol reports through the API: idempotent on the client UUID, per-field messages, roles,
batches, listing without reporter identity."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.auth.pseudonyms import pseudonymize
from ews.models import ApiKey, Report
from ews.settings import Settings
from tests.support.patrol_reports import COMMUNITY, report
from tests.support.web import auth


def test_created_then_identical_resend_then_conflict(client: TestClient, monitor: str) -> None:
    body = report()
    first = client.post("/api/v1/reports", json=body, headers=auth(monitor))
    assert first.status_code == 201, first.text
    assert first.json()["id"] == body["id"]
    again = client.post("/api/v1/reports", json=body, headers=auth(monitor))
    assert again.status_code == 200
    assert again.json() == first.json()
    changed = client.post("/api/v1/reports", json={**body, "severity": 5}, headers=auth(monitor))
    assert changed.status_code == 409
    assert "id" in changed.json()["detail"]


def test_same_moment_in_another_offset_is_the_same_report(client: TestClient, monitor: str) -> None:
    body = report(observed_at="2026-11-20T08:30:00-05:00")
    assert client.post("/api/v1/reports", json=body, headers=auth(monitor)).status_code == 201
    utc = {**body, "observed_at": "2026-11-20T13:30:00Z", "description": "  " + body["description"]}
    assert client.post("/api/v1/reports", json=utc, headers=auth(monitor)).status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"community": "no-existe"}, "community", "comunidad desconocida"),
        ({"threat_type": "aliens"}, "threat_type", "tipo de amenaza desconocido"),
        ({"severity": 0}, "severity", "de 1 a 5"),
        ({"severity": 6}, "severity", "de 1 a 5"),
        ({"severity": "alta"}, "severity", "número entero"),
        ({"latitude": 91}, "latitude", "-90 a 90"),
        ({"longitude": -200}, "longitude", "-180 a 180"),
        ({"longitude": None}, "longitude", "juntas"),
        ({"observed_at": "2026-11-20T08:30:00"}, "observed_at", "zona horaria"),
        ({"observed_at": "ayer"}, "observed_at", "ISO 8601"),
        ({"id": "abc"}, "id", "UUID"),
        ({"community": None}, "community", "texto"),
        # Nothing dropped: a field the API does not know is refused, naming it.
        ({"location": "-8.31,-74.10"}, "location", "campo no reconocido"),
        ({"lat": -8.31}, "lat", "no reconocido"),
        # Nothing invented: true is not 1, and a year nobody patrolled is not a date.
        ({"severity": True}, "severity", "no verdadero/falso"),
        ({"latitude": False}, "latitude", "no verdadero/falso"),
        ({"observed_at": "1900-01-01T08:00:00-05:00"}, "observed_at", "anterior al 2000-01-01"),
        ({"observed_at": "0001-01-01T00:00:00+00:01"}, "observed_at", "fuera del calendario"),
        ({"observed_at": "9999-12-31T23:59:59-00:01"}, "observed_at", "fuera del calendario"),
        ({"description": "hola\x00"}, "description", "carácter nulo"),
        ({"description": "hola\ud800"}, "description", "sustituto"),
    ],
)
def test_bad_report_gets_a_message_per_field(
    client: TestClient, monitor: str, change: dict[str, Any], field: str, words: str
) -> None:
    # json.dumps escapes to ASCII, so a lone surrogate travels as the "\\ud800" a client may send.
    response = client.post(
        "/api/v1/reports",
        content=json.dumps(report(**change)),
        headers={**auth(monitor), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert words in errors[0]["message"]


def test_missing_fields_are_each_named(client: TestClient, monitor: str) -> None:
    response = client.post("/api/v1/reports", json={"id": str(uuid.uuid4())}, headers=auth(monitor))
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"community", "threat_type", "severity", "observed_at"}
    assert all("falta" in error["message"] for error in response.json()["errors"])


def test_future_observed_at_is_refused_past_ten_minutes(client: TestClient, monitor: str) -> None:
    soon = report(observed_at=(datetime.now(UTC) + timedelta(minutes=5)).isoformat())
    assert client.post("/api/v1/reports", json=soon, headers=auth(monitor)).status_code == 201
    late = report(observed_at=(datetime.now(UTC) + timedelta(minutes=30)).isoformat())
    response = client.post("/api/v1/reports", json=late, headers=auth(monitor))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "observed_at"
    assert "futuro" in response.json()["errors"][0]["message"]


def test_roles(client: TestClient, make_key: Any, db: Session) -> None:
    assert client.post("/api/v1/reports", json=report()).status_code == 401
    analyst = make_key("analyst")
    assert client.post("/api/v1/reports", json=report(), headers=auth(analyst)).status_code == 403
    feed = make_key("feed")
    assert client.post("/api/v1/reports", json=report(), headers=auth(feed)).status_code == 403
    admin = make_key("admin")
    assert client.post("/api/v1/reports", json=report(), headers=auth(admin)).status_code == 201


def test_monitor_posts_only_for_its_own_community(
    client: TestClient, db: Session, make_key: Any
) -> None:
    from ews.models import Community

    other = db.get(Community, COMMUNITY)
    assert other is not None
    twin = Community(
        **{
            column.key: getattr(other, column.key)
            for column in Community.__table__.columns
            if column.key != "code"
        },
        code="otra-comunidad",
    )
    db.add(twin)
    db.commit()
    monitor = make_key("monitor", community="otra-comunidad")
    response = client.post("/api/v1/reports", json=report(), headers=auth(monitor))
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "community"
    batch = client.post(
        "/api/v1/reports/batch",
        json={"reports": [report(), report(community="otra-comunidad")]},
        headers=auth(monitor),
    ).json()["items"]
    assert [item["status"] for item in batch] == ["invalid", "created"]
    own = make_key("monitor", community=COMMUNITY)
    client.post("/api/v1/reports", json=report(), headers=auth(own))
    listed = client.get("/api/v1/reports", headers=auth(monitor)).json()["items"]
    assert {item["community"] for item in listed} == {"otra-comunidad"}
    forbidden = client.get(f"/api/v1/reports?community={COMMUNITY}", headers=auth(monitor))
    assert forbidden.status_code == 403


def test_batch_answers_each_report_in_order(client: TestClient, monitor: str) -> None:
    stored = report()
    assert client.post("/api/v1/reports", json=stored, headers=auth(monitor)).status_code == 201
    bodies = [report(), stored, {**stored, "severity": 1}, report(severity=9), "texto", report()]
    response = client.post("/api/v1/reports/batch", json={"reports": bodies}, headers=auth(monitor))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["status"] for item in items] == [
        "created",
        "duplicate",
        "conflict",
        "invalid",
        "invalid",
        "created",
    ]
    assert items[0]["id"] == bodies[0]["id"]
    assert items[5]["id"] == bodies[5]["id"]
    assert items[3]["errors"][0]["field"] == "severity"
    assert items[0]["errors"] == []
    # The phone lost signal after half the batch and resends all of it: nothing new, nothing doubled.
    again = client.post("/api/v1/reports/batch", json={"reports": bodies}, headers=auth(monitor))
    assert [item["status"] for item in again.json()["items"]] == [
        "duplicate",
        "duplicate",
        "conflict",
        "invalid",
        "invalid",
        "duplicate",
    ]


def test_batch_needs_a_list(client: TestClient, monitor: str) -> None:
    response = client.post("/api/v1/reports/batch", json={"reportes": []}, headers=auth(monitor))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reports"


def test_batch_refuses_unknown_fields_of_the_batch_and_of_each_report(
    client: TestClient, monitor: str
) -> None:
    extra = client.post(
        "/api/v1/reports/batch", json={"reports": [], "device": "x"}, headers=auth(monitor)
    )
    assert extra.status_code == 422
    assert extra.json()["errors"] == [
        {"field": "device", "message": "campo no reconocido / unknown field"}
    ]
    item = report(location="-8.3,-74.1")
    answer = client.post("/api/v1/reports/batch", json={"reports": [item]}, headers=auth(monitor))
    assert answer.json()["items"] == [
        {
            "id": item["id"],
            "status": "invalid",
            "errors": [{"field": "location", "message": "campo no reconocido / unknown field"}],
        }
    ]


def test_reporter_is_a_pseudonym_and_never_listed(
    client: TestClient, db: Session, make_key: Any, settings: Settings
) -> None:
    monitor = make_key("monitor", community=COMMUNITY, name="Juana Pérez")
    body = report()
    created = client.post("/api/v1/reports", json=body, headers=auth(monitor))
    key = db.execute(select(ApiKey).where(ApiKey.name == "Juana Pérez")).scalar_one()
    row = db.get(Report, body["id"])
    assert row is not None
    assert row.reporter_pseudonym == pseudonymize(settings.secret_key, f"key:{key.id}")
    analyst = make_key("analyst")
    listed = client.get("/api/v1/reports", headers=auth(analyst))
    for text in (created.text, listed.text):
        assert "Juana" not in text
        assert row.reporter_pseudonym not in text
        assert "reporter" not in text
        assert key.prefix not in text


def test_list_filters_and_pages(client: TestClient, monitor: str, make_key: Any) -> None:
    base = datetime(2026, 10, 1, 12, tzinfo=UTC)
    ids = []
    for day in range(7):
        body = report(
            observed_at=(base + timedelta(days=day)).isoformat(),
            threat_type="fire" if day % 2 else "coca_cultivation",
        )
        ids.append(body["id"])
        assert client.post("/api/v1/reports", json=body, headers=auth(monitor)).status_code == 201
    analyst = make_key("analyst")
    since = (base + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    until = (base + timedelta(days=6)).isoformat().replace("+00:00", "Z")
    seen: list[str] = []
    url = f"/api/v1/reports?community={COMMUNITY}&since={since}&until={until}&limit=2"
    while url:
        page = client.get(url, headers=auth(analyst))
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next"]
        url = (
            f"/api/v1/reports?since={since}&until={until}&limit=2&cursor={cursor}" if cursor else ""
        )
    assert seen == ids[1:6]
    fires = client.get("/api/v1/reports?threat_type=fire&limit=1000", headers=auth(analyst)).json()
    assert {item["id"] for item in fires["items"]} >= {ids[1], ids[3], ids[5]}
    assert all(item["threat_type"] == "fire" for item in fires["items"])
    bad = client.get("/api/v1/reports?threat_type=ovnis", headers=auth(analyst))
    assert bad.status_code == 422
    assert client.get("/api/v1/reports?cursor=%%%", headers=auth(analyst)).status_code == 422
    institution = make_key("institution", institution="DP")
    assert client.get("/api/v1/reports", headers=auth(institution)).status_code == 403
