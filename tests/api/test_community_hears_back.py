"""The community hears back (DESIGN section 12), on the user's timeline: an admin registers the
community's leader; a monitor reports a threat to a defender; the leader receives by SMS (a real
gateway on loopback) that the alert was received, then who acknowledged and what they are doing,
once per change; the leader answers by SMS and a report of the community appears, and "ya pasó"
resolves nothing. The phone is encrypted at rest, masked in the audit log and never logged."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from ews.jobs.entry_points import (
    compute_indicators,
    deliver_notifications,
    evaluate_alerts,
    tell_communities,
)
from ews.logs import JsonFormatter, PhoneFilter
from ews.models import Alert, AuditLog, OutboxMessage
from ews.settings import Settings
from tests.support.community_contacts import LEADER_DIGITS, LEADER_PHONE, add_leader
from tests.support.delivery import HttpReceiver
from tests.support.web import auth, sign_in

RECEIVED = (
    "EWS: Su alerta de seguridad de personas defensoras fue recibida. "
    "Responda 1 si la amenaza continúa o 2 si ya pasó."
)


def _texts(gateway: HttpReceiver) -> list[tuple[str, str]]:
    return [(body["to"], body["text"]) for body in (json.loads(r.body) for r in gateway.requests)]


def test_the_leader_hears_who_is_acting_and_answers(
    client: TestClient,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_key,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    admin, monitor, feed, analyst = (
        make_key("admin"),
        make_key("monitor", community="flor-de-ucayali"),
        make_key("feed"),
        make_key("analyst"),
    )
    minjus = make_key("institution", institution="MINJUS", name="minjus-oficina")
    leader = add_leader(client, admin)
    assert leader["phone"] == "+51961222333"  # the admin sees it normalized

    now = datetime.now(UTC)
    created = client.post(
        "/api/v1/reports",
        headers=auth(monitor),
        json={
            "id": str(uuid.uuid4()),
            "community": "flor-de-ucayali",
            "threat_type": "threat_to_defender",
            "severity": 5,
            "observed_at": (now - timedelta(hours=1)).isoformat(),
            "description": "Hombres armados amenazaron al apu en la trocha",
        },
    )
    assert created.status_code == 201, created.text
    # The fast path raised the defender alert and queued the "received" SMS with it.
    fast = db.scalars(select(OutboxMessage).where(OutboxMessage.community_contact_id.is_not(None)))
    assert [m.payload["text"] for m in fast] == [RECEIVED]
    compute_indicators(settings=settings, session_factory=session_factory, as_of=now)
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=now)
    [alert] = db.scalars(select(Alert).where(Alert.category == "defender_safety"))

    with HttpReceiver(statuses=[200]) as gateway:
        sms_settings = settings.model_copy(update={"sms_gateway_url": gateway.url})

        def tell_and_deliver() -> None:
            tell_communities(settings=sms_settings, session_factory=session_factory, as_of=None)
            deliver_notifications(settings=sms_settings, session_factory=session_factory)

        tell_and_deliver()
        assert _texts(gateway) == [("+51961222333", RECEIVED)]

        tell_and_deliver()  # nothing changed: nothing sent again
        assert len(gateway.requests) == 1

        # MINJUS acknowledges for itself and records an action, through the API.
        ack = client.post(
            f"/api/v1/alerts/{alert.id}/acknowledge",
            headers=auth(minjus),
            json={"note": "Recibido, coordinamos con la PNP"},
        )
        assert ack.status_code == 200, ack.text
        action = client.post(
            f"/api/v1/alerts/{alert.id}/actions",
            headers=auth(minjus),
            json={"type": "protection_measures_requested", "status": "in_progress"},
        )
        assert action.status_code in (200, 201), action.text
        tell_and_deliver()
        assert _texts(gateway)[1:] == [
            (
                "+51961222333",
                "EWS: MinJUS la recibió y la atiende. MinJUS: Medidas de protección solicitadas "
                "(en curso). Responda 1 si la amenaza continúa o 2 si ya pasó.",
            )
        ]
        tell_and_deliver()
        assert len(gateway.requests) == 2

    # The delivery log shows the community's messages, by role, sent.
    log = client.get(
        f"/api/v1/notifications?alert_id={alert.id}&channel=sms", headers=auth(analyst)
    ).json()["items"]
    community_rows = [n for n in log if n["community_contact"]]
    assert [(n["status"], n["contact_name"]) for n in community_rows] == [
        ("sent", "líder comunal / community leader")
    ] * 2

    # And so does the dashboard's delivery log, and the alert's timeline says what was told.
    sign_in(client, analyst)
    deliveries = client.get("/dashboard/deliveries").text
    assert "líder comunal / community leader" in deliveries
    assert LEADER_DIGITS not in deliveries
    timeline = client.get(f"/dashboard/alerts/{alert.id}").text
    assert "comunidad informada" in timeline
    assert "Medidas de protección solicitadas (en curso)" in timeline

    # The leader answers: the threat goes on. A report of the community appears.
    answer = client.post(
        "/api/v1/intake/sms",
        headers=auth(feed),
        json={
            "id": "gw-answer-1",
            "from": LEADER_PHONE,
            "text": "La amenaza continúa",
            "received_at": datetime.now(UTC).isoformat(),
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["reply"].startswith("Gracias. Recibimos su respuesta: la amenaza continúa")
    reports = client.get("/api/v1/reports?limit=100", headers=auth(analyst)).json()["items"]
    [answered] = [r for r in reports if r["id"] == answer.json()["report_id"]]
    assert answered["community"] == "flor-de-ucayali"
    assert answered["threat_type"] == "threat_to_defender"
    assert f"alerta {alert.id}" in answered["description"]
    assert "la amenaza continúa" in answered["description"]

    # "2" (it is over) is a report too, but it does not close the alert.
    over = client.post(
        "/api/v1/intake/sms",
        headers=auth(feed),
        json={
            "id": "gw-answer-2",
            "from": "961222333",
            "text": "2",
            "received_at": datetime.now(UTC).isoformat(),
        },
    )
    assert over.status_code == 201, over.text
    reports = client.get("/api/v1/reports?limit=100", headers=auth(analyst)).json()["items"]
    [ended] = [r for r in reports if r["id"] == over.json()["report_id"]]
    assert ended["threat_type"] == "all_quiet"
    assert "ya pasó" in ended["description"]
    detail = client.get(f"/api/v1/alerts/{alert.id}", headers=auth(analyst)).json()
    assert detail["status"] != "resolved"
    answers = [e for e in detail["events"] if e["kind"] == "community_answered"]
    assert [e["note"] for e in answers] == [
        "La comunidad responde: la amenaza continúa.",
        "La comunidad responde: ya pasó.",
    ]

    # An answer that says neither gets the prompt again, and makes no report.
    unclear = client.post(
        "/api/v1/intake/sms",
        headers=auth(feed),
        json={
            "id": "gw-answer-3",
            "from": LEADER_PHONE,
            "text": "hola buenas",
            "received_at": datetime.now(UTC).isoformat(),
        },
    )
    assert unclear.status_code == 200
    assert unclear.json()["status"] == "rejected"
    assert "Responda 1 si la amenaza continúa o 2 si ya pasó" in unclear.json()["reply"]

    # Encrypted at rest; never in the audit log nor in the logs.
    [raw] = db.execute(text("SELECT phone FROM community_contact")).scalars()
    assert LEADER_DIGITS not in raw and "961" not in raw
    audits = db.scalars(
        select(AuditLog).where(AuditLog.action == "community_contact.created")
    ).all()
    assert len(audits) == 1
    assert audits[0].details["phone"].startswith("tel#")
    assert LEADER_DIGITS not in json.dumps(audits[0].details)
    masked = PhoneFilter(settings.secret_key)
    formatter = JsonFormatter()
    for record in caplog.records:
        masked.filter(record)
        assert LEADER_DIGITS not in formatter.format(record)


def test_the_monitor_page_keeps_the_community_messages(
    client: TestClient,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    admin, monitor = make_key("admin"), make_key("monitor", community="flor-de-ucayali")
    add_leader(client, admin)
    now = datetime.now(UTC)
    assert (
        client.post(
            "/api/v1/reports",
            headers=auth(monitor),
            json={
                "id": str(uuid.uuid4()),
                "community": "flor-de-ucayali",
                "threat_type": "threat_to_defender",
                "severity": 5,
                "observed_at": (now - timedelta(hours=1)).isoformat(),
            },
        ).status_code
        == 201
    )
    compute_indicators(settings=settings, session_factory=session_factory, as_of=now)
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=now)
    tell_communities(settings=settings, session_factory=session_factory, as_of=None)
    messages = client.get("/report/messages", headers=auth(monitor))
    assert messages.status_code == 200
    assert [m["text"] for m in messages.json()["items"]] == [RECEIVED]
    page = client.get("/report")
    assert "Mensajes para su comunidad" in page.text
    assert "report-messages" in client.get("/report/sw.js").text
