"""The outbox with real servers on loopback, the worker's pass run in the test's process: each
message once, retries, dead messages and their requeue, two workers at once, and a worker told to
stop. What each channel sends is in ``test_delivery_channels.py``; the worker as a process of its
own is in ``tests/processes/test_delivery.py``."""

from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ews.db import build_engine, build_session_factory, session_scope
from ews.delivery.channels import build_channels
from ews.delivery.worker import deliver_pass
from ews.jobs.entry_points import deliver_notifications
from ews.models import AuditLog
from ews.models.base import utcnow
from ews.settings import Settings
from tests.support.delivery import (
    DEFENDER_CONTACTS,
    DP,
    MINJUS,
    NOW,
    SmtpServer,
    outbox,
    queue_alert,
    with_smtp,
)
from tests.support.processes import free_port
from tests.support.web import auth


def test_the_defender_alert_reaches_minjus_and_dp_in_spanish_once_each(
    db: Session, settings: Settings, session_factory: sessionmaker[Session], smtp: SmtpServer
) -> None:
    alert, _event, rows = queue_alert(db, contact_codes=DEFENDER_CONTACTS)
    db.commit()
    settings = with_smtp(settings, smtp.port)

    first = deliver_notifications(settings=settings, session_factory=session_factory, as_of=NOW)
    again = deliver_notifications(
        settings=settings, session_factory=session_factory, as_of=NOW + timedelta(days=1)
    )

    assert first["sent"] == 2
    assert again["claimed"] == 0
    for address, row in ((MINJUS, rows[0]), (DP, rows[1])):
        [mail] = smtp.recorder.to(address)
        body = mail.get_content()
        assert mail["Message-ID"] == f"<{row.message_id}@ews.example.org>"
        assert mail["Content-Language"] == "es"
        assert "CRÍTICO" in mail["Subject"]
        assert "Flor de Ucayali" in mail["Subject"]
        assert "Comunidad: Comunidad Nativa Flor de Ucayali" in body
        assert "Categoría: Seguridad de personas defensoras" in body
        assert "Nueva alerta de nivel CRÍTICO" in body
        assert "- Amenazas a personas defensoras: 2 (nivel crítico; lo usual: 0)" in body
        assert "- 1 reporte(s) de patrulla" in body
        assert "Activar el Mecanismo de Protección" in body
        assert f"http://testserver/dashboard/alerts/{alert.id}" in body
        # Defender safety does not allow the reporter's words, which here name a person.
        assert "Juan" not in body
        assert "Amenazaron" not in body
    assert {r.status for r in outbox(db)} == {"sent"}
    assert all(r.attempts == 1 and r.sent_at is not None for r in outbox(db))


def test_an_smtp_server_down_for_the_first_tries_gets_each_message_once_when_back(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue_alert(db, contact_codes=DEFENDER_CONTACTS)
    db.commit()
    server = SmtpServer()  # not started: connections are refused
    settings = with_smtp(settings, server.port)

    tries = [
        deliver_notifications(settings=settings, session_factory=session_factory, as_of=at)
        for at in (NOW, NOW + timedelta(seconds=1), NOW + timedelta(hours=1))
    ]
    rows = outbox(db)
    assert [t["retried"] for t in tries] == [2, 0, 2]  # the backoff holds the second pass back
    assert all(r.status == "pending" and r.attempts == 2 for r in rows)
    assert all("Connection refused" in (r.last_error or "") for r in rows)
    assert all(r.next_attempt_at > NOW + timedelta(hours=1) for r in rows)

    server.start()
    try:
        back = deliver_notifications(
            settings=settings, session_factory=session_factory, as_of=NOW + timedelta(hours=3)
        )
        deliver_notifications(
            settings=settings, session_factory=session_factory, as_of=NOW + timedelta(days=3)
        )
    finally:
        server.stop()
    assert back["sent"] == 2
    assert len(server.recorder.to(MINJUS)) == 1
    assert len(server.recorder.to(DP)) == 1
    assert [(r.status, r.attempts) for r in outbox(db)] == [("sent", 3), ("sent", 3)]


def test_a_permanent_refusal_goes_dead_at_once_shows_in_the_log_and_can_be_requeued(
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    smtp: SmtpServer,
    client: TestClient,
    make_key,
) -> None:
    queue_alert(db, contact_codes=DEFENDER_CONTACTS)
    db.commit()
    smtp.recorder.refuse[DP] = "550 5.1.1 Buzon inexistente / mailbox unavailable"
    settings = with_smtp(settings, smtp.port)

    summary = deliver_notifications(settings=settings, session_factory=session_factory, as_of=NOW)

    assert (summary["sent"], summary["dead"]) == (1, 1)
    analyst = auth(make_key("analyst"))
    log = client.get("/api/v1/notifications", headers=analyst).json()["items"]
    assert [(i["institution"], i["status"]) for i in log] == [("DP", "dead"), ("MINJUS", "sent")]
    dead = log[0]
    assert dead["attempts"] == 1
    assert "550" in dead["last_error"]
    assert dead["channel"] == "email"
    assert dead["contact"] == "dp-regional-email"
    assert dead["event"] == "raised"

    smtp.recorder.refuse.clear()  # the institution fixed its mailbox
    answer = client.post(f"/api/v1/notifications/{dead['id']}/requeue", headers=analyst)
    assert answer.status_code == 200
    assert answer.json()["status"] == "pending"
    assert (
        client.post(f"/api/v1/notifications/{log[1]['id']}/requeue", headers=analyst).status_code
        == 409
    )
    audit = db.scalars(select(AuditLog).where(AuditLog.action == "notification.requeued")).all()
    assert [a.object_id for a in audit] == [str(dead["id"])]

    deliver_notifications(
        settings=settings, session_factory=session_factory, as_of=utcnow() + timedelta(seconds=5)
    )
    assert len(smtp.recorder.to(DP)) == 1
    assert len(smtp.recorder.to(MINJUS)) == 1
    assert {r.status for r in outbox(db)} == {"sent"}


def test_a_message_dies_after_the_maximum_number_of_tries(
    db: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    queue_alert(db, contact_codes=["minjus-regional-email"])
    db.commit()
    settings = with_smtp(settings, free_port(), delivery_max_attempts=2)
    for at in (NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)):
        deliver_notifications(settings=settings, session_factory=session_factory, as_of=at)
    [row] = outbox(db)
    assert (row.status, row.attempts) == ("dead", 2)
    assert row.last_error is not None
    assert row.last_error.startswith("2 intentos")


def test_two_workers_on_one_database_never_send_the_same_row(
    fresh_settings: Settings, smtp: SmtpServer
) -> None:
    settings = with_smtp(fresh_settings, smtp.port, delivery_batch_size=7)
    engine = build_engine(settings)
    with session_scope(build_session_factory(engine)) as session:
        for minute in range(60):
            queue_alert(
                session, contact_codes=DEFENDER_CONTACTS, at=NOW - timedelta(minutes=minute)
            )
    engine.dispose()
    start = threading.Barrier(2)
    summaries: list[dict] = []

    def work() -> None:
        own = build_engine(settings)  # each worker its own engine and connections
        start.wait()
        summaries.append(
            deliver_notifications(
                settings=settings, session_factory=build_session_factory(own), as_of=NOW
            )
        )
        own.dispose()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = smtp.recorder.message_ids()
    assert len(ids) == 120
    assert len(set(ids)) == 120
    assert sum(s["sent"] for s in summaries) == 120
    assert sum(s["claimed"] for s in summaries) == 120


def test_a_worker_told_to_stop_hands_its_unsent_claims_back(
    db: Session, settings: Settings, session_factory: sessionmaker[Session], smtp: SmtpServer
) -> None:
    queue_alert(db, contact_codes=[*DEFENDER_CONTACTS, "minam-regional-email"])
    db.commit()
    stop = threading.Event()
    smtp.recorder.on_data = lambda _mail: stop.set()  # SIGTERM arrives during the first send
    summary = deliver_pass(
        settings=with_smtp(settings, smtp.port),
        session_factory=session_factory,
        channels=build_channels(with_smtp(settings, smtp.port)),
        clock=lambda: NOW,
        stop=stop,
    )
    rows = outbox(db)
    assert summary.sent == 1
    assert len(smtp.recorder.messages) == 1
    assert [(r.status, r.attempts, r.claimed_by) for r in rows] == [
        ("sent", 1, None),
        ("pending", 0, None),
        ("pending", 0, None),
    ]
