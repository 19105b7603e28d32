"""Real servers on loopback for delivery tests (an aiosmtpd SMTP server, an HTTP receiver) and rows
of an alert with its event and outbox messages, as the alerts engine writes them."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import Alert, AlertEvent, Contact, OutboxMessage
from ews.settings import Settings
from tests.support.processes import free_port

NOW = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)
# The defender-safety contacts of the fixtures and their addresses.
MINJUS = "alertas@minjus.example.org"
DP = "alertas@dp.example.org"
DEFENDER_CONTACTS = ["minjus-regional-email", "dp-regional-email"]

DEFENDER_EVIDENCE = {
    "indicators": [
        {"code": "defender_threats", "value": 2, "level": "critical", "baseline": 0},
    ],
    # The reporter's words name a person: they must never reach a defender-safety notification.
    "reports": [
        {"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "description": "Amenazaron a Juan Pérez"}
    ],
}


class SmtpRecorder:
    """An aiosmtpd handler: keeps every accepted mail; answers given codes to given recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # recipient -> reply, e.g. "550 5.1.1 no such user"
        self.on_data: Callable[[EmailMessage], None] | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(mail, EmailMessage)
        with self.lock:
            self.messages.append(mail)
        if self.on_data is not None:
            self.on_data(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for m in self.messages]


class SmtpServer:
    """A real SMTP server on 127.0.0.1; can be started and stopped on the same port."""

    def __init__(self, port: int | None = None, **smtp_kwargs: Any) -> None:
        self.port = port or free_port()
        self.recorder = SmtpRecorder()
        self.smtp_kwargs = smtp_kwargs
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, **self.smtp_kwargs
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpReceiver:
    """A real HTTP server on 127.0.0.1 that records requests and answers scripted status codes
    (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    index = min(len(receiver.requests), len(receiver.statuses)) - 1
                    code = receiver.statuses[index]
                if receiver.delay_s:
                    threading.Event().wait(receiver.delay_s)
                payload = json.dumps({"status": code}).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        lock = threading.Lock()
        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        # A short poll: shutdown() waits for the loop to look (0.5 s by default, each test).
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def bound_port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.bound_port}/hook"

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def contact(session: Session, code: str) -> Contact:
    row = session.scalar(select(Contact).where(Contact.code == code))
    assert row is not None, code
    return row


def add_contact(session: Session, **values: Any) -> Contact:
    row = Contact(
        scope="regional", region_ubigeo="25", language="es", min_level="warning", **values
    )
    session.add(row)
    session.flush()
    return row


def queue_alert(
    session: Session,
    *,
    contact_codes: Iterable[str],
    category: str = "defender_safety",
    level: str = "critical",
    kind: str = "raised",
    evidence: dict[str, Any] | None = None,
    at: datetime = NOW,
    community: str = "flor-de-ucayali",
) -> tuple[Alert, AlertEvent, list[OutboxMessage]]:
    """An alert, its event and one pending outbox row per contact, flushed (the caller commits)."""
    contacts = [contact(session, code) for code in contact_codes]
    alert = Alert(
        fingerprint=f"{community}:{category}:{uuid.uuid4().hex}",  # tests need several open
        community_code=community,
        category=category,
        level=level,
        status="open" if kind != "resolved" else "resolved",
        routed_to=sorted({c.institution_code for c in contacts}),
        opened_at=at,
        updated_at=at,
        evidence=DEFENDER_EVIDENCE if evidence is None else evidence,
        context={},
    )
    session.add(alert)
    session.flush()
    event = AlertEvent(alert_id=alert.id, kind=kind, level=level, at=at, actor="system", details={})
    session.add(event)
    session.flush()
    rows = [
        OutboxMessage(
            alert_id=alert.id,
            event_id=event.id,
            contact_id=c.id,
            institution_code=c.institution_code,
            channel=c.channel,
            status="pending",
            next_attempt_at=at,
            payload={"kind": kind, "level": level},
        )
        for c in contacts
    ]
    session.add_all(rows)
    session.flush()
    return alert, event, rows


def with_smtp(settings: Settings, port: int, **more: object) -> Settings:
    """``settings`` sending mail to the loopback SMTP server on ``port``, with ``more`` changes."""
    return settings.model_copy(update={"smtp_port": port, **more})


def outbox(db: Session) -> list[OutboxMessage]:
    """Every outbox row, read afresh, in id order."""
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
