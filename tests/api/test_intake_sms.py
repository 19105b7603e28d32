"""SMS gateway messages as patrol reports: the parser and its Spanish corrections, accepted, resent
and conflicting messages, positions, rejected messages kept pseudonymized, unknown fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.auth.pseudonyms import pseudonymize
from ews.intake.reports import ThreatType
from ews.intake.sms import SmsError, parse_sms
from ews.models import Community, QuarantineRow, Report, SmsMessage
from ews.settings import Settings
from tests.support.patrol_reports import COMMUNITY
from tests.support.sms_gateway import sms
from tests.support.web import auth

COMMUNITIES = {COMMUNITY}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EWS flor-de-ucayali fuego 3", (ThreatType.fire, 3, None, None, None)),
        (
            "ews FLOR-DE-UCAYALI Tala 5 -8.31 -74.10",
            (ThreatType.illegal_logging, 5, -8.31, -74.1, None),
        ),
        (
            "EWS flor-de-ucayali coca 2 -8,3 -74,1 chacra nueva al norte",
            (ThreatType.coca_cultivation, 2, -8.3, -74.1, "chacra nueva al norte"),
        ),
        (
            "EWS flor-de-ucayali sin_novedad 1 todo tranquilo",
            (ThreatType.all_quiet, 1, None, None, "todo tranquilo"),
        ),
        (
            "EWS flor-de-ucayali settler_invasion 4",
            (ThreatType.settler_invasion, 4, None, None, None),
        ),
        (
            "  EWS  flor-de-ucayali  amenaza  5  ",
            (ThreatType.threat_to_defender, 5, None, None, None),
        ),
    ],
)
def test_parse_sms(text: str, expected: tuple[Any, ...]) -> None:
    parsed = parse_sms(text, communities=COMMUNITIES)
    assert parsed.community == COMMUNITY
    got = (
        parsed.threat_type,
        parsed.severity,
        parsed.latitude,
        parsed.longitude,
        parsed.description,
    )
    assert got == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("hola", "Mensaje no reconocido"),
        ("EWS flor-de-ucayali fuego", "Faltan datos"),
        ("EWS otra fuego 3", "Comunidad 'otra' desconocida"),
        ("EWS flor-de-ucayali ovni 3", "Amenaza 'ovni' desconocida"),
        ("EWS flor-de-ucayali fuego 7", "Gravedad '7'"),
        ("EWS flor-de-ucayali fuego 3 -8.3", "juntas"),
        ("EWS flor-de-ucayali fuego 3 -98.3 -74.1", "fuera de rango"),
    ],
)
def test_parse_sms_corrections_are_spanish(text: str, words: str) -> None:
    with pytest.raises(SmsError) as caught:
        parse_sms(text, communities=COMMUNITIES)
    assert words in caught.value.reply


def test_sms_accepted_resent_conflict_rejected(
    client: TestClient, db: Session, feed: str, settings: Settings
) -> None:
    first = client.post("/api/v1/intake/sms", json=sms(), headers=auth(feed))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "accepted"
    assert body["reply"].startswith("Recibido: fuego, gravedad 4")
    report = db.get(Report, body["report_id"])
    assert report is not None
    assert report.source == "sms"
    assert report.source_ref == "gw-0001"
    phone_pseudonym = pseudonymize(settings.secret_key, "phone:+51987654321")
    assert report.reporter_pseudonym == phone_pseudonym
    stored = db.get(SmsMessage, "gw-0001")
    assert stored is not None
    assert stored.sender_pseudonym == phone_pseudonym
    for text in (first.text, str(stored.__dict__), str(report.__dict__)):
        # The whole number in any spelling; "987" alone can occur by chance in a UUID or a hash.
        for spelling in ("987654321", "987 654 321", "987-654-321"):
            assert spelling not in text
    again = client.post("/api/v1/intake/sms", json=sms(), headers=auth(feed))
    assert again.status_code == 200
    assert again.json() == {**body, "status": "duplicate"}
    other = client.post(
        "/api/v1/intake/sms", json=sms(text="EWS flor-de-ucayali fuego 1"), headers=auth(feed)
    )
    assert other.status_code == 409
    wrong = client.post(
        "/api/v1/intake/sms", json=sms(id="gw-0002", text="EWS x fuego 9"), headers=auth(feed)
    )
    assert wrong.status_code == 200
    assert wrong.json()["status"] == "rejected"
    assert "Comunidad 'x' desconocida" in wrong.json()["reply"]
    assert wrong.json()["report_id"] is None
    assert db.get(SmsMessage, "gw-0002").status == "rejected"  # type: ignore[union-attr]
    late = sms(id="gw-0003", received_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    future = client.post("/api/v1/intake/sms", json=late, headers=auth(feed))
    assert future.json()["status"] == "rejected"
    assert "futuro" in future.json()["reply"]


def test_sms_bad_gateway_message_is_422(client: TestClient, feed: str) -> None:
    response = client.post(
        "/api/v1/intake/sms", json={"id": "x", "text": "EWS"}, headers=auth(feed)
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"from", "received_at"}


def test_sms_position_with_a_comma_is_stored_and_confirmed(
    client: TestClient, db: Session, feed: str
) -> None:
    text = "EWS flor-de-ucayali tala 3 -8.31,-74.10 camión con trozas"
    response = client.post("/api/v1/intake/sms", json=sms(text=text), headers=auth(feed))
    assert response.status_code == 201, response.text
    body = response.json()
    report = db.get(Report, body["report_id"])
    assert report is not None
    assert (report.latitude, report.longitude, report.description) == (
        -8.31,
        -74.1,
        "camión con trozas",
    )
    assert "posición -8.31,-74.1" in body["reply"]
    plain = client.post(
        "/api/v1/intake/sms",
        json=sms(id="gw-0009", text="EWS flor-de-ucayali tala 3 camión"),
        headers=auth(feed),
    )
    assert "sin posición" in plain.json()["reply"]


def test_sms_unreadable_position_is_refused_with_a_correction(
    client: TestClient, db: Session, feed: str
) -> None:
    text = "EWS flor-de-ucayali tala 3 -8.31,-74.10camion"
    response = client.post("/api/v1/intake/sms", json=sms(text=text), headers=auth(feed))
    assert response.json()["status"] == "rejected"
    assert "No se pudo leer" in response.json()["reply"]
    assert db.scalars(select(Report)).all() == []


def test_rejected_sms_is_kept_pseudonymized_once_and_the_reply_lists_no_community(
    client: TestClient, db: Session, feed: str, settings: Settings
) -> None:
    message = sms(id="gw-0100", text="EWS flor-de-ucayal fuego 3 humo")
    for _ in range(3):  # the gateway retries
        response = client.post("/api/v1/intake/sms", json=message, headers=auth(feed))
        assert response.json()["status"] in ("rejected", "duplicate")
        reply = response.json()["reply"]
        assert "desconocida" in reply
        assert not any(code in reply for code in db.scalars(select(Community.code)))
    kept = db.scalars(select(QuarantineRow).where(QuarantineRow.source == "sms")).all()
    assert len(kept) == 1
    assert kept[0].raw == message["text"]
    assert kept[0].details == {
        "gateway_id": "gw-0100",
        "status": "rejected",
        "sender": pseudonymize(settings.secret_key, "phone:+51987654321"),
    }
    assert "987654321" not in f"{kept[0].raw} {kept[0].error} {kept[0].details}"


def test_unknown_fields_of_an_sms_are_refused(client: TestClient, feed: str) -> None:
    response = client.post(
        "/api/v1/intake/sms", json={**sms(), "location": "-8.3,-74.1"}, headers=auth(feed)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "location", "message": "campo no reconocido / unknown field"}
    ]
