"""One CAP message per notified event, as a receiver sees it: an alert walks through raised,
escalated, national escalation, acknowledged and resolved; every webhook body is verified with
``standardwebhooks`` by a real HTTP receiver on loopback, checked against the OASIS schema, its
msgType and its chain of references, and is byte for byte the message the API serves for that
event. Both engines."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError

from alerts.cap import cap_time
from ews.alerting.evaluation import evaluate
from ews.delivery.channels import webhook_secret
from ews.jobs.entry_points import deliver_notifications
from ews.models import Alert, CapMessage, Community, Contact
from ews.models.base import utcnow
from ews.settings import Settings
from tests.support.alerts import add_value, alerts_by_category
from tests.support.delivery import HttpReceiver, Received, add_contact
from tests.support.paths import CAP_XSD
from tests.support.settings import TEST_CAP_SENDER
from tests.support.web import auth

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
NOW = datetime.now(UTC).replace(microsecond=0)
H = timedelta(hours=1)
# Words that give a language away in the other language's <info> (names of places excepted).
SPANISH = ("nivel", "línea base", "Instituciones", "emitida", "elevado", "advertencia", "crítico")
ENGLISH = ("level", "baseline", "Institutions", "raised", "warning", "critical", "Alert ")
HUMAN = ("event", "headline", "description", "instruction", "senderName")
CONTACTS = {  # code -> institution, scope
    "minam-cap": ("MINAM", "regional"),
    "minjus-cap": ("MINJUS", "national"),
    "dp-cap": ("DP", "national"),
}


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CAP_XSD)))


@pytest.fixture
def receiver(db: Session) -> Any:
    """Only the test's CAP webhooks receive: the fixture's contacts are set aside."""
    db.execute(update(Contact).values(active=False))
    with HttpReceiver(statuses=[200]) as http:
        for code, (institution, scope) in CONTACTS.items():
            add_contact(
                db,
                code=code,
                institution_code=institution,
                name=f"{institution} CAP",
                channel="webhook",
                address=f"{http.url}?c={code}",
                payload_format="cap",
            )
            db.execute(
                update(Contact)
                .where(Contact.code == code)
                .values(scope=scope, region_ubigeo=None if scope == "national" else "25")
            )
        db.commit()
        yield http


def deliver(settings: Settings, factory: sessionmaker[Session]) -> None:
    summary = deliver_notifications(
        settings=settings.model_copy(update={"webhook_allow_private": True}),
        session_factory=factory,
        as_of=utcnow(),
    )
    assert summary["dead"] == 0, summary
    assert summary["retried"] == 0, summary


def received_by(http: HttpReceiver, settings: Settings) -> dict[str, list[Received]]:
    """Each contact's webhooks in arrival order, every signature verified as a receiver would."""
    by_contact: dict[str, list[Received]] = defaultdict(list)
    for request in http.requests:
        code = parse_qs(urlsplit(request.path).query)["c"][0]
        # A CAP body is XML, not JSON: the receiver passes json_parse=False.
        Webhook(webhook_secret(settings, code)).verify(
            request.body, request.headers, json_parse=False
        )
        by_contact[code].append(request)
    return by_contact


def references(document: etree._Element) -> list[tuple[str, str, str]]:
    text = document.findtext(f"{CAP}references")
    return [tuple(item.split(",")) for item in text.split()] if text else []  # type: ignore[misc]


def check_languages(document: etree._Element) -> None:
    infos = document.findall(f"{CAP}info")
    assert [info.findtext(f"{CAP}language") for info in infos] == ["es-PE", "en"]
    sent = datetime.fromisoformat(document.findtext(f"{CAP}sent"))
    for info in infos:
        expires = datetime.fromisoformat(info.findtext(f"{CAP}expires"))
        assert expires > sent
        text = " ".join(info.findtext(f"{CAP}{name}") or "" for name in HUMAN)
        foreign = ENGLISH if info.findtext(f"{CAP}language") == "es-PE" else SPANISH
        assert not [word for word in foreign if word in text], text


def test_an_alert_walks_through_its_events_and_each_message_is_right_on_the_wire(
    client: TestClient,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_key: Any,
    receiver: HttpReceiver,
    cap_schema: etree.XMLSchema,
) -> None:
    analyst = auth(make_key("analyst"))
    # raised (warning), escalated (high), national escalation (high, 13 h unacknowledged)
    add_value(db, "fire_hotspots", "warning", NOW - 20 * H, value=4)
    evaluate(db, settings=settings, now=NOW - 20 * H)
    db.commit()
    deliver(settings, session_factory)
    add_value(db, "fire_hotspots", "high", NOW - 19 * H, value=12)
    evaluate(db, settings=settings, now=NOW - 19 * H)
    db.commit()
    deliver(settings, session_factory)
    evaluate(db, settings=settings, now=NOW - 6 * H)
    db.commit()
    deliver(settings, session_factory)
    alert_id = alerts_by_category(db)["fire"].id
    # acknowledged (notifies nobody), then resolved by hand (notifies everyone it reached)
    for action in ("acknowledge", "resolve"):
        response = client.post(
            f"/api/v1/alerts/{alert_id}/{action}", headers=analyst, json={"note": "en camino"}
        )
        assert response.status_code == 200, response.text
    deliver(settings, session_factory)

    events = client.get(f"/api/v1/alerts/{alert_id}", headers=analyst).json()["events"]
    kinds = [event["kind"] for event in events]
    assert kinds == ["raised", "escalated", "escalated_national", "acknowledged", "resolved"]
    served: dict[str, bytes] = {}
    for event in events:
        answer = client.get(f"/api/v1/alerts/{alert_id}/events/{event['id']}/cap", headers=analyst)
        if event["kind"] == "acknowledged":
            assert answer.status_code == 404, answer.text  # it notified nobody
            assert "notificó a nadie" in answer.json()["detail"]
            continue
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/cap+xml")
        served[event["kind"]] = answer.content
    latest = client.get(f"/api/v1/alerts/{alert_id}/cap", headers=analyst)
    assert latest.content == served["resolved"]

    # The API's messages, in order, each referencing every earlier one.
    chain: list[tuple[str, str, str]] = []
    expected = {
        "raised": "Alert",
        "escalated": "Update",
        "escalated_national": "Update",
        "resolved": "Cancel",
    }
    severities = {"raised": "Moderate", "escalated": "Severe"}
    for kind, body in served.items():
        document = etree.fromstring(body)
        cap_schema.assertValid(document)
        assert document.findtext(f"{CAP}msgType") == expected[kind]
        assert document.findtext(f"{CAP}status") == "Actual"
        assert document.findtext(f"{CAP}sender") == TEST_CAP_SENDER
        assert document.findtext(f"{CAP}identifier").startswith("urn:uuid:")
        assert references(document) == chain, kind
        assert document.findtext(f"{CAP}info/{CAP}severity") == severities.get(kind, "Severe")
        check_languages(document)
        chain.append(
            (
                document.findtext(f"{CAP}sender"),
                document.findtext(f"{CAP}identifier"),
                document.findtext(f"{CAP}sent"),
            )
        )
    assert len({identifier for _s, identifier, _t in chain}) == 4
    national = etree.fromstring(served["escalated_national"])
    assert national.findtext(f"{CAP}restriction").split() == ["MINAM", "MINJUS", "DP"]
    resolved = etree.fromstring(served["resolved"])
    assert resolved.findtext(f"{CAP}info/{CAP}responseType") == "AllClear"

    # What each receiver got: exactly the messages of the events it was told of, byte for byte.
    got = received_by(receiver, settings)
    assert {r.headers["content-type"] for r in receiver.requests} == {"application/cap+xml"}
    assert [r.body for r in got["minam-cap"]] == [
        served["raised"],
        served["escalated"],
        served["resolved"],
    ]
    for national_contact in ("minjus-cap", "dp-cap"):
        assert [r.body for r in got[national_contact]] == [
            served["escalated_national"],
            served["resolved"],
        ]
    # A regional receiver's Cancel names the national message it never got; the API has it.
    cancel = etree.fromstring(got["minam-cap"][-1].body)
    assert references(cancel)[2][1] == national.findtext(f"{CAP}identifier")
    stored = db.scalars(select(CapMessage).where(CapMessage.alert_id == alert_id)).all()
    assert [(row.msg_type, row.xml.encode()) for row in stored] == [
        (expected[kind], body) for kind, body in served.items()
    ]


def test_a_message_is_never_rendered_again(
    client: TestClient, db: Session, settings: Settings, make_key: Any, receiver: HttpReceiver
) -> None:
    """Rendered when the event is written: later changes to the alert leave it as it was."""
    analyst = auth(make_key("analyst"))
    add_value(db, "fire_hotspots", "warning", NOW - 2 * H, value=4)
    evaluate(db, settings=settings, now=NOW - 2 * H)
    db.commit()
    alert = alerts_by_category(db)["fire"]
    [event] = client.get(f"/api/v1/alerts/{alert.id}", headers=analyst).json()["events"]
    url = f"/api/v1/alerts/{alert.id}/events/{event['id']}/cap"
    before = client.get(url, headers=analyst).content
    db.execute(update(Alert).where(Alert.id == alert.id).values(level="critical"))
    db.commit()
    assert client.get(url, headers=analyst).content == before
    document = etree.fromstring(before)
    assert document.findtext(f"{CAP}sent") == cap_time(datetime.fromisoformat(event["at"]))


def test_a_synthetic_community_alert_is_an_exercise(
    client: TestClient, db: Session, settings: Settings, make_key: Any, receiver: HttpReceiver
) -> None:
    real = db.get(Community, "flor-de-ucayali")
    assert real is not None
    columns = {c.key: getattr(real, c.key) for c in Community.__table__.columns}
    db.add(
        Community(**{**columns, "code": "simulacro-cap", "name": "Simulacro", "synthetic": True})
    )
    db.flush()
    add_value(db, "fire_hotspots", "warning", NOW - H, value=4, community="simulacro-cap")
    evaluate(db, settings=settings, now=NOW - H)
    db.commit()
    alert_id = next(
        a.id for a in alerts_by_category(db).values() if a.community_code == "simulacro-cap"
    )
    document = etree.fromstring(
        client.get(f"/api/v1/alerts/{alert_id}/cap", headers=auth(make_key("analyst"))).content
    )
    assert document.findtext(f"{CAP}status") == "Exercise"
    headlines = [info.findtext(f"{CAP}headline") for info in document.findall(f"{CAP}info")]
    assert headlines[0].startswith("SIMULACRO: ")
    assert headlines[1].startswith("EXERCISE: ")


def test_a_silenced_event_has_no_message(
    client: TestClient, db: Session, settings: Settings, make_key: Any, receiver: HttpReceiver
) -> None:
    analyst = auth(make_key("analyst"))
    silence = client.post(
        "/api/v1/silences",
        headers=analyst,
        json={
            "community": "flor-de-ucayali",
            "category": "fire",
            "ends_at": (utcnow() + H).isoformat(),
            "reason": "quema agrícola conocida",
        },
    )
    assert silence.status_code == 201, silence.text
    add_value(db, "fire_hotspots", "warning", utcnow() - H, value=4)
    evaluate(db, settings=settings, now=utcnow())
    db.commit()
    alert_id = alerts_by_category(db)["fire"].id
    [event] = client.get(f"/api/v1/alerts/{alert_id}", headers=analyst).json()["events"]
    assert event["muted_by"]
    for url in (
        f"/api/v1/alerts/{alert_id}/events/{event['id']}/cap",
        f"/api/v1/alerts/{alert_id}/cap",
    ):
        assert client.get(url, headers=analyst).status_code == 404
    # Another alert's event is not this alert's, whatever its id.
    assert (
        client.get(
            f"/api/v1/alerts/{alert_id + 1}/events/{event['id']}/cap", headers=analyst
        ).status_code
        == 404
    )


def readme_receiver() -> Any:
    """The receiver's verification code as the README shows it, run as written."""
    readme = (CAP_XSD.parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- receiver-example -->", 1)[1].split("```python", 1)[1]
    code = textwrap.dedent(block.split("```", 1)[0])
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["receive"]


def test_the_readme_receiver_code_verifies_json_and_cap_webhooks(
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    receiver: HttpReceiver,
) -> None:
    receive = readme_receiver()
    db.execute(update(Contact).where(Contact.code == "dp-cap").values(payload_format="json"))
    db.execute(update(Contact).where(Contact.code == "minam-cap").values(min_level="warning"))
    add_value(db, "fire_hotspots", "critical", NOW - H, value=40)
    evaluate(db, settings=settings, now=NOW - H)
    db.commit()
    deliver(settings, session_factory)
    got = received_by(receiver, settings)
    as_json = receive(
        got["dp-cap"][0].body, got["dp-cap"][0].headers, webhook_secret(settings, "dp-cap")
    )
    assert as_json["type"] == "alert.escalated_national"
    as_cap = receive(
        got["minam-cap"][0].body, got["minam-cap"][0].headers, webhook_secret(settings, "minam-cap")
    )
    assert as_cap.tag == f"{CAP}alert"
    assert as_cap.findtext(f"{CAP}msgType") == "Alert"
    tampered = got["minam-cap"][0].body.replace(b"Actual", b"Exercise")
    with pytest.raises(WebhookVerificationError):
        receive(tampered, got["minam-cap"][0].headers, webhook_secret(settings, "minam-cap"))
