"""Demo alerts are exercises: SIMULACRO in every text, and never delivered outside example.org,
whatever contacts the deployment has (enforced by the delivery worker, tested on a real SMTP server).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.exercise import exercise_recipient_refusal
from alerts.messages import Notice, render_message
from ews.demo import generate_communities
from ews.jobs.entry_points import deliver_notifications
from ews.models import Community, OutboxMessage
from ews.reference.loader import community_values
from ews.settings import Settings
from tests.support.delivery import SmtpServer, add_contact, queue_alert


@pytest.mark.parametrize(
    ("channel", "address", "allowed"),
    [
        ("email", "alertas@minjus.example.org", True),
        ("email", "Mesa de partes <nacional@dp.example.org>", True),
        ("email", "someone@example.org", True),
        ("email", "alertas@minjus.gob.pe", False),
        ("email", "alertas@example.org.attacker.pe", False),
        ("email", "alertas@notexample.org", False),
        ("email", "no-domain", False),
        ("webhook", "https://receptor.minjus.example.org/ews/cap", True),
        ("webhook", "https://example.org.evil.pe/hook", False),
        ("webhook", "https://hooks.minjus.gob.pe/ews", False),
        ("webhook", "http://127.0.0.1:9000/hook", False),
        ("sms", "+51987654321", False),
    ],
)
def test_an_exercise_reaches_only_example_org(channel: str, address: str, allowed: bool) -> None:
    refusal = exercise_recipient_refusal(channel, address)
    assert (refusal is None) is allowed
    if refusal is not None:
        assert refusal.startswith("simulacro retenido")
        assert address not in refusal  # the delivery log never shows a contact's address


def _notice(exercise: bool) -> Notice:
    return Notice(
        alert_id=7,
        event_id=9,
        event_kind="raised",
        level="critical",
        event_at=datetime(2026, 11, 26, 14, 5, tzinfo=UTC),
        community_name="Comunidad Nativa Demo 0001 (sintético)",
        region="Ucayali",
        category="defender_safety",
        category_name={"es": "Seguridad de personas defensoras", "en": "Defender safety"},
        action={"es": "Activar el Mecanismo.", "en": "Activate the Mechanism."},
        institution_name="MINJUS",
        ack_url="http://127.0.0.1:8000/dashboard/alerts/7",
        exercise=exercise,
    )


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_text_of_an_exercise_starts_with_simulacro(language: str) -> None:
    drill = render_message(_notice(True), language)
    assert drill.subject.startswith("SIMULACRO")
    assert drill.text.splitlines()[0].startswith("SIMULACRO")
    assert drill.sms_text.startswith("SIMULACRO")
    real = render_message(_notice(False), language)
    assert "SIMULACRO" not in real.subject + real.text + real.sms_text


def _synthetic_community(db: Session) -> str:
    entry = generate_communities(1)[0]
    db.add(Community(code=entry["code"], **community_values(entry)))
    db.flush()
    return str(entry["code"])


def test_a_demo_alert_is_mailed_as_simulacro_and_held_outside_example_org(
    db: Session, settings: Settings, session_factory: sessionmaker[Session], smtp: SmtpServer
) -> None:
    demo = _synthetic_community(db)
    add_contact(
        db,
        code="minjus-real-email",
        institution_code="MINJUS",
        name="MINJUS (real)",
        channel="email",
        address="alertas@minjus.gob.pe",
    )
    add_contact(
        db,
        code="minjus-real-sms",
        institution_code="MINJUS",
        name="MINJUS guardia",
        channel="sms",
        address="+51987654321",
    )
    codes = ["minjus-regional-email", "minjus-real-email", "minjus-real-sms"]
    queue_alert(db, contact_codes=codes, community=demo)
    queue_alert(db, contact_codes=["minjus-real-email"])  # a real community: goes anywhere
    db.commit()

    summary = deliver_notifications(
        settings=settings.model_copy(update={"smtp_port": smtp.port}),
        session_factory=session_factory,
    )

    assert summary["sent"] == 2
    assert summary["dead"] == 2
    [drill] = smtp.recorder.to("alertas@minjus.example.org")
    assert drill["Subject"].startswith("SIMULACRO - [EWS]")
    assert drill.get_content().splitlines()[0].startswith("SIMULACRO")
    [real] = smtp.recorder.to("alertas@minjus.gob.pe")
    assert "SIMULACRO" not in real["Subject"]
    assert "SIMULACRO" not in real.get_content()
    db.expire_all()
    held = db.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).all()
    assert {row.channel for row in held} == {"email", "sms"}
    assert all(row.last_error and row.last_error.startswith("simulacro retenido") for row in held)
