"""The transactional outbox: one message per alert event and contact."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, new_uuid, utcnow


class OutboxStatus(StrEnum):
    """Where a message is in delivery; stored as these words in ``outbox_message.status``."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    dead = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        UniqueConstraint("event_id", "community_contact_id"),
        # An institution's contact or a community's contact, exactly one.
        CheckConstraint(
            "(contact_id IS NULL) <> (community_contact_id IS NULL)", name="one_recipient"
        ),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable across retries: the e-mail Message-ID and the webhook-id are derived from it.
    message_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_event.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    # A community leader or monitor told what is done (ews.alerting.community); no institution.
    community_contact_id: Mapped[int | None] = mapped_column(ForeignKey("community_contact.id"))
    institution_code: Mapped[str | None] = mapped_column(ForeignKey("institution.code"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]]
