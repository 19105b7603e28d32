"""The daily digests in the dashboard, from the user's timeline: a monitor (with a name of her own)
reports a threat to a defender and a settler invasion through the API, the pipeline raises the
alerts, MINJUS records an action with a note; the digest job makes the day's digests, DP's mail
server refuses for good and MINAM's for now, and delivery runs against a real SMTP server on
loopback. An analyst then finds, per institution and day, which digest was sent, which failed,
which waits and which had nothing to say, and reads each one's text exactly as the SMTP server
received it (or as the outbox keeps it, for one never received), with no one's identity in it.
Only analysts and admins open these pages."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.message import EmailMessage

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.digest import digest_from_json, render_digest
from ews.auth.keys import Role, create_key
from ews.models import Alert, InstitutionDigest, OutboxMessage
from tests.api.test_digests import DP_MAIL, MINAM_MAIL, digests, run, text_of
from tests.support.delivery import SmtpServer
from tests.support.patrol_reports import COMMUNITY, report
from tests.support.web import auth, sign_in

REPORTER_NAME = "Rosa Huamán Reportera"
STATUS_WORDS = {"sent": "enviado", "pending": "pendiente", "dead": "muerto"}
ACTION_NOTE = "Llamar a la lideresa al celular 987 654 321"


def row_of(page: str, digest_id: int) -> str:
    found = re.search(rf'<tr id="digest-{digest_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"digest {digest_id} is not listed"
    return found.group(1)


def mail_text(mail: EmailMessage) -> str:
    """A mail's plain text with the line endings it was written with (SMTP carries CRLF)."""
    return text_of(mail).replace("\r\n", "\n")


def shown(page: str, element_id: str) -> str:
    """The text of the element ``element_id`` as the reader sees it (markup and escapes undone)."""
    found = re.search(rf'id="{element_id}">(.*?)</(?:pre|dd)>', page, re.S)
    assert found, f"no #{element_id} on the page"
    return html.unescape(found.group(1))


def test_an_analyst_reads_each_digest_as_it_was_sent_failed_or_waits(
    mail_client: TestClient,
    db: Session,
    smtp: SmtpServer,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    client = mail_client
    analyst_key = make_key("analyst")
    analyst = auth(analyst_key)
    _row, monitor = create_key(db, role=Role.monitor, name=REPORTER_NAME, community_code=COMMUNITY)
    db.commit()
    for body in (
        report(threat_type="threat_to_defender", severity=5, description="Amenazaron al apu"),
        report(threat_type="settler_invasion", description="colonos abriendo trocha"),
    ):
        created = client.post("/api/v1/reports", json=body, headers=auth(monitor))
        assert created.status_code == 201, created.text
    run(client, analyst, "pipeline")
    defender = db.scalars(select(Alert).where(Alert.category == "defender_safety")).one()
    action = client.post(
        f"/api/v1/alerts/{defender.id}/actions",
        json={"type": "protection_measures_requested", "status": "planned", "note": ACTION_NOTE},
        headers=auth(make_key("institution", institution="MINJUS")),
    )
    assert action.status_code == 201, action.text

    smtp.recorder.refuse[DP_MAIL] = "550 5.1.1 no such user"
    smtp.recorder.refuse[MINAM_MAIL] = "451 4.3.0 try again later"
    summary = run(client, analyst, "send-digests", datetime.now(UTC))
    assert summary["institutions"] == {
        "DEVIDA": "nothing",  # nothing routed to it: the day is done, no message
        "DP": "queued",
        "MINAM": "queued",
        "MINJUS": "queued",
    }
    run(client, analyst, "deliver-notifications")
    made = {d.institution_code: d for d in db.scalars(select(InstitutionDigest))}
    rows = {
        code: list(db.scalars(select(OutboxMessage).where(OutboxMessage.digest_id == d.id)))
        for code, d in made.items()
    }
    db.expire_all()
    assert {r.status for r in rows["MINJUS"]} == {"sent"}
    assert "dead" in {r.status for r in rows["DP"]}
    assert "pending" in {r.status for r in rows["MINAM"]}
    assert rows["DEVIDA"] == []

    sign_in(client, analyst_key)
    listed = client.get("/dashboard/digests")
    assert listed.status_code == 200, listed.text
    day = made["MINJUS"].day.isoformat()
    minjus = row_of(listed.text, made["MINJUS"].id)
    assert f'href="/dashboard/digests/{made["MINJUS"].id}">{day}</a>' in minjus
    assert f"enviado {len(rows['MINJUS'])}" in minjus and "muerto" not in minjus
    assert "muerto 1" in row_of(listed.text, made["DP"].id)
    minam = row_of(listed.text, made["MINAM"].id)
    assert "pendiente 1" in minam and "con error" in minam and "enviado" not in minam
    devida = row_of(listed.text, made["DEVIDA"].id)
    assert "Nada que decir: no se envió" in devida and "badge" not in devida
    # What the institution's whole digest counted (one pending action of MINJUS).
    assert "1 pendiente(s)" in minjus
    # The API's delivery log says of each digest's messages what the list says.
    logged: dict[int, dict[str, int]] = {}
    for item in client.get("/api/v1/notifications", headers=analyst).json()["items"]:
        if item["event"] == "digest":
            states = logged.setdefault(item["digest_id"], {})
            states[item["status"]] = states.get(item["status"], 0) + 1
    assert set(logged) == {made[code].id for code in ("MINJUS", "DP", "MINAM")}
    for digest_id, states in logged.items():
        for status, n in states.items():
            assert f"{STATUS_WORDS[status]} {n}</span>" in row_of(listed.text, digest_id)
    only = client.get("/dashboard/digests", params={"institution": "minjus"}).text
    assert f'id="digest-{made["MINJUS"].id}"' in only
    assert f'id="digest-{made["DP"].id}"' not in only

    # MINJUS's page: each contact's message, subject and body, as the SMTP server received it.
    page = client.get(f"/dashboard/digests/{made['MINJUS'].id}")
    assert page.status_code == 200, page.text
    received = {m["Message-ID"]: m for m in smtp.recorder.messages if m["X-EWS-Digest"]}
    assert len(rows["MINJUS"]) == 2  # the regional office and the national one (critical)
    for row in rows["MINJUS"]:
        [mail] = [m for mid, m in received.items() if row.message_id in mid]
        assert shown(page.text, f"digest-subject-{row.id}") == mail["Subject"]
        assert shown(page.text, f"digest-body-{row.id}") == mail_text(mail)
    assert "Medidas de protección solicitadas (planificada, sin fecha)" in page.text

    # DP's never arrived: the page shows what the outbox keeps, and why it was not delivered.
    assert digests(smtp, DP_MAIL) == []
    dp_page = client.get(f"/dashboard/digests/{made['DP'].id}").text
    [dead] = [r for r in rows["DP"] if r.status == "dead"]
    kept = render_digest(digest_from_json(dead.payload["digest"]), "es")
    assert shown(dp_page, f"digest-subject-{dead.id}") == kept.subject
    assert shown(dp_page, f"digest-body-{dead.id}") == kept.text
    assert "El servidor de correo rechazó el mensaje" in dp_page
    minam_page = client.get(f"/dashboard/digests/{made['MINAM'].id}").text
    assert "se volverá a intentar" in minam_page

    # DEVIDA's digest had nothing to say: said so, and no text.
    devida_page = client.get(f"/dashboard/digests/{made['DEVIDA'].id}").text
    assert "no se envió ningún mensaje" in devida_page
    assert "digest-body-" not in devida_page

    # Reached from the delivery log, from the reference data and from the navigation.
    log = client.get("/dashboard/deliveries").text
    assert f'<a href="/dashboard/digests/{made["MINJUS"].id}">Resumen diario del {day}' in log
    reference = client.get("/dashboard/reference").text
    assert 'href="/dashboard/digests?institution=MINJUS"' in reference
    assert '<a href="/dashboard/digests">Resúmenes</a>' in reference

    # In English, the page's words change; the digest stays as it was sent (in Spanish).
    client.get("/dashboard/lang/en")
    english = client.get(f"/dashboard/digests/{made['MINJUS'].id}").text
    assert "Daily digest" in english and "Changes since" in english
    assert shown(english, f"digest-body-{rows['MINJUS'][0].id}") == mail_text(
        next(m for mid, m in received.items() if rows["MINJUS"][0].message_id in mid)
    )

    # No one's identity, nor the words of a report or a note, on these pages.
    for text in (listed.text, page.text, dp_page, minam_page, english):
        for needle in (REPORTER_NAME, "Rosa", "Huamán", monitor, "celular", "987 654 321"):
            assert needle not in text
        for words in ("Amenazaron", "trocha", "colonos"):
            assert words not in text


def test_only_analysts_and_admins_open_the_digests(
    mail_client: TestClient,
    db: Session,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    client = mail_client
    analyst = make_key("analyst")
    monitor = auth(make_key("monitor", community=COMMUNITY))
    body = report(threat_type="threat_to_defender", severity=5)
    assert client.post("/api/v1/reports", json=body, headers=monitor).status_code == 201
    run(client, auth(analyst), "pipeline")
    run(client, auth(analyst), "send-digests", datetime.now(UTC))
    digest = db.scalars(
        select(InstitutionDigest).where(InstitutionDigest.institution_code == "MINJUS")
    ).one()
    paths = ("/dashboard/digests", f"/dashboard/digests/{digest.id}")

    for path in paths:  # no session: to the sign-in page
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
    # An institution, even the digest's own, reads its digest by mail, not here.
    sign_in(client, make_key("institution", institution="MINJUS"))
    for path in paths:
        assert client.get(path).status_code == 403
    reference = client.get("/dashboard/reference").text
    assert "/dashboard/digests" not in reference
    for role in ("analyst", "admin"):
        sign_in(client, make_key(role))
        for path in paths:
            assert client.get(path).status_code == 200, (role, path)
    # The admin's contacts page links each institution's digests from its e-mail contacts.
    contacts = client.get("/dashboard/contacts").text
    assert 'href="/dashboard/digests?institution=MINJUS"' in contacts
    assert client.get("/dashboard/digests/999999").status_code == 404
    assert client.get("/dashboard/digests", params={"institution": "<x>"}).status_code == 422
