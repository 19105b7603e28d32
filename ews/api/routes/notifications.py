"""The delivery log: ``GET /api/v1/notifications`` and ``POST /api/v1/notifications/{id}/requeue``."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, or_, select

from ews import audit
from ews.api.deps import RowId, SessionDep, SettingsDep
from ews.api.errors import InvalidData, NotFound
from ews.api.roles import AnalystOrAdmin
from ews.contacts.service import COMMUNITY_ROLE_NAME
from ews.delivery.outbox import requeue
from ews.fields import MAX_ROW_ID, row_id_in_range
from ews.models import (
    AlertEvent,
    AuditAction,
    CommunityContact,
    Contact,
    OutboxMessage,
    OutboxStatus,
)
from ews.models.base import utcnow

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

# Failures first: dead, then pending after a failed try, in flight, waiting, sent.
RANK = case(
    (OutboxMessage.status == OutboxStatus.dead, 0),
    (and_(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.attempts > 0), 1),
    (OutboxMessage.status == OutboxStatus.sending, 2),
    (OutboxMessage.status == OutboxStatus.pending, 3),
    else_=4,
)
MAX_RANK = 4
# The "event" of a daily digest's message (it belongs to no alert event).
DIGEST_EVENT = "digest"


class NotificationOut(BaseModel):
    id: int
    message_id: str
    alert_id: int | None  # none for a daily digest
    event_id: int | None
    digest_id: int | None  # the daily digest it carries (then event is "digest")
    event: str
    contact: str
    contact_name: str
    institution: str | None = Field(description="null: a community's leader or monitor")
    community_contact: bool = False
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next: str | None = None


def _out(
    row: OutboxMessage, *, contact_code: str, contact_name: str, event: str
) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        message_id=row.message_id,
        alert_id=row.alert_id,
        event_id=row.event_id,
        digest_id=row.digest_id,
        event=event,
        contact=contact_code,
        contact_name=contact_name,
        institution=row.institution_code,
        community_contact=row.community_contact_id is not None,
        channel=row.channel,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == OutboxStatus.pending else None,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def _cursor(rank: int, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{rank}:{row_id}".encode()).decode()


def _parse_cursor(cursor: str) -> tuple[int, int]:
    try:
        rank, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if not (0 <= int(rank) <= MAX_RANK and row_id_in_range(int(row_id))):
            raise ValueError(cursor)
        return int(rank), int(row_id)
    except (ValueError, binascii.Error) as exc:
        raise InvalidData(
            "bad_cursor",
            "El cursor no es válido; use el valor de `next` tal cual. / "
            "The cursor is not valid; pass `next` back unchanged.",
        ) from exc


@router.get(
    "",
    response_model=NotificationPage,
    summary="Registro de envíos (fallidos primero) / Delivery log (failures first)",
)
def list_notifications(
    session: SessionDep,
    settings: SettingsDep,
    _principal: AnalystOrAdmin,
    status_: Annotated[
        OutboxStatus | None, Query(alias="status", description="pending, sending, sent, dead")
    ] = None,
    channel: Annotated[str | None, Query(description="email, webhook, sms")] = None,
    institution: Annotated[str | None, Query(description="código / code, p. ej. MINJUS")] = None,
    alert_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: Annotated[str | None, Query()] = None,
) -> NotificationPage:
    limit = min(limit, settings.page_max)
    query = (
        select(
            OutboxMessage,
            func.coalesce(Contact.code, CommunityContact.code),
            func.coalesce(Contact.name, COMMUNITY_ROLE_NAME),
            func.coalesce(AlertEvent.kind, DIGEST_EVENT),
            RANK.label("rank"),
        )
        .outerjoin(Contact, Contact.id == OutboxMessage.contact_id)
        .outerjoin(CommunityContact, CommunityContact.id == OutboxMessage.community_contact_id)
        .outerjoin(AlertEvent, AlertEvent.id == OutboxMessage.event_id)
        .order_by(RANK, OutboxMessage.id.desc())
        .limit(limit + 1)
    )
    if status_ is not None:
        query = query.where(OutboxMessage.status == status_)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if institution:
        query = query.where(OutboxMessage.institution_code == institution.upper())
    if alert_id is not None:
        query = query.where(OutboxMessage.alert_id == alert_id)
    if cursor:
        rank, row_id = _parse_cursor(cursor)
        query = query.where(or_(RANK > rank, and_(RANK == rank, OutboxMessage.id < row_id)))
    rows = session.execute(query).all()
    items = [
        _out(row, contact_code=code, contact_name=name, event=kind)
        for row, code, name, kind, _rank in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = _cursor(int(last.rank), last[0].id)
    return NotificationPage(items=items, next=next_cursor)


@router.post(
    "/{notification_id}/requeue",
    response_model=NotificationOut,
    summary="Reencolar un mensaje muerto / Requeue a dead message",
)
def requeue_notification(
    notification_id: RowId, session: SessionDep, principal: AnalystOrAdmin
) -> NotificationOut:
    row = session.get(OutboxMessage, notification_id)
    if row is None:
        raise NotFound(
            "notification_not_found", "No existe esa notificación. / No such notification."
        )
    previous_error = row.last_error
    requeue(session, row=row, now=utcnow())
    audit.record(
        session,
        actor=principal.name,
        action=AuditAction.notification_requeued,
        object_type="outbox_message",
        object_id=row.id,
        details={"last_error": previous_error, "channel": row.channel},
    )
    event = session.get(AlertEvent, row.event_id) if row.event_id is not None else None
    kind = event.kind if event is not None else DIGEST_EVENT
    if row.community_contact_id is not None:
        member = session.get(CommunityContact, row.community_contact_id)
        assert member is not None
        name = "líder comunal" if member.role == "leader" else "monitor comunal"
        return _out(row, contact_code=member.code, contact_name=name, event=kind)
    contact = session.get(Contact, row.contact_id)
    assert contact is not None
    return _out(row, contact_code=contact.code, contact_name=contact.name, event=kind)
