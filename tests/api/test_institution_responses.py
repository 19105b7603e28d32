"""Institutions acting together (issue 16, DESIGN section 12), from the user's timeline through the
HTTP API with default settings: a defender threat routed to MINJUS and DP; MINJUS acknowledges and
records "medidas de protección solicitadas"; DP stays silent and is reminded and escalated alone;
MINJUS's overdue action is reminded once a day; bad actions get a 422 a person can act on; an
institution acts only on alerts routed to it; every action is audited.

The later runs of the scheduled evaluation are the job itself with ``as_of`` (the API refuses an
``as_of`` more than a day ahead, and the default reminder interval is 24 hours)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ews.jobs.entry_points import deliver_notifications, evaluate_alerts
from ews.models import Alert, AuditLog
from ews.settings import Settings
from indicators import LIMA, local_day_end
from tests.support.alert_api import key
from tests.support.alert_timeline import User
from tests.support.delivery import SmtpServer, with_smtp
from tests.support.web import auth

H = timedelta(hours=1)


@pytest.fixture
def user(client: TestClient, make_key: Callable[..., str]) -> User:
    return User(client, make_key)


def _notifications(user: User, alert_id: int, event: str) -> set[str]:
    response = user.client.get(
        "/api/v1/notifications", params={"alert_id": alert_id}, headers=user.analyst
    )
    assert response.status_code == 200, response.text
    return {m["contact"] for m in response.json()["items"] if m["event"] == event}


def _detail(user: User, alert_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = user.client.get(f"/api/v1/alerts/{alert_id}", headers=headers or user.analyst)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _responses(detail: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["institution"]: r for r in detail["responses"]}


def test_minjus_acts_and_dp_silent_is_reminded_and_escalated_alone(
    user: User,
    make_key: Callable[..., str],
    settings: Settings,
    session_factory: sessionmaker[Session],
    smtp: SmtpServer,
) -> None:
    minjus = auth(make_key("institution", institution="MINJUS", name="Mecanismo MINJUS"))
    dp = auth(make_key("institution", institution="DP", name="Defensoría Ucayali"))
    user.report("threat_to_defender", severity=3)
    user.run("compute-indicators")
    user.run("evaluate-alerts")
    alert = user.alert("defender_safety")
    raised_at = datetime.fromisoformat(alert["opened_at"])
    assert (alert["level"], alert["routed_to"]) == ("high", ["MINJUS", "DP"])
    assert _notifications(user, alert["id"], "raised") == {
        "minjus-regional-email",
        "dp-regional-email",
    }
    first = _responses(_detail(user, alert["id"]))
    assert list(first) == ["MINJUS", "DP"]
    assert all(r["notified_at"] and r["acknowledged_at"] is None for r in first.values())

    acknowledged = user.client.post(
        f"/api/v1/alerts/{alert['id']}/acknowledge",
        json={"note": "Mecanismo activado"},
        headers=minjus,
    )
    assert acknowledged.status_code == 200, acknowledged.text
    due = (raised_at.astimezone(LIMA) + timedelta(days=2)).date()
    recorded = user.client.post(
        f"/api/v1/alerts/{alert['id']}/actions",
        json={
            "type": "protection_measures_requested",
            "status": "planned",
            "due": due.isoformat(),
            "note": "Solicitud enviada a la Dirección General",
        },
        headers=minjus,
    )
    assert recorded.status_code == 201, recorded.text
    action = recorded.json()
    assert (action["institution"], action["label"]["es"], action["overdue"]) == (
        "MINJUS",
        "Medidas de protección solicitadas",
        False,
    )

    # One institution of two acknowledged: the alert stays open; DP sees the same story.
    seen_by_dp = _detail(user, alert["id"], headers=dp)
    assert seen_by_dp["status"] == "open"
    responses = _responses(seen_by_dp)
    assert responses["MINJUS"]["acknowledged_by"] == "Mecanismo MINJUS"
    assert responses["MINJUS"]["note"] == "Mecanismo activado"
    assert responses["DP"]["acknowledged_at"] is None
    assert [(a["type"], a["status"]) for a in responses["MINJUS"]["actions"]] == [
        ("protection_measures_requested", "planned")
    ]
    kinds = [(e["kind"], e["details"].get("institution")) for e in seen_by_dp["events"]]
    assert kinds == [("raised", None), ("acknowledged", "MINJUS"), ("action_recorded", "MINJUS")]

    # 13 hours on, the high alert still unacknowledged by DP goes national: to DP alone.
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=raised_at + 13 * H)
    assert _notifications(user, alert["id"], "escalated_national") == {"dp-national-email"}
    # 24 hours after that, DP alone is reminded (its office and, escalated, its national office).
    reminder_at = raised_at + 37 * H + timedelta(minutes=1)
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=reminder_at)
    assert _notifications(user, alert["id"], "reminded") == {
        "dp-regional-email",
        "dp-national-email",
    }
    later = _responses(_detail(user, alert["id"]))
    assert later["DP"]["acknowledged_at"] is None
    assert later["MINJUS"]["acknowledged_at"] is not None

    # DP acknowledges too: now the alert as a whole is acknowledged.
    response = user.client.post(
        f"/api/v1/alerts/{alert['id']}/acknowledge", json={"note": "Visita en agenda"}, headers=dp
    )
    assert response.status_code == 200, response.text
    assert _detail(user, alert["id"])["status"] == "acknowledged"

    # The action's due day passes: MINJUS's office is reminded once that day, again the next.
    overdue_day = local_day_end(raised_at.astimezone(UTC)) + timedelta(days=2)
    for hours in (1, 2, 5):
        evaluate_alerts(
            settings=settings, session_factory=session_factory, as_of=overdue_day + hours * H
        )
    assert _notifications(user, alert["id"], "action_overdue") == {"minjus-regional-email"}
    overdue_events = [
        e for e in _detail(user, alert["id"])["events"] if e["kind"] == "action_overdue"
    ]
    assert len(overdue_events) == 1
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=overdue_day + 25 * H)
    overdue_events = [
        e for e in _detail(user, alert["id"])["events"] if e["kind"] == "action_overdue"
    ]
    assert len(overdue_events) == 2

    # Delivered through a real SMTP server: the reminder says which action is late.
    deliver_notifications(
        settings=with_smtp(settings, smtp.port),
        session_factory=session_factory,
        as_of=overdue_day + 26 * H,
    )
    late = [
        m
        for m in smtp.recorder.to("alertas@minjus.example.org")
        if m["X-EWS-Event"] == "action_overdue"
    ]
    assert len(late) == 2
    assert "Medidas de protección solicitadas" in late[0].get_content()
    assert not [
        m for m in smtp.recorder.to("nacional@minjus.example.org") if m["X-EWS-Event"] != "raised"
    ]

    # Done: no more reminders.
    done = user.client.post(
        f"/api/v1/alerts/{alert['id']}/actions",
        json={"id": action["id"], "status": "done", "note": "Medidas otorgadas"},
        headers=minjus,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["overdue"]) == ("done", False)
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=overdue_day + 50 * H)
    assert (
        len([e for e in _detail(user, alert["id"])["events"] if e["kind"] == "action_overdue"]) == 2
    )


def _post(client: TestClient, alert_id: int, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/api/v1/alerts/{alert_id}/actions", json=body, headers=headers)


def test_bad_actions_are_refused_with_what_to_send(
    client: TestClient, make_key: Callable[..., str], alerts: dict[str, Alert]
) -> None:
    alert_id = alerts["defender_safety"].id
    minjus = key(make_key, "minjus")
    unknown = _post(client, alert_id, minjus, type="joint_patrol", status="planned")
    assert unknown.status_code == 422
    (error,) = unknown.json()["errors"]
    assert error["field"] == "type"
    assert "protection_measures_requested" in error["message"]
    assert "use uno de" in error["message"] and "use one of" in error["message"]
    declined = _post(
        client, alert_id, minjus, type="protection_measures_granted", status="declined"
    )
    assert declined.status_code == 422
    assert declined.json()["errors"][0]["field"] == "reason"
    bad_status = _post(client, alert_id, minjus, type="protection_measures_granted", status="later")
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"][0]["field"] == "status"
    ok = _post(
        client,
        alert_id,
        minjus,
        type="protection_measures_granted",
        status="declined",
        reason="La persona defensora no aceptó la medida",
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["reason"] == "La persona defensora no aceptó la medida"
    yesterday = (datetime.now(UTC).astimezone(LIMA) - timedelta(days=1)).date()
    late = _post(
        client,
        alert_id,
        minjus,
        type="mpfn_complaint_filed",
        status="in_progress",
        due=yesterday.isoformat(),
    )
    assert late.status_code == 201, late.text
    listed = client.get(f"/api/v1/alerts/{alert_id}", headers=minjus).json()
    actions = {a["type"]: a for a in _responses(listed)["MINJUS"]["actions"]}
    assert actions["mpfn_complaint_filed"]["overdue"] is True
    assert actions["mpfn_complaint_filed"]["label"]["es"] == "Denuncia ante el MPFN presentada"
    assert actions["protection_measures_granted"]["overdue"] is False


def test_an_institution_acts_only_on_alerts_routed_to_it(
    client: TestClient, make_key: Callable[..., str], alerts: dict[str, Alert], db: Session
) -> None:
    defender, fire = alerts["defender_safety"].id, alerts["fire"].id
    minjus, minam = key(make_key, "minjus"), key(make_key, "minam")
    admin, analyst = key(make_key, "admin"), key(make_key, "analyst")
    body = {"type": "protection_measures_requested", "status": "planned"}
    assert _post(client, fire, minjus, **body).status_code == 404  # not routed to MINJUS
    assert _post(client, defender, minam, type="inspection", status="planned").status_code == 404
    assert _post(client, 999999, minjus, **body).status_code == 404
    assert _post(client, defender, analyst, **body).status_code == 403
    nobody = _post(client, defender, admin, **body)
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["field"] == "institution"
    elsewhere = _post(
        client, defender, admin, institution="MINAM", type="inspection", status="planned"
    )
    assert elsewhere.status_code == 422
    assert "MINJUS, DP" in elsewhere.json()["errors"][0]["message"]
    for_dp = _post(
        client, defender, admin, institution="DP", type="official_letter", status="in_progress"
    )
    assert for_dp.status_code == 201, for_dp.text
    # MINJUS cannot change DP's action, nor act in DP's name.
    steal = _post(client, defender, minjus, id=for_dp.json()["id"], status="done")
    assert steal.status_code == 404
    in_name = _post(client, defender, minjus, institution="DP", type="field_visit", status="done")
    assert in_name.status_code == 422
    # Institutions see the alert only where it is routed to them, responses included.
    assert client.get(f"/api/v1/alerts/{defender}", headers=minam).status_code == 404

    entries = (
        db.execute(
            select(AuditLog).where(AuditLog.action.in_(["action.recorded", "action.updated"]))
        )
        .scalars()
        .all()
    )
    assert [(e.action, e.details["institution"], e.details["type"]) for e in entries] == [
        ("action.recorded", "DP", "official_letter")
    ]
    assert entries[0].object_type == "alert_action"


def test_an_analyst_acknowledges_the_alert_as_a_whole(
    client: TestClient, make_key: Callable[..., str], alerts: dict[str, Alert], db: Session
) -> None:
    alert_id = alerts["defender_safety"].id
    response = client.post(
        f"/api/v1/alerts/{alert_id}/acknowledge",
        json={"note": "Coordinado por teléfono"},
        headers=key(make_key, "analyst"),
    )
    assert response.status_code == 200, response.text
    detail = client.get(f"/api/v1/alerts/{alert_id}", headers=key(make_key, "minjus")).json()
    assert detail["status"] == "acknowledged"
    # The institutions' own responses are untouched: each still has to say it knows.
    assert all(r["acknowledged_at"] is None for r in detail["responses"])
    audit = db.execute(select(AuditLog).where(AuditLog.action == "alert.acknowledged")).scalar_one()
    assert audit.details["institution"] is None


def test_the_action_catalog_is_listed_per_institution(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    response = client.get(
        "/api/v1/reference/actions",
        params={"institution": "MINJUS"},
        headers=key(make_key, "minjus"),
    )
    assert response.status_code == 200, response.text
    items = {i["code"]: i for i in response.json()["items"]}
    assert items["protection_measures_requested"]["label_en"] == "Protection measures requested"
    assert items["mpfn_case_opened"]["about"] == "MPFN"
    assert {i["institution"] for i in response.json()["items"]} == {"MINJUS"}
