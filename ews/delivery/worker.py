"""The delivery worker: passes over the outbox, as ``ews worker``, embedded in ``ews serve``, or
one pass as the ``deliver-notifications`` job."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from alerts.channels import Channel, DeliveryResult, Envelope
from ews.db import session_scope
from ews.delivery.channels import build_channels
from ews.delivery.outbox import Mark, claim_due_messages, record_outcomes, release_claims
from ews.delivery.policy import Outcome, Status, decide_outcome
from ews.delivery.render import ReferenceCache, RenderError, render_rows
from ews.models.base import utcnow
from ews.settings import Settings

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class PassSummary:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    taken_back: int = 0

    def add(self, status: Status) -> None:
        if status is Status.sent:
            self.sent += 1
        elif status is Status.dead:
            self.dead += 1
        else:
            self.retried += 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{threading.get_ident() % 100000}"


def _send(channels: dict[str, Channel], channel: str, message: Envelope) -> DeliveryResult:
    sender = channels.get(channel)
    if sender is None:
        return DeliveryResult.permanent(f"canal desconocido / unknown channel: {channel}")
    try:
        return sender.send(message)
    except Exception as exc:  # a channel bug must not stop delivery of the other messages
        logger.exception("channel %s raised", channel)
        return DeliveryResult.retry(f"{type(exc).__name__}: {exc}")


def _record(
    factory: sessionmaker[Session], *, token: str, marks: list[Mark], now: datetime
) -> None:
    with session_scope(factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Losing this commit in a server crash only means one resend with the same id (the
            # claim expires), never a lost message; so it need not wait for the disk.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        record_outcomes(session, token=token, marks=marks, now=now)


def _release(factory: sessionmaker[Session], *, token: str, row_ids: list[int]) -> None:
    with session_scope(factory) as session:
        release_claims(session, token=token, row_ids=row_ids)


def deliver_pass(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    channels: dict[str, Channel],
    clock: Clock = utcnow,
    name: str | None = None,
    stop: threading.Event | None = None,
    dice: Callable[[], float] = random.random,
) -> PassSummary:
    """Deliver every message due now, batch by batch, until none is left (or ``stop`` is set).

    Each batch: claim (one short transaction, committed), then send each message outside any
    transaction and record the outcomes every ``delivery_record_every`` messages (a failure at
    once), so a crash resends at most that many, with the same ids, and loses none."""
    summary = PassSummary()
    cache: ReferenceCache | None = None
    seen: set[int] = set()
    name = name or worker_name()
    limit = settings.delivery_batch_size
    while stop is None or not stop.is_set():
        token = f"{name}/{uuid.uuid4().hex[:8]}"
        with session_scope(session_factory) as session:
            claim = claim_due_messages(
                session,
                token=token,
                now=clock(),
                limit=limit,
                claim_timeout_s=settings.delivery_claim_timeout_s,
            )
            if not claim.rows:
                break
            cache = cache or ReferenceCache.load(session)
            messages = render_rows(session, settings=settings, rows=claim.rows, cache=cache)
            batch = [(row.id, row.channel, row.attempts) for row in claim.rows]
        summary.claimed += len(batch)
        summary.taken_back += claim.taken_back
        marks: list[Mark] = []
        for index, (row_id, channel, attempts) in enumerate(batch):
            if stop is not None and stop.is_set():
                # Shutting down: hand the unsent rest back at once rather than at claim expiry.
                _release(session_factory, token=token, row_ids=[r for r, _c, _a in batch[index:]])
                break
            message = messages[row_id]
            if isinstance(message, RenderError):
                outcome = Outcome(Status.dead, error=str(message))
            else:
                result = _send(channels, channel, message)
                outcome = decide_outcome(
                    result,
                    attempts=attempts,
                    max_attempts=settings.delivery_max_attempts,
                    base_s=settings.delivery_backoff_base_s,
                    max_s=settings.delivery_backoff_max_s,
                    now=clock(),
                    dice=dice(),
                )
            marks.append(Mark(row_id, outcome))
            summary.add(outcome.status)
            if outcome.status is not Status.sent:
                logger.warning(
                    "outbox %s (%s) %s after %s attempt(s): %s",
                    row_id,
                    channel,
                    outcome.status.value,
                    attempts,
                    outcome.error,
                )
            if outcome.status is not Status.sent or len(marks) >= settings.delivery_record_every:
                _record(session_factory, token=token, marks=marks, now=clock())
                marks = []
        if marks:
            _record(session_factory, token=token, marks=marks, now=clock())
        ids = {row_id for row_id, _c, _a in batch}
        if len(batch) < limit or ids <= seen:
            break  # drained (or only rows this pass already tried, e.g. a zero backoff)
        seen |= ids
    return summary


def run_worker(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    stop: threading.Event,
    clock: Clock = utcnow,
) -> None:
    """Pass after pass until ``stop`` is set, waiting ``delivery_poll_interval_s`` between passes.
    A database outage is logged and waited out, never fatal."""
    channels = build_channels(settings)
    name = worker_name()
    logger.info("delivery worker %s started", name)
    try:
        while not stop.is_set():
            try:
                summary = deliver_pass(
                    settings=settings,
                    session_factory=session_factory,
                    channels=channels,
                    clock=clock,
                    name=name,
                    stop=stop,
                )
                if summary.claimed:
                    logger.info("delivery pass: %s", summary.as_dict())
            except SQLAlchemyError:
                logger.exception("delivery pass failed; retrying after the poll interval")
            stop.wait(settings.delivery_poll_interval_s)
    finally:
        for channel in channels.values():
            channel.close()
        logger.info("delivery worker %s stopped", name)


def embedded_worker(settings: Settings) -> Callable[[Any], Callable[[], None]]:
    """A background starter for ``create_app``: runs :func:`run_worker` in a thread on the app's
    session factory; the returned stop function waits for the message in flight."""

    def start(app: Any) -> Callable[[], None]:
        stop = threading.Event()
        thread = threading.Thread(
            target=run_worker,
            kwargs={
                "settings": settings,
                "session_factory": app.state.session_factory,
                "stop": stop,
            },
            name="ews-delivery-worker",
            daemon=True,
        )
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=settings.smtp_timeout_s + settings.webhook_timeout_s)

        return halt

    return start
