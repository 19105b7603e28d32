"""The transactional outbox: one message per alert event and contact, or per daily digest and
contact (``digest_id``; DESIGN section 12). Exactly one of ``event_id`` and ``digest_id`` is set."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, new_uuid, utcnow


class OutboxStatus(StrEnum):
    """Where a message is in delivery; stored as these words in ``outbox_message.status``."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    dead = "dead"


# Exactly one of an event and a digest.
EVENT_OR_DIGEST = "(event_id IS NULL) <> (digest_id IS NULL)"


class InstitutionDigest(Base):
    """One institution's daily digest for one Lima day: the row is the claim (unique institution
    and day), so the digest is made and queued once whoever runs the job, however often."""

    __tablename__ = "institution_digest"
    __table_args__ = (UniqueConstraint("institution_code", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    day: Mapped[date] = mapped_column(Date)  # the Lima day
    prepared_at: Mapped[datetime]
    since: Mapped[datetime]  # changes since this moment (the previous digest, or a day before)
    messages: Mapped[int] = mapped_column(
        Integer, default=0
    )  # outbox rows queued (0: nothing to say)
    counts: Mapped[dict[str, Any]]  # the institution's whole digest counts (alerts.digest)


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        UniqueConstraint("event_id", "community_contact_id"),
        UniqueConstraint("digest_id", "contact_id"),
        # An institution's contact or a community's contact, exactly one.
        CheckConstraint(
            "(contact_id IS NULL) <> (community_contact_id IS NULL)", name="one_recipient"
        ),
        CheckConstraint(EVENT_OR_DIGEST, name="event_or_digest"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Stable across retries: the e-mail Message-ID and the webhook-id are derived from it.
    message_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    # An alert event's message carries its alert and event; a digest's carries neither.
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("alert_event.id"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("institution_digest.id"))
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
