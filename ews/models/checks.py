"""Field checks: a satellite point (FIRMS hotspot or GFW alert) in a community's territory or
approach zone, for its monitors to verify on the ground, and the verdict they bring back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, utcnow


class CheckSource(StrEnum):
    firms = "firms"  # a fire_hotspot row
    gfw = "gfw"  # a deforestation_alert row


class Verdict(StrEnum):
    confirmed = "confirmed"
    false_alarm = "false_alarm"
    unreachable = "unreachable"


class FieldCheck(Base):
    """One satellite point to verify, for one community (a point in two communities' zones is a
    check for each). ``day`` is the local day (Lima) the point counts on, so a verdict marks that
    day as pending work."""

    __tablename__ = "field_check"
    __table_args__ = (
        UniqueConstraint("source", "point_id", "community_code"),
        Index("ix_field_check_community_seen", "community_code", "seen_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # CheckSource
    point_id: Mapped[int] = mapped_column(Integer)  # fire_hotspot.id or deforestation_alert.id
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    zone: Mapped[str] = mapped_column(String(10))  # core | buffer
    seen_at: Mapped[datetime]  # acquisition time, or the alert day's midnight in Lima
    day: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldVerdict(Base):
    """What the monitors found at a check: one verdict per check, ``id`` the phone's UUID so a
    resend finds it. The reporter is kept only as the key's pseudonym (as for reports)."""

    __tablename__ = "field_verdict"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    check_id: Mapped[str] = mapped_column(ForeignKey("field_check.id"), unique=True)
    verdict: Mapped[str] = mapped_column(String(20))  # Verdict
    note: Mapped[str | None] = mapped_column(Text)
    reporter_pseudonym: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
