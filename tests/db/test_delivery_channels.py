"""What each channel delivers, with real servers on loopback and the worker's pass run in the test's
process: signed webhooks (and the private-range guard), SMS through the gateway, the evidence words
an email may carry, and signed CAP XML. The outbox itself is in ``test_delivery_outbox.py``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from ews.delivery.channels import webhook_secret
from ews.jobs.entry_points import deliver_notifications
from ews.models import CapMessage, Report
from ews.settings import Settings
from tests.support.delivery import (
    MINJUS,
    NOW,
    HttpReceiver,
    SmtpServer,
    add_contact,
    outbox,
    queue_alert,
    with_smtp,
)
from tests.support.paths import CAP_XSD


def verify_by_hand(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return headers["webhook-signature"] == f"v1,{expected}"


def test_a_webhook_receiver_verifies_the_signature_and_sees_the_same_id_on_a_retry(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    settings = settings.model_copy(update={"webhook_allow_private": True})
    with HttpReceiver(statuses=[503, 200]) as receiver:
        add_contact(
            db,
            code="minjus-webhook",
            institution_code="MINJUS",
            name="MinJUS - sistema de casos",
            channel="webhook",
            address=receiver.url,
        )
        alert, _event, [row] = queue_alert(db, contact_codes=["minjus-webhook"], kind="escalated")
        db.commit()
        first = deliver_notifications(settings=settings, session_factory=session_factory, as_of=NOW)
        second = deliver_notifications(
            settings=settings, session_factory=session_factory, as_of=NOW + timedelta(hours=1)
        )

    assert (first["retried"], second["sent"]) == (1, 1)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [row.message_id] * 2
    secret = webhook_secret(settings, "minjus-webhook")
    for request in receiver.requests:
        assert verify_by_hand(secret, request.headers, request.body)
        payload = Webhook(secret).verify(request.body, request.headers)
        assert payload["type"] == "alert.escalated"
        assert payload["data"]["alert_id"] == alert.id
        assert payload["data"]["community"] == "Comunidad Nativa Flor de Ucayali"
        assert payload["data"]["acknowledge_url"].endswith(f"/dashboard/alerts/{alert.id}")
        assert "Juan" not in request.body.decode()
    assert not verify_by_hand(
        webhook_secret(settings, "other"), receiver.requests[0].headers, receiver.requests[0].body
    )
    assert [(r.status, r.attempts) for r in outbox(db)] == [("sent", 2)]


def test_a_webhook_into_a_private_range_is_refused_unless_allowed(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with HttpReceiver() as receiver:
        add_contact(
            db,
            code="dp-webhook",
            institution_code="DP",
            name="DP - casos",
            channel="webhook",
            address=receiver.url,
        )
        queue_alert(db, contact_codes=["dp-webhook"])
        db.commit()
        summary = deliver_notifications(
            settings=settings, session_factory=session_factory, as_of=NOW
        )
    assert summary["dead"] == 1
    assert receiver.requests == []
    [row] = outbox(db)
    assert "private address refused" in (row.last_error or "")


def test_an_sms_contact_gets_a_short_spanish_text_through_the_gateway(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with HttpReceiver(statuses=[200]) as gateway:
        add_contact(
            db,
            code="dp-sms",
            institution_code="DP",
            name="DP - guardia",
            channel="sms",
            address="+51961000111",
        )
        alert, _event, _rows = queue_alert(db, contact_codes=["dp-sms"], kind="reminded")
        db.commit()
        summary = deliver_notifications(
            settings=settings.model_copy(update={"sms_gateway_url": gateway.url}),
            session_factory=session_factory,
            as_of=NOW,
        )
    assert summary["sent"] == 1
    [request] = gateway.requests
    sms = json.loads(request.body)
    assert sms["to"] == "+51961000111"
    assert sms["text"] == (
        "EWS CRÍTICO: Seguridad de personas defensoras, Comunidad Nativa Flor de Ucayali. "
        f"recordatorio, sin acuse. Acuse: http://testserver/dashboard/alerts/{alert.id}"
    )


def test_evidence_as_the_alert_engine_writes_it_with_words_only_where_allowed(
    db: Session, settings: Settings, session_factory: sessionmaker[Session], smtp: SmtpServer
) -> None:
    report = Report(
        id="5b0b5bd2-3a1e-4c1b-9a3e-2f1d7a1c0001",
        community_code="flor-de-ucayali",
        threat_type="illegal_logging",
        severity=3,
        observed_at=NOW,
        description="Motosierras cerca de la cocha grande",
        reporter_pseudonym="f" * 64,
        content_hash="0" * 64,
    )
    db.add(report)
    db.flush()
    engine_evidence = {
        "territory_hit": True,
        "report_ids": [report.id],
        "fire_hotspot_ids": [],
        "deforestation_alert_ids": [11, 12],
        "indicators": [
            {
                "code": "deforestation_ha",
                "value": 21.4,
                "level": "high",
                "baseline": 3.0,
                "inputs": 2,
                "window_start": "2026-10-27T00:00:00+00:00",
                "window_end": "2026-11-26T00:00:00+00:00",
                "core_value": 21.4,
                "buffer_value": 0.0,
            },
        ],
    }
    queue_alert(
        db,
        contact_codes=["minam-regional-email"],
        category="deforestation",
        level="high",
        evidence=engine_evidence,
    )
    queue_alert(db, contact_codes=["minjus-regional-email"], evidence=engine_evidence)
    db.commit()
    deliver_notifications(
        settings=with_smtp(settings, smtp.port), session_factory=session_factory, as_of=NOW
    )
    [minam] = smtp.recorder.to("alertas@minam.example.org")
    body = minam.get_content()
    assert (
        "- Deforestación (ha ponderadas por confianza): 21.4 ha (nivel alto; lo usual: 3)" in body
    )
    assert "- 1 reporte(s) de patrulla" in body
    assert "- 2 alerta(s) satelitales de deforestación (GFW)" in body
    assert "- Dentro del territorio titulado" in body
    assert "- «Motosierras cerca de la cocha grande»" in body  # deforestation allows the words
    [minjus] = smtp.recorder.to(MINJUS)
    assert "Motosierras" not in minjus.get_content()  # defender safety does not
    assert "f" * 64 not in body


def test_a_webhook_contact_that_asks_for_cap_gets_signed_valid_cap_xml(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    settings = settings.model_copy(update={"webhook_allow_private": True})
    with HttpReceiver(statuses=[200]) as receiver:
        add_contact(
            db,
            code="dp-cap",
            institution_code="DP",
            name="DP - CAP",
            channel="webhook",
            address=receiver.url,
            payload_format="cap",
        )
        alert, _event, [row] = queue_alert(db, contact_codes=["dp-cap"])
        db.commit()
        summary = deliver_notifications(
            settings=settings, session_factory=session_factory, as_of=NOW
        )
    assert summary["sent"] == 1
    [request] = receiver.requests
    assert request.headers["content-type"] == "application/cap+xml"
    assert request.headers["webhook-id"] == row.message_id
    Webhook(webhook_secret(settings, "dp-cap")).verify(
        request.body, request.headers, json_parse=False
    )
    document = etree.fromstring(request.body)
    assert etree.XMLSchema(etree.parse(str(CAP_XSD))).validate(document)
    cap = "{urn:oasis:names:tc:emergency:cap:1.2}"
    assert document.findtext(f"{cap}scope") == "Restricted"
    assert [i.findtext(f"{cap}language") for i in document.iter(f"{cap}info")] == ["es-PE", "en"]
    # An event queued without its message (an older database) gets it once, then kept as sent.
    stored = db.scalar(select(CapMessage).where(CapMessage.event_id == row.event_id))
    assert stored is not None
    assert stored.alert_id == alert.id
    assert request.body == stored.xml.encode()
    assert document.findtext(f"{cap}identifier") == stored.identifier
    assert stored.identifier.startswith("urn:uuid:")
    assert "Juan" not in request.body.decode()
