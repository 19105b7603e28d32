"""Delivery by real processes: ``ews worker`` until SIGTERM, a worker killed between sending and
recording, the worker embedded in ``serve`` (the issue's "done when": a report through the API
reaches MINJUS and DP by mail), and the ``webhook-secret`` command. The outbox and the worker's
pass in this process are in ``tests/db/test_delivery_outbox.py``, what each channel sends in
``tests/db/test_delivery_channels.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from ews.api.app import create_app
from ews.auth.keys import Role, create_key
from ews.cli.service import embedded_background
from ews.db import build_engine, build_session_factory, session_scope
from ews.delivery.channels import webhook_secret
from ews.jobs.entry_points import deliver_notifications
from ews.models import OutboxMessage
from ews.models.base import utcnow
from ews.settings import Settings
from tests.support.delivery import (
    DEFENDER_CONTACTS,
    DP,
    MINJUS,
    SmtpServer,
    queue_alert,
    with_smtp,
)
from tests.support.processes import EWS, ews_env, run_ews
from tests.support.wait import wait_until
from tests.support.web import auth


def test_a_worker_killed_between_sending_and_recording_leads_to_one_resend_with_the_same_id(
    fresh_settings: Settings, smtp: SmtpServer
) -> None:
    settings = with_smtp(fresh_settings, smtp.port)
    engine = build_engine(settings)
    factory = build_session_factory(engine)
    with session_scope(factory) as session:
        _alert, _event, rows = queue_alert(session, contact_codes=DEFENDER_CONTACTS, at=utcnow())
        first_id = rows[0].message_id
    env = ews_env(
        settings.database_url,
        secret_key=settings.secret_key,
        EWS_SMTP_PORT=str(smtp.port),
        EWS_BASE_URL=settings.base_url,
    )
    worker = subprocess.Popen(
        [*EWS, "worker", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    killed = threading.Event()

    def crash_on_first_mail(_mail: object) -> None:
        if not killed.is_set():
            killed.set()
            os.kill(worker.pid, signal.SIGKILL)  # the mail is in; the worker never records it
            worker.wait(timeout=30)

    smtp.recorder.on_data = crash_on_first_mail
    assert worker.wait(timeout=120) == -signal.SIGKILL
    with session_scope(factory) as session:
        states = [(r.status, r.attempts) for r in session.scalars(select(OutboxMessage))]
    assert states == [("sending", 1), ("sending", 1)]  # claimed, then the worker died

    # While the claim holds, nobody else sends; once it expires, the rows are taken back.
    now = deliver_notifications(settings=settings, session_factory=factory)
    later = deliver_notifications(
        settings=settings,
        session_factory=factory,
        as_of=utcnow() + timedelta(seconds=settings.delivery_claim_timeout_s + 1),
    )
    with session_scope(factory) as session:
        states = [(r.status, r.attempts) for r in session.scalars(select(OutboxMessage))]
    engine.dispose()

    assert now["claimed"] == 0
    assert (later["taken_back"], later["sent"]) == (2, 2)
    assert states == [("sent", 2), ("sent", 2)]
    ids = smtp.recorder.message_ids()
    assert ids.count(f"<{first_id}@ews.example.org>") == 2  # one resend, same Message-ID
    assert len(ids) == 3
    assert len(set(ids)) == 2  # and nothing lost


def test_the_worker_embedded_in_serve_delivers_while_the_api_runs(
    fresh_settings: Settings, smtp: SmtpServer
) -> None:
    settings = with_smtp(
        fresh_settings, smtp.port, embedded_worker=True, delivery_poll_interval_s=0.1
    )
    app = create_app(settings, background=embedded_background(settings))
    with TestClient(app):
        with session_scope(app.state.session_factory) as session:
            queue_alert(session, contact_codes=["minjus-regional-email"], at=utcnow())
        wait_until(lambda: smtp.recorder.messages, interval=0.05, message="no mail was sent")
    app.state.engine.dispose()
    assert len(smtp.recorder.to(MINJUS)) == 1


def test_the_webhook_secret_command_shows_the_contacts_secret(
    fresh_settings: Settings,
) -> None:
    env = ews_env(fresh_settings.database_url, secret_key=fresh_settings.secret_key)
    done = run_ews("webhook-secret", "minjus-regional-email", env=env, check=True)
    assert done.stdout.strip().splitlines()[-1] == webhook_secret(
        fresh_settings, "minjus-regional-email"
    )
    unknown = run_ews("webhook-secret", "nobody", env=env)
    assert unknown.returncode == 2
    assert "nobody" in unknown.stderr


def test_ews_worker_delivers_until_sigterm_and_then_exits_cleanly(
    fresh_settings: Settings, smtp: SmtpServer
) -> None:
    engine = build_engine(fresh_settings)
    env = ews_env(
        fresh_settings.database_url,
        secret_key=fresh_settings.secret_key,
        EWS_SMTP_PORT=str(smtp.port),
        EWS_DELIVERY_POLL_INTERVAL_S="0.2",
    )
    worker = subprocess.Popen(
        [*EWS, "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with session_scope(build_session_factory(engine)) as session:
            queue_alert(session, contact_codes=DEFENDER_CONTACTS, at=utcnow())
        wait_until(
            lambda: len(smtp.recorder.messages) >= 2, timeout=60, message="fewer than two mails"
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
    with session_scope(build_session_factory(engine)) as session:
        states = {r.status for r in session.scalars(select(OutboxMessage))}
    engine.dispose()
    assert code == 0
    assert states == {"sent"}
    assert len(smtp.recorder.messages) == 2


def test_a_defender_report_through_the_api_reaches_minjus_and_dp_by_mail_and_the_log_says_sent(
    fresh_settings: Settings, smtp: SmtpServer
) -> None:
    """The issue's "done when": the API with its embedded worker, a report, the mails, the log."""
    settings = with_smtp(
        fresh_settings, smtp.port, embedded_worker=True, delivery_poll_interval_s=0.1
    )
    app = create_app(settings, background=embedded_background(settings))
    with session_scope(app.state.session_factory) as session:
        _row, monitor = create_key(
            session, role=Role.monitor, name="monitor", community_code="flor-de-ucayali"
        )
        _row, analyst = create_key(session, role=Role.analyst, name="analyst")
    report = {
        "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "community": "flor-de-ucayali",
        "threat_type": "threat_to_defender",
        "severity": 5,
        "observed_at": (utcnow() - timedelta(hours=1)).isoformat(),
        "description": "amenazas de muerte al apu",
    }
    with TestClient(app) as client:
        assert client.post("/api/v1/reports", json=report, headers=auth(monitor)).status_code == 201

        def all_sent() -> list[dict[str, Any]]:
            log = client.get("/api/v1/notifications", headers=auth(analyst)).json()["items"]
            return log if log and all(item["status"] == "sent" for item in log) else []

        log = wait_until(all_sent, message="the notifications were not all sent")
    app.state.engine.dispose()

    assert {item["institution"] for item in log} == {"MINJUS", "DP"}
    assert all(item["status"] == "sent" for item in log)
    for address in (MINJUS, DP):
        [mail] = smtp.recorder.to(address)
        body = mail.get_content()
        assert "Seguridad de personas defensoras" in body
        assert "CRÍTICO" in mail["Subject"]
        assert "amenazas de muerte" not in body  # the reporter's words stay out
    assert len(smtp.recorder.messages) == len(log)
