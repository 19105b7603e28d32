"""The outbox table's state changes: claim due rows, record outcomes, requeue dead ones.

Claims are short transactions of their own (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite's
``BEGIN IMMEDIATE`` admits one writer at a time): a row goes ``pending -> sending`` with the
claimer's token and a deadline, and the sending happens after the commit. A claim whose deadline
passed (the worker died between sending and recording) is taken back, so a message is sent again
with the same id rather than lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.orm import Session

from ews.delivery.policy import DeliveryOutcome
from ews.models import OutboxMessage, OutboxStatus


def due_condition(now: datetime) -> object:
    return or_(
        and_(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_until < now),
    )


@dataclass(frozen=True)
class Claim:
    rows: list[OutboxMessage]
    taken_back: int  # rows whose earlier claim had expired (a worker died or hung)


def claim_due_messages(
    session: Session, *, token: str, now: datetime, limit: int, claim_timeout_s: float
) -> Claim:
    """Claim up to ``limit`` due rows (oldest due first) for ``token``: ``sending``, one more
    attempt counted, claimed until ``now + claim_timeout_s``. The caller commits."""
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(due_condition(now))  # type: ignore[arg-type]
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    until = now + timedelta(seconds=claim_timeout_s)
    taken_back = sum(1 for row in rows if row.status == OutboxStatus.sending)
    for row in rows:
        row.status = OutboxStatus.sending
        row.claimed_by = token
        row.claimed_until = until
        row.attempts += 1
    session.flush()
    return Claim(rows=rows, taken_back=taken_back)


@dataclass(frozen=True)
class Mark:
    row_id: int
    outcome: DeliveryOutcome


# Plain Core statements on the table: the worker records one outcome per message, and the ORM's
# bulk-update bookkeeping would cost more than the statement itself.
OUTBOX = cast(Table, OutboxMessage.__table__)


def record_outcomes(session: Session, *, token: str, marks: Iterable[Mark], now: datetime) -> None:
    """Write each attempt's outcome. A success is recorded whatever happened to the claim (it is a
    fact); a failure only while the claim is still ours, so it never undoes another worker's send."""
    c = OUTBOX.c
    marks = list(marks)
    sent = [mark.row_id for mark in marks if mark.outcome.status is OutboxStatus.sent]
    if sent:
        session.execute(
            update(OUTBOX)
            .where(c.id.in_(sent), c.status != OutboxStatus.sent)
            .values(status=OutboxStatus.sent, sent_at=now, claimed_by=None, claimed_until=None)
        )
    for mark in marks:
        outcome = mark.outcome
        if outcome.status is OutboxStatus.sent:
            continue
        values: dict[str, object] = {
            "status": outcome.status,
            "last_error": outcome.error,
            "claimed_by": None,
            "claimed_until": None,
        }
        if outcome.next_attempt_at is not None:
            values["next_attempt_at"] = outcome.next_attempt_at
        session.execute(
            update(OUTBOX)
            .where(c.id == mark.row_id, c.status == OutboxStatus.sending, c.claimed_by == token)
            .values(**values)
        )


def release_claims(session: Session, *, token: str, row_ids: list[int]) -> None:
    """Give claimed rows that were not tried back to the queue (a worker shutting down)."""
    c = OUTBOX.c
    session.execute(
        update(OUTBOX)
        .where(c.id.in_(row_ids), c.status == OutboxStatus.sending, c.claimed_by == token)
        .values(
            status=OutboxStatus.pending,
            attempts=c.attempts - 1,
            claimed_by=None,
            claimed_until=None,
        )
    )


class NotDead(ValueError):
    """Only dead messages are requeued."""


def requeue(session: Session, *, row: OutboxMessage, now: datetime) -> None:
    """A dead message goes back to the queue with a fresh count of attempts (its last error kept
    until it is sent). The caller records the audit entry and commits."""
    if row.status != OutboxStatus.dead:
        raise NotDead(row.status)
    row.status = OutboxStatus.pending
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_by = None
    row.claimed_until = None
    session.flush()
