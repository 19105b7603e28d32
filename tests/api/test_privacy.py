"""Reporter identity never leaves the service: a monitor with a distinctive name reports through the
API, the phone of an SMS reporter and the Kobo user are known; after the fast path, an evaluation and
delivery to a real SMTP server, none of them (nor the key, nor the stored pseudonym) appears in the
logs, the metrics, the notifications, the daily digests, CAP, the Atom feed, the API answers or the
exports. A photo whose EXIF names the phone and its owner is served with neither. The community's
leader hears back by SMS (a loopback gateway) with no evidence, no reporter and no community named;
the leader of another community hears nothing."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ews.auth.keys import Role, create_key
from ews.jobs.entry_points import (
    compute_indicators,
    deliver_notifications,
    evaluate_alerts,
    send_digests,
    tell_communities,
)
from ews.logs import JsonFormatter
from ews.models import Alert, CapMessage, InstitutionDigest, Patrol, Report
from ews.settings import Settings
from tests.api.test_patrols import patrol as patrol_body
from tests.support.community_contacts import (
    LEADER_DIGITS,
    OTHER_COMMUNITY,
    OTHER_DIGITS,
    OTHER_NAME,
    OTHER_PHONE,
    add_leader,
    add_other_community,
)
from tests.support.delivery import HttpReceiver, SmtpServer
from tests.support.photos import DEVICE_WORDS, photo_bytes, read_exif
from tests.support.web import auth, sign_in

REPORTER_NAME = "Juana Quispe Reportera"
PHONE = "+51 912 345 678"
KOBO_USER = "juana_kobo_7731"


def test_no_reporter_identity_anywhere(
    client: TestClient,
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_key,  # type: ignore[no-untyped-def]
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings.model_copy(update={"smtp_port": smtp.port})
    _row, monitor = create_key(
        db, role=Role.monitor, name=REPORTER_NAME, community_code="flor-de-ucayali"
    )
    db.commit()
    analyst, feed, admin = make_key("analyst"), make_key("feed"), make_key("admin")
    institution = make_key("institution", institution="MINJUS")
    now = datetime.now(UTC)

    report_id = str(uuid.uuid4())
    created = client.post(
        "/api/v1/reports",
        headers=auth(monitor),
        json={
            "id": report_id,
            "community": "flor-de-ucayali",
            "threat_type": "threat_to_defender",
            "severity": 5,
            "observed_at": (now - timedelta(hours=2)).isoformat(),
            "latitude": -8.31,
            "longitude": -74.1,
            "description": "Hombres armados en la trocha",
        },
    )
    assert created.status_code == 201, created.text
    # A photo whose EXIF names the phone and its owner (the reporter), with time and place kept.
    photo = client.post(
        f"/api/v1/reports/{report_id}/photos",
        headers=auth(monitor),
        files={"file": ("IMG_0001.jpg", photo_bytes(artist=REPORTER_NAME), "image/jpeg")},
        data={"keep_time_and_place": "true"},
    )
    assert photo.status_code == 201, photo.text
    # A patrol by the same monitor, with a photo naming its owner too.
    patrol = patrol_body()
    assert client.post("/api/v1/patrols", headers=auth(monitor), json=patrol).status_code == 201
    patrol_photo = client.post(
        f"/api/v1/patrols/{patrol['id']}/photos",
        headers=auth(monitor),
        files={"file": ("IMG_0002.jpg", photo_bytes(artist=REPORTER_NAME), "image/jpeg")},
    )
    assert patrol_photo.status_code == 201, patrol_photo.text
    sms = client.post(
        "/api/v1/intake/sms",
        headers=auth(feed),
        json={
            "id": "gw-privacy-1",
            "from": PHONE,
            "text": "EWS flor-de-ucayali invasion 3 colonos",
            "received_at": (now - timedelta(minutes=5)).isoformat(),
        },
    )
    assert sms.status_code == 201, sms.text
    kobo = client.post(
        "/api/v1/intake/kobo",
        headers=auth(feed),
        json={
            "community": "flor-de-ucayali",
            "threat_type": "coca",
            "severity": "3",
            "start": (now - timedelta(hours=3)).isoformat(),
            "meta/instanceID": f"uuid:{uuid.uuid4()}",
            "_submission_time": now.strftime("%Y-%m-%dT%H:%M:%S"),
            "_submitted_by": KOBO_USER,
            "_geolocation": [-8.3, -74.08],
        },
    )
    assert kobo.status_code == 201, kobo.text

    # The community's leader, and the leader of another community, hear back by SMS.
    add_other_community(db)
    db.commit()
    add_leader(client, admin)
    add_leader(client, admin, code="otra-lider", community=OTHER_COMMUNITY, phone=OTHER_PHONE)

    compute_indicators(settings=settings, session_factory=session_factory, as_of=now)
    evaluate_alerts(settings=settings, session_factory=session_factory, as_of=now)
    with HttpReceiver(statuses=[200]) as gateway:
        sms_settings = settings.model_copy(update={"sms_gateway_url": gateway.url})
        tell_communities(settings=sms_settings, session_factory=session_factory, as_of=None)
        minjus_alert = db.scalars(select(Alert).where(Alert.category == "defender_safety")).one()
        for url, body in (
            (f"/api/v1/alerts/{minjus_alert.id}/acknowledge", {"note": "Mecanismo activado"}),
            (
                f"/api/v1/alerts/{minjus_alert.id}/actions",
                {"type": "protection_measures_requested", "status": "planned"},
            ),
        ):
            acted = client.post(url, headers=auth(institution), json=body)
            assert acted.status_code in (200, 201), acted.text
        tell_communities(settings=sms_settings, session_factory=session_factory, as_of=None)
        # Delivery at the real time: the fast path queued its messages after `now` was taken.
        delivered = deliver_notifications(
            settings=sms_settings, session_factory=session_factory, as_of=datetime.now(UTC)
        )
    assert delivered["sent"] >= 2  # the defender alert reached MINJUS and DP
    community_sms = [json.loads(request.body) for request in gateway.requests]
    # Only Flor de Ucayali's leader: its alerts, nothing for (or about) the other community.
    assert {body["to"] for body in community_sms} == {"+51961222333"}
    assert any("MinJUS" in body["text"] for body in community_sms)
    # The day's digests (DESIGN section 12) go through the same outbox to the same server.
    digested = send_digests(settings=settings, session_factory=session_factory)
    assert digested["institutions"]["MINJUS"] == "queued"
    deliver_notifications(settings=settings, session_factory=session_factory)

    pseudonyms = set(db.scalars(select(Report.reporter_pseudonym)))
    pseudonyms |= set(db.scalars(select(Patrol.submitter_pseudonym)))
    needles = {
        REPORTER_NAME,
        "Juana",
        "Quispe",
        monitor,
        monitor.split("_")[1],
        "912345678",
        "912 345 678",
        KOBO_USER,
        *pseudonyms,
        *DEVICE_WORDS,
    }

    seen: dict[str, str] = {}
    alert_ids = list(db.scalars(select(Alert.id)))
    assert alert_ids
    # Every CAP message stored (an alert whose events all were muted has none: its /cap is 404).
    cap_events = db.execute(select(CapMessage.alert_id, CapMessage.event_id)).all()
    assert cap_events
    for token, urls in (
        (
            analyst,
            [
                "/api/v1/reports",
                "/api/v1/alerts",
                "/api/v1/alerts/feed.atom",
                "/api/v1/notifications",
                "/api/v1/silences",
                "/api/v1/patrols",
                *[f"/api/v1/alerts/{i}" for i in alert_ids],
                *[f"/api/v1/alerts/{a}/events/{e}/cap" for a, e in cap_events],
                *{f"/api/v1/alerts/{a}/cap" for a, _e in cap_events},
            ],
        ),
        (institution, ["/api/v1/alerts", "/api/v1/alerts/feed.atom", "/api/v1/indicators"]),
        (analyst, ["/api/v1/indicators", "/api/v1/indicators?format=csv&limit=1000"]),
        (admin, ["/api/v1/reports?limit=1000"]),
        (monitor, ["/api/v1/reports"]),
    ):
        for url in urls:
            response = client.get(url, headers=auth(token))
            assert response.status_code == 200, (url, response.text)
            seen[f"GET {url}"] = response.text
    seen["POST photo"] = photo.text
    seen["POST patrol photo"] = patrol_photo.text
    served = client.get(patrol_photo.json()["url"], headers=auth(analyst))
    seen["GET patrol photo"] = served.content.decode("latin-1")
    for url in (photo.json()["url"], photo.json()["thumbnail_url"]):
        served = client.get(url, headers=auth(analyst))
        assert served.status_code == 200, url
        # Bytes read as text: a name or a device field would show in the EXIF as plain ASCII.
        seen[f"GET {url}"] = served.content.decode("latin-1")
        base, exif, _gps = read_exif(served.content)
        assert not set(base) - {ExifTags.Base.DateTime, ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo}
        assert not set(exif) - {ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal}
    listed = client.get("/api/v1/reports", headers=auth(analyst)).json()["items"]
    assert [p["id"] for r in listed if r["id"] == report_id for p in r["photos"]] == [
        photo.json()["id"]
    ]
    seen["GET /metrics"] = client.get("/metrics").text
    assert "defender_threats" in seen["GET /api/v1/indicators?format=csv&limit=1000"]
    for mail in smtp.recorder.messages:
        seen[f"mail to {mail['To']}"] = mail.as_string()
    for index, body in enumerate(community_sms):
        seen[f"community sms {index}"] = body["text"]
    seen["GET /report/messages"] = client.get("/report/messages", headers=auth(monitor)).text
    formatter = JsonFormatter()
    seen["logs"] = "\n".join(formatter.format(record) for record in caplog.records)
    seen["sms reply"] = sms.text
    # The day's digests as the dashboard shows them: the list and each one's full text.
    sign_in(client, analyst)
    made = db.scalars(select(InstitutionDigest.id).order_by(InstitutionDigest.id))
    pages = ["/dashboard/digests", *(f"/dashboard/digests/{i}" for i in made)]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        seen[f"GET {url}"] = response.text
    assert any("digest-body-" in seen[f"GET {url}"] for url in pages[1:])

    assert len(smtp.recorder.messages) >= 2
    digests = [m for m in smtp.recorder.messages if m["X-EWS-Digest"]]
    assert digests
    for mail in digests:
        # A digest carries no one's words at all, not even those a notification may quote.
        for words in ("Hombres armados", "colonos", "trocha"):
            assert words not in mail.as_string(), f"{words!r} in the digest to {mail['To']}"
    for url in pages:
        for words in ("Hombres armados", "colonos", "trocha"):
            assert words not in seen[f"GET {url}"], f"{words!r} in {url}"
    # Photos are never attached to a notification, nor linked from one.
    for mail in smtp.recorder.messages:
        assert "/api/v1/photos" not in mail.as_string()
        assert [p for p in mail.walk() if p.get_content_maintype() == "image"] == []
    for where, text in seen.items():
        for needle in needles:
            assert needle not in text, f"{needle!r} leaked into {where}"
    # A community's messages carry no evidence and name no community, its own or another.
    for where, text in seen.items():
        if where.startswith(("community sms", "GET /report/messages")):
            for evidence in ("armados", "trocha", "colonos", "-8.31", "-74.1", "gravedad", "5/5"):
                assert evidence not in text, f"{evidence!r} leaked into {where}"
            for community in ("Flor de Ucayali", "flor-de-ucayali", OTHER_NAME, OTHER_COMMUNITY):
                assert community not in text, f"{community!r} named in {where}"
    # Nor do the leaders' phones leak anywhere (logs, audit answers, notifications).
    for where, text in seen.items():
        for digits in (LEADER_DIGITS, OTHER_DIGITS):
            assert digits not in text, f"a leader's phone leaked into {where}"
