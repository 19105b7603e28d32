"""The alert and silence endpoints: the role matrix, filters and detail, acknowledgement and
resolution, silences, and the fast path from a defender report to its alert."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.alerting.evaluation import evaluate
from ews.models import Alert, AuditLog, OutboxMessage
from ews.settings import Settings
from tests.support.alert_api import NOW, H, key
from tests.support.alerts import alerts_by_category
from tests.support.web import auth


@pytest.mark.parametrize(
    ("who", "list_status", "categories"),
    [
        ("admin", 200, {"defender_safety", "fire", "illicit_crops"}),
        ("analyst", 200, {"defender_safety", "fire", "illicit_crops"}),
        ("minjus", 200, {"defender_safety"}),
        ("minam", 200, {"fire"}),
        ("monitor", 403, None),
        ("feed", 403, None),
    ],
)
def test_who_lists_which_alerts(
    client: TestClient, make_key, alerts, who: str, list_status: int, categories
) -> None:  # type: ignore[no-untyped-def]
    headers = key(make_key, who)
    response = client.get("/api/v1/alerts", headers=headers)
    assert response.status_code == list_status
    if categories is None:
        assert "clave" in response.json()["detail"]
        return
    body = response.json()
    assert {item["category"] for item in body["items"]} == categories
    assert all([e["kind"] for e in item["events"]] == ["raised"] for item in body["items"])
    assert all(item["evidence"]["indicators"] for item in body["items"])
    assert body["next"] is None


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", 200),
        ("analyst", 200),
        ("minjus", 200),
        ("minam", 404),  # not routed to MINAM: no hint it exists
        ("monitor", 403),
        ("feed", 403),
    ],
)
def test_who_sees_and_acts_on_the_defender_alert(
    client: TestClient, make_key, alerts, who: str, expected: int
) -> None:  # type: ignore[no-untyped-def]
    headers = key(make_key, who)
    alert_id = alerts["defender_safety"].id
    for method, path, body in [
        ("GET", f"/api/v1/alerts/{alert_id}", None),
        ("GET", f"/api/v1/alerts/{alert_id}/cap", None),
        ("POST", f"/api/v1/alerts/{alert_id}/acknowledge", {"note": "Recibido, en camino"}),
        ("POST", f"/api/v1/alerts/{alert_id}/resolve", {"note": "Dirigencia a salvo"}),
    ]:
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code == expected, (method, path, response.text)


def test_no_key_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/alerts").status_code == 401
    assert client.get("/api/v1/silences").status_code == 401


def test_an_unknown_alert_is_404(client: TestClient, make_key) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/alerts/999999", headers=key(make_key, "analyst"))
    assert response.status_code == 404
    assert "alerta" in response.json()["detail"]


def test_filters_and_cursor(client: TestClient, make_key, alerts) -> None:  # type: ignore[no-untyped-def]
    headers = key(make_key, "analyst")

    def categories(**params: object) -> list[str]:
        response = client.get("/api/v1/alerts", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [item["category"] for item in response.json()["items"]]

    assert categories(level="high") == ["defender_safety"]
    assert categories(category="fire") == ["fire"]
    assert sorted(categories(institution="DEVIDA")) == ["illicit_crops"]
    assert sorted(categories(institution="DP")) == ["defender_safety"]
    assert categories(community="otra") == []
    assert len(categories(status="open")) == 3
    assert categories(status="resolved") == []
    first = client.get("/api/v1/alerts", headers=headers, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next"]
    second = client.get(
        "/api/v1/alerts", headers=headers, params={"limit": 2, "cursor": first["next"]}
    ).json()
    assert len(second["items"]) == 1
    assert second["next"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert len(set(ids)) == 3
    bad = client.get("/api/v1/alerts", headers=headers, params={"level": "extreme"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "level"


def test_detail_has_events_evidence_and_context(client: TestClient, make_key, alerts) -> None:  # type: ignore[no-untyped-def]
    body = client.get(
        f"/api/v1/alerts/{alerts['defender_safety'].id}", headers=key(make_key, "minjus")
    ).json()
    assert body["routed_to"] == ["MINJUS", "DP"]
    assert [e["kind"] for e in body["events"]] == ["raised"]
    assert body["evidence"]["indicators"][0]["code"] == "defender_threats"
    assert body["context"]["prototype_block"]["code"] == "national-escalation"
    assert body["context"]["institutions"][0]["role_es"]


def test_acknowledge_stops_reminders_and_is_audited(
    client: TestClient, make_key, alerts, db: Session, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    alert_id = alerts["fire"].id
    response = client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge",
        headers=key(make_key, "minam"),
        json={"note": "Guardaparques en camino"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["kind"] == "acknowledged"
    assert response.json()["note"] == "Guardaparques en camino"
    db.expire_all()
    assert db.get(Alert, alert_id).status == "acknowledged"
    summary = evaluate(db, settings=settings, now=NOW + 30 * H)
    assert "reminded" in summary["events"]  # the other two are reminded ...
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/alerts/{alert_id}", headers=key(make_key, "analyst")).json()[
            "events"
        ]
    ]
    assert kinds == ["raised", "acknowledged"]  # ... the acknowledged one is not
    audit = db.execute(select(AuditLog).where(AuditLog.action == "alert.acknowledged")).scalar_one()
    assert audit.object_id == str(alert_id)


def test_resolve_notifies_and_is_audited(client: TestClient, make_key, alerts, db: Session) -> None:  # type: ignore[no-untyped-def]
    alert_id = alerts["illicit_crops"].id
    headers = key(make_key, "analyst")
    response = client.post(
        f"/api/v1/alerts/{alert_id}/resolve", headers=headers, json={"note": "Verificado"}
    )
    assert response.status_code == 200, response.text
    again = client.post(
        f"/api/v1/alerts/{alert_id}/resolve", headers=headers, json={"note": "Otra vez"}
    )
    assert again.status_code == 409
    missing_note = client.post(
        f"/api/v1/alerts/{alerts['fire'].id}/acknowledge", headers=headers, json={}
    )
    assert missing_note.status_code == 422
    assert missing_note.json()["errors"][0]["field"] == "note"
    db.expire_all()
    assert db.get(Alert, alert_id).status == "resolved"
    kinds = {
        m.payload["kind"]
        for m in db.execute(
            select(OutboxMessage).where(OutboxMessage.alert_id == alert_id)
        ).scalars()
    }
    assert kinds == {"raised", "resolved"}
    assert db.execute(select(AuditLog).where(AuditLog.action == "alert.resolved")).scalar_one()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("analyst", 201), ("admin", 201), ("minjus", 403), ("monitor", 403), ("feed", 403)],
)
def test_silence_roles(client: TestClient, make_key, who: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    headers = key(make_key, who)
    body = {
        "community": "flor-de-ucayali",
        "category": "fire",
        "ends_at": (NOW + 5 * H).isoformat(),
        "reason": "Quema agrícola autorizada",
    }
    assert client.post("/api/v1/silences", headers=headers, json=body).status_code == expected
    assert client.get("/api/v1/silences", headers=headers).status_code == (
        200 if expected == 201 else 403
    )


def test_silence_lifecycle_is_audited(client: TestClient, make_key, db: Session) -> None:  # type: ignore[no-untyped-def]
    headers = key(make_key, "analyst")
    created = client.post(
        "/api/v1/silences",
        headers=headers,
        json={"category": "fire", "ends_at": (NOW + 5 * H).isoformat(), "reason": "Quema"},
    )
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["community"] is None
    assert silence["active"] is True
    listed = client.get("/api/v1/silences", headers=headers).json()["items"]
    assert [s["id"] for s in listed] == [silence["id"]]
    deleted = client.delete(f"/api/v1/silences/{silence['id']}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.json()["active"] is False
    assert client.get("/api/v1/silences", headers=headers).json()["items"] == []
    assert (
        len(
            client.get(
                "/api/v1/silences", headers=headers, params={"include_expired": True}
            ).json()["items"]
        )
        == 1
    )
    assert client.delete("/api/v1/silences/999999", headers=headers).status_code == 404
    actions = set(db.execute(select(AuditLog.action)).scalars())
    assert {"silence.created", "silence.expired"} <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ends_at": "2099-01-01T00:00:00+00:00", "reason": "x"}, "community"),
        (
            {"community": "nadie", "ends_at": "2099-01-01T00:00:00+00:00", "reason": "x"},
            "community",
        ),
        (
            {"category": "weather", "ends_at": "2099-01-01T00:00:00+00:00", "reason": "x"},
            "category",
        ),
        ({"category": "fire", "ends_at": "2020-01-01T00:00:00+00:00", "reason": "x"}, "ends_at"),
        ({"category": "fire", "ends_at": "2099-01-01T00:00:00", "reason": "x"}, "ends_at"),
        ({"category": "fire", "ends_at": "2099-01-01T00:00:00+00:00"}, "reason"),
    ],
)
def test_invalid_silences_say_which_field(client: TestClient, make_key, body, field: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/silences", headers=key(make_key, "analyst"), json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_a_defender_report_through_the_api_raises_its_alert(
    client: TestClient, make_key, db: Session
) -> None:  # type: ignore[no-untyped-def]
    """create_app plugs the fast path into the intake's report listeners."""
    monitor = make_key("monitor", community="flor-de-ucayali")
    body = {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "community": "flor-de-ucayali",
        "threat_type": "threat_to_defender",
        "severity": 5,
        "observed_at": (NOW - H).isoformat(),
        "description": "amenazas de muerte al apu",
    }
    response = client.post("/api/v1/reports", json=body, headers=auth(monitor))
    assert response.status_code == 201, response.text
    alert = alerts_by_category(db)["defender_safety"]
    assert alert.level == "critical"
    assert alert.routed_to == ["MINJUS", "DP"]
    assert alert.evidence["report_ids"] == [body["id"]]
    queued = db.execute(select(OutboxMessage).where(OutboxMessage.alert_id == alert.id)).scalars()
    assert {m.institution_code for m in queued} == {"MINJUS", "DP"}
