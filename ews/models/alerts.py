"""Alerts, their events, silences and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, utcnow


class AlertStatus(StrEnum):
    """Where an alert is in its life; stored as these words in ``alert.status``."""

    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


class AuditAction(StrEnum):
    """What an audit entry records, ``<object>.<past participle>``; stored in ``audit_log.action``."""

    alert_acknowledged = "alert.acknowledged"
    alert_resolved = "alert.resolved"
    silence_created = "silence.created"
    silence_expired = "silence.expired"
    key_created = "key.created"
    key_revoked = "key.revoked"
    indicators_exported = "indicators.exported"
    notification_requeued = "notification.requeued"
    sign_in_failed = "dashboard.sign_in_failed"
    signed_in = "dashboard.signed_in"
    communities_imported = "communities.imported"


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (
        # One open alert per fingerprint (community + category).
        Index(
            "uq_alert_open_fingerprint",
            "fingerprint",
            unique=True,
            postgresql_where=text("status <> 'resolved'"),
            sqlite_where=text("status <> 'resolved'"),
        ),
        Index("ix_alert_status_level", "status", "level"),
        # A fingerprint's last resolved alert: what a new one must bring something new against.
        Index("ix_alert_fingerprint_id", "fingerprint", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(140))
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    category: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))  # warning | high | critical
    status: Mapped[str] = mapped_column(String(20))  # an AlertStatus
    routed_to: Mapped[list[str]]
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_notified_at: Mapped[datetime | None]
    national_escalated_at: Mapped[datetime | None]
    # When an evaluation first saw the category below warning (cleared when it comes back): the
    # alert resolves itself once it stays below warning for the auto-resolve time.
    below_warning_since: Mapped[datetime | None]
    # When the alert reached its current level (a high alert goes national 12 h after it).
    level_since: Mapped[datetime | None]
    # The newest indicator value revision of its category the alert has evaluated: an evaluation
    # acts on the category when one of its values has a newer revision.
    seen_revision: Mapped[int | None] = mapped_column(BigInteger)
    # Set by the fast path: until the computation with this number has committed (the first one
    # sure to count the urgent report), the values may predate the report and cannot lower the alert.
    hold_until: Mapped[int | None] = mapped_column(BigInteger)
    evidence: Mapped[dict[str, Any]]
    context: Mapped[dict[str, Any]]


class AlertEvent(Base):
    __tablename__ = "alert_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))  # "system" or the key's name
    note: Mapped[str | None] = mapped_column(Text)
    muted_by: Mapped[str | None] = mapped_column(String(60))  # silence:<id> | inhibited
    details: Mapped[dict[str, Any]]


class CapMessage(Base):
    """The CAP 1.2 message of one notified alert event: rendered once, when the event was written,
    and served and delivered as stored, never re-rendered (ews.alerting.cap)."""

    __tablename__ = "cap_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alert_event.id"), unique=True)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    sender: Mapped[str] = mapped_column(String(200))
    sent: Mapped[datetime]
    msg_type: Mapped[str] = mapped_column(String(10))  # Alert | Update | Cancel
    xml: Mapped[str] = mapped_column(Text)


class Silence(Base):
    __tablename__ = "silence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_code: Mapped[str | None] = mapped_column(ForeignKey("community.code"))
    category: Mapped[str | None] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    author: Mapped[str]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expired_early_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditLog(Base):
    """Append-only (triggers refuse UPDATE and DELETE on both engines)."""

    __tablename__ = "audit_log"
    # The dashboard's sign-in throttle counts recent failures of one client.
    __table_args__ = (Index("ix_audit_log_action_object", "action", "object_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))  # an AuditAction
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]]
