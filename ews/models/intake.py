"""What comes in: patrol reports, Kobo submissions, SMS messages, feed rows and quarantined rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base, utcnow


class Report(Base):
    """A patrol report. ``id`` is the client's UUID, so a resend finds the stored record."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        Index("ix_report_community_observed", "community_code", "observed_at"),
        Index("ix_report_received_at", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    threat_type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    # Keyed HMAC of the submitting identity; never a name, key or phone number in clear.
    reporter_pseudonym: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20), default="api")  # api | kobo | sms | web | demo
    source_ref: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class SmsMessage(Base):
    """An SMS gateway message, kept so a resent id answers the same and nothing is parsed twice."""

    __tablename__ = "sms_message"

    gateway_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    sender_pseudonym: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # accepted | rejected
    reply: Mapped[str] = mapped_column(Text)
    report_id: Mapped[str | None] = mapped_column(ForeignKey("report.id"))
    content_hash: Mapped[str] = mapped_column(String(64))


class FireHotspot(Base):
    """A NASA FIRMS fire hotspot (VIIRS or MODIS), keyed naturally so a reload adds nothing."""

    __tablename__ = "fire_hotspot"
    __table_args__ = (
        UniqueConstraint("satellite", "instrument", "acquired_at", "lat_e4", "lon_e4"),
        Index("ix_fire_hotspot_acquired_at", "acquired_at"),
        Index("ix_fire_hotspot_ingested_at", "ingested_at"),
        # An indicator shard reads the points of its band of longitude from this index alone.
        Index(
            "ix_fire_hotspot_band",
            "longitude",
            "acquired_at",
            "latitude",
            "instrument",
            "confidence",
            "confidence_pct",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument: Mapped[str] = mapped_column(String(10))  # VIIRS | MODIS
    satellite: Mapped[str] = mapped_column(String(20))
    acquired_at: Mapped[datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    lat_e4: Mapped[int] = mapped_column(Integer)  # position rounded to 1e-4 degrees (~11 m)
    lon_e4: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[str] = mapped_column(String(10))  # low | nominal | high
    confidence_pct: Mapped[int | None] = mapped_column(Integer)  # MODIS 0-100
    brightness: Mapped[float | None] = mapped_column(Float)
    frp: Mapped[float | None] = mapped_column(Float)
    daynight: Mapped[str | None] = mapped_column(String(1))
    version: Mapped[str | None] = mapped_column(String(20))
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[str | None] = mapped_column(String(36))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class DeforestationAlert(Base):
    """A Global Forest Watch alert (integrated, GLAD-L, GLAD-S2 or RADD)."""

    __tablename__ = "deforestation_alert"
    __table_args__ = (
        UniqueConstraint("dataset", "alert_date", "lat_e4", "lon_e4"),
        Index("ix_deforestation_alert_alert_date", "alert_date"),
        Index("ix_deforestation_alert_ingested_at", "ingested_at"),
        # An indicator shard reads the points of its band of longitude from this index alone.
        Index(
            "ix_deforestation_alert_band",
            "longitude",
            "alert_date",
            "latitude",
            "confidence",
            "area_ha",
            "dataset",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(40))
    alert_date: Mapped[date] = mapped_column(Date)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    lat_e4: Mapped[int] = mapped_column(Integer)
    lon_e4: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[str] = mapped_column(String(10))  # nominal | high | highest
    area_ha: Mapped[float] = mapped_column(Float)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[str | None] = mapped_column(String(36))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class IngestBatch(Base):
    """One feed file or request: what it held and what became of it."""

    __tablename__ = "ingest_batch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # firms | gfw
    layout: Mapped[str | None] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(Text)  # file name, URL or "api"
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class QuarantineRow(Base):
    """A feed row, SMS or Kobo submission that could not be taken in, kept with its row number and
    reason for review; ``fingerprint`` keeps each one once however often it is sent again."""

    __tablename__ = "quarantine_row"
    # A unique index, not a constraint: SQLite adds it without rebuilding the table (so the
    # migration also renders as plain SQL with `alembic upgrade --sql`).
    __table_args__ = (
        Index("uq_quarantine_row_source_fingerprint", "source", "fingerprint", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(Text)
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # SHA-256 of what identifies the item (ews.intake.quarantine); older rows have none.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
