"""Patrols: a walk of the territory with its track, the effort behind the reports (DESIGN 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, utcnow


class Patrol(Base):
    """A patrol. ``id`` is the client's UUID, so a resend finds the stored record. ``track`` is a
    GeoJSON MultiLineString in lon/lat; who walked it is never stored (the sending key's pseudonym
    at most, as for reports)."""

    __tablename__ = "patrol"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        Index("ix_patrol_community_ended", "community_code", "ended_at"),
        Index("ix_patrol_ended_at", "ended_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    started_at: Mapped[datetime]
    # The local day of ``ended_at`` is the day the patrol counts on (pending work, indicators).
    ended_at: Mapped[datetime]
    monitors: Mapped[int] = mapped_column(Integer)
    track: Mapped[dict[str, Any]]
    points: Mapped[int] = mapped_column(Integer)
    length_km: Mapped[float] = mapped_column(Float)  # geodesic length of the track
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitter_pseudonym: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20), default="api")  # api | gpx | kobo | web | demo
    source_ref: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
