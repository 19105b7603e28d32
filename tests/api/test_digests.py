"""The daily digest, from the user's timeline: monitors report a defender threat and a settler
invasion through the API, the pipeline raises alerts routed to MINJUS and DP (and MINAM), MINJUS
records an action due today and acknowledges the invasion; the digest job runs twice the same Lima
day and once after Lima's midnight; a real SMTP server on loopback receives exactly one digest per
institution per day, grouped by community and category, with the action pending the first day and
overdue the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import Alert
from indicators.days import LIMA
from tests.support.delivery import SmtpServer
from tests.support.patrol_reports import COMMUNITY, report
from tests.support.web import auth, sign_in

MINJUS_MAIL = "alertas@minjus.example.org"
DP_MAIL = "alertas@dp.example.org"
MINAM_MAIL = "alertas@minam.example.org"
DIGEST_SUBJECT = "Resumen diario"


def next_lima_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(LIMA)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return midnight.astimezone(UTC)


def run(
    client: TestClient, analyst: dict[str, str], job: str, as_of: datetime | None = None
) -> Any:
    body = {"as_of": as_of.isoformat()} if as_of is not None else {}
    response = client.post(f"/api/v1/jobs/{job}/run", json=body, headers=analyst)
    assert response.status_code == 200, response.text
    return response.json()["summary"]


def digests(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.recorder.to(address) if DIGEST_SUBJECT in m["Subject"]]


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_one_digest_per_institution_per_lima_day(
    mail_client: TestClient,
    db: Session,
    smtp: SmtpServer,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    client = mail_client
    analyst_key = make_key("analyst")
    analyst = auth(analyst_key)
    monitor = auth(make_key("monitor", community=COMMUNITY))
    for body in (
        report(threat_type="threat_to_defender", severity=5, description="Amenazaron al apu"),
        report(threat_type="settler_invasion", description="colonos abriendo trocha"),
    ):
        created = client.post("/api/v1/reports", json=body, headers=monitor)
        assert created.status_code == 201, created.text
    run(client, analyst, "pipeline")
    alerts = {a.category: a for a in db.scalars(select(Alert).where(Alert.status != "resolved"))}
    defender, invasion = alerts["defender_safety"], alerts["territorial_invasion"]
    assert {"MINJUS", "DP"} <= set(defender.routed_to)
    assert {"MINJUS", "DP"} <= set(invasion.routed_to)
    alert_mails = len(smtp.recorder.messages)
    assert alert_mails >= 2 and not any(
        DIGEST_SUBJECT in m["Subject"] for m in smtp.recorder.messages
    )

    # MINJUS acknowledges the invasion for itself and requests protection measures for the
    # defender, due today: pending today, overdue tomorrow. Its notes must never reach a digest.
    minjus_key = auth(make_key("institution", institution="MINJUS"))
    today = datetime.now(UTC).astimezone(LIMA).date()
    acknowledged = client.post(
        f"/api/v1/alerts/{invasion.id}/acknowledge",
        json={"note": "Coordinamos con el teniente gobernador Ramírez"},
        headers=minjus_key,
    )
    assert acknowledged.status_code == 200, acknowledged.text
    action = client.post(
        f"/api/v1/alerts/{defender.id}/actions",
        json={
            "type": "protection_measures_requested",
            "status": "planned",
            "due": today.isoformat(),
            "note": "Llamar a la lideresa al celular",
        },
        headers=minjus_key,
    )
    assert action.status_code == 201, action.text
    now = datetime.now(UTC)  # after everything above: the digests are made later

    # Twice the same Lima day (both before its midnight), then once just after it.
    midnight = next_lima_midnight(now)
    first, second = now + (midnight - now) / 3, now + 2 * (midnight - now) / 3
    summary = run(client, analyst, "send-digests", first)
    assert summary["institutions"]["MINJUS"] == "queued"
    assert summary["institutions"]["DP"] == "queued"
    again = run(client, analyst, "send-digests", second)
    assert again["queued"] == 0
    assert set(again["institutions"].values()) == {"already"}
    run(client, analyst, "deliver-notifications")

    minjus, dp = digests(smtp, MINJUS_MAIL), digests(smtp, DP_MAIL)
    assert len(minjus) == 1 and len(dp) == 1
    text = text_of(minjus[0])
    # MINJUS: the defender alert is open and unacknowledged by MINJUS; the invasion is not listed
    # there (MINJUS acknowledged it) though DP's digest lists both.
    open_section = text.split("== Acciones vencidas")[0]
    assert "Seguridad de personas defensoras" in open_section
    assert f"Alerta #{defender.id}," in open_section
    assert f"Alerta #{invasion.id}," not in open_section
    routed = {code: sum(code in a.routed_to for a in alerts.values()) for code in ("MINJUS", "DP")}
    assert f"Abiertas y sin acuse de su institución ({routed['MINJUS'] - 1})" in text
    assert f"Pendiente: Medidas de protección solicitadas (planificada, vence el {today})" in text
    assert "Acciones vencidas / pendientes (0 vencida(s), 1 pendiente(s))" in text
    changes = text.split("== Qué cambió desde el último resumen")[1]
    assert f"alerta #{defender.id} nueva alerta" in changes
    assert f"alerta #{invasion.id} nueva alerta" in changes
    # Grouped by community and category: one group per category, each titled once.
    assert changes.count("Flor de Ucayali (Ucayali) - Seguridad de personas defensoras") == 1
    assert changes.count("Flor de Ucayali (Ucayali) - Invasión del territorio") == 1
    # The most severe group first.
    assert changes.index("Seguridad de personas defensoras") < changes.index("Invasión")
    dp_text = text_of(dp[0])
    assert f"Abiertas y sin acuse de su institución ({routed['DP']})" in dp_text
    assert f"Alerta #{invasion.id}," in dp_text
    # DP reads that MINJUS acknowledged the invasion (the institution, not the person, not the note).
    assert f"alerta #{invasion.id} con acuse de recibo de MINJUS" in dp_text
    assert "Acciones vencidas / pendientes (0 vencida(s), 0 pendiente(s))" in dp_text
    assert minjus[0]["Subject"].startswith("[EWS] Resumen diario")
    assert minjus[0]["X-EWS-Digest"] == first.astimezone(LIMA).date().isoformat()

    # Across Lima's midnight: the next day's digest, whose changes start at the first one.
    after = run(client, analyst, "send-digests", midnight)
    assert after["day"] == midnight.astimezone(LIMA).date().isoformat() != summary["day"]
    assert after["institutions"]["MINJUS"] == "queued"
    run(client, analyst, "deliver-notifications", max(midnight, datetime.now(UTC)))
    minjus, dp = digests(smtp, MINJUS_MAIL), digests(smtp, DP_MAIL)
    assert len(minjus) == 2 and len(dp) == 2
    next_day = text_of(minjus[1])
    assert (
        "Qué cambió desde el último resumen (0 nueva(s), 0 escalada(s), 0 resuelta(s))" in next_day
    )
    assert f"VENCIDA: Medidas de protección solicitadas (planificada, vence el {today})" in next_day
    assert "Acciones vencidas / pendientes (1 vencida(s), 0 pendiente(s))" in next_day
    for mail in smtp.recorder.messages:
        if mail["X-EWS-Digest"]:
            assert "Ramírez" not in mail.as_string() and "celular" not in mail.as_string()
    # National offices see only what reaches them (min level critical, or escalated nationally).
    national = digests(smtp, "nacional@minjus.example.org")
    assert len(national) == 2
    for mail in national:
        assert "Seguridad de personas defensoras" in text_of(mail)
        assert "Invasión" not in text_of(mail)

    # The delivery log says what each digest is, in words.
    log = client.get("/api/v1/notifications", params={"institution": "MINJUS"}, headers=analyst)
    per_contact: dict[str, int] = {}
    for item in log.json()["items"]:
        if item["event"] == "digest":
            assert item["alert_id"] is None and item["digest_id"] is not None
            per_contact[item["contact"]] = per_contact.get(item["contact"], 0) + 1
    assert per_contact["minjus-regional-email"] == 2
    assert set(per_contact.values()) == {2}  # one a day for each contact that has something
    sign_in(client, analyst_key)
    page = client.get("/dashboard/deliveries")
    assert page.status_code == 200, page.text
    assert "Resumen diario del" in page.text


def test_a_refused_digest_is_dead_explained_and_requeued_like_any_message(
    mail_client: TestClient,
    db: Session,
    smtp: SmtpServer,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    client = mail_client
    analyst_key = make_key("analyst")
    analyst = auth(analyst_key)
    monitor = auth(make_key("monitor", community=COMMUNITY))
    body = report(threat_type="threat_to_defender", severity=5)
    assert client.post("/api/v1/reports", json=body, headers=monitor).status_code == 201
    run(client, analyst, "pipeline")
    smtp.recorder.refuse[MINJUS_MAIL] = "550 5.1.1 no such user"
    moment = datetime.now(UTC)
    run(client, analyst, "send-digests", moment)
    run(client, analyst, "deliver-notifications")
    assert digests(smtp, MINJUS_MAIL) == []

    dead = client.get(
        "/api/v1/notifications", params={"status": "dead", "institution": "MINJUS"}, headers=analyst
    ).json()["items"]
    [refused] = [item for item in dead if item["event"] == "digest"]
    assert refused["contact"] == "minjus-regional-email" and "550" in refused["last_error"]
    sign_in(client, analyst_key)
    page = client.get("/dashboard/deliveries").text
    assert "Resumen diario del" in page
    assert "El servidor de correo rechazó el mensaje" in page

    # The address fixed, the digest is requeued and arrives once, with the same Message-ID.
    del smtp.recorder.refuse[MINJUS_MAIL]
    requeued = client.post(f"/api/v1/notifications/{refused['id']}/requeue", headers=analyst)
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["event"] == "digest"
    run(client, analyst, "deliver-notifications")
    [arrived] = digests(smtp, MINJUS_MAIL)
    assert refused["message_id"] in arrived["Message-ID"]
    # Requeueing is not a second digest of the day.
    assert run(client, analyst, "send-digests", moment)["institutions"]["MINJUS"] == "already"
