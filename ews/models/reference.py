"""Reference data from the COPOLAD fact sheet: institutions, the fact sheet, communities, contacts,
indicator rules and the routing matrix. Loaded from ``fixtures/`` by ``ews init``."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from ews.crypto import EncryptedText
from ews.models.base import Base
from indicators.geometry import overview_shape


class Institution(Base):
    __tablename__ = "institution"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    acronym: Mapped[str] = mapped_column(String(40))
    name_es: Mapped[str]
    name_en: Mapped[str]
    role: Mapped[str] = mapped_column(String(40))  # focal_point | collaborating | local_government
    role_es: Mapped[str]
    role_en: Mapped[str]
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("institution.code", deferrable=True, initially="DEFERRED")
    )
    parent_note: Mapped[str | None]
    mandates: Mapped[list[str]]  # alert categories the institution is mandated to act on
    mandate_es: Mapped[str | None] = mapped_column(Text)
    mandate_en: Mapped[str | None] = mapped_column(Text)


class FactsheetItem(Base):
    """National actions, regional initiatives, working groups and prototype blocks."""

    __tablename__ = "factsheet_item"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    area: Mapped[str | None]
    title_es: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    summary_es: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    institution_codes: Mapped[list[str]]
    country_count: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]]


class Community(Base):
    __tablename__ = "community"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str]
    people: Mapped[str | None]
    families: Mapped[int | None] = mapped_column(Integer)
    titled_area_ha: Mapped[float | None] = mapped_column(Float)
    region: Mapped[str]
    region_ubigeo: Mapped[str] = mapped_column(String(6))
    province: Mapped[str]
    district: Mapped[str]
    ubigeo: Mapped[str] = mapped_column(String(6))
    access_es: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # Geometry kept as GeoJSON (WGS84); the buffer ring is computed at load in a metric projection.
    boundary: Mapped[dict[str, Any]]
    # Where the boundary came from: "illustrative", a fixture file, or an imported file, its layer
    # and the time of the import (ews communities import).
    boundary_source: Mapped[str] = mapped_column(Text)
    buffer_m: Mapped[float] = mapped_column(Float)
    buffer: Mapped[dict[str, Any]]  # the ring (territory + buffer minus territory)
    # The territory simplified for the national overview map (indicators.geometry.overview_shape),
    # kept current by ``_boundary_set`` whenever the boundary is written through the ORM.
    overview: Mapped[dict[str, Any] | None]
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # The local day its monitoring began: patrol silence counts from here until a first report, so
    # a community just enrolled is not reported as a month-long monitoring gap.
    monitored_since: Mapped[date | None] = mapped_column(Date)


@event.listens_for(Community.boundary, "set")
def _boundary_set(target: Community, value: dict[str, Any], old: Any, _initiator: Any) -> None:
    """A new boundary: its simplified overview shape is recomputed (an unchanged one is kept)."""
    if value is not None and value != old:
        target.overview = overview_shape(value)


class Contact(Base):
    """Where an institution receives alerts. Addresses are official institutional ones."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    institution_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    name: Mapped[str]
    channel: Mapped[str] = mapped_column(String(20))  # email | webhook | sms
    # A Fernet token at rest (ews.crypto.EncryptedText): read and written in clear through the engine.
    address: Mapped[str] = mapped_column(EncryptedText)
    scope: Mapped[str] = mapped_column(String(20))  # regional | national
    region_ubigeo: Mapped[str | None] = mapped_column(String(6))
    language: Mapped[str] = mapped_column(String(5), default="es")
    min_level: Mapped[str] = mapped_column(String(20), default="warning")
    payload_format: Mapped[str] = mapped_column(String(10), default="json")  # json | cap (webhooks)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The alert categories the contact receives; empty: every category routed to its institution.
    categories: Mapped[list[str]] = mapped_column(default=list)
    # Who keeps the row: "fixture" (``ews init`` updates it from contacts.yaml) or "api" (created
    # or changed by an admin through the API or the dashboard: ``ews init`` no longer touches it).
    managed_by: Mapped[str] = mapped_column(String(10), default="fixture")


class CommunityContactRole(StrEnum):
    leader = "leader"
    monitor = "monitor"


class CommunityContact(Base):
    """A leader or monitor of a community who hears back, by SMS, what is done about the
    community's alerts, and may answer. The phone is a Fernet token at rest; ``phone_pseudonym``
    (keyed HMAC of the normalized number, as the SMS intake computes it) finds the contact of an
    incoming message without decrypting every row."""

    __tablename__ = "community_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # a CommunityContactRole
    name: Mapped[str]
    phone: Mapped[str] = mapped_column(EncryptedText)
    phone_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(5), default="es")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class IndicatorRule(Base):
    """One indicator of the catalog with its thresholds and weight (DESIGN section 5), as data."""

    __tablename__ = "indicator_rule"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    window_days: Mapped[int | None] = mapped_column(Integer)
    warning: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    critical: Mapped[float | None] = mapped_column(Float)
    # Extra rule parameters (e.g. critical on severity, confidence weights, index weight).
    params: Mapped[dict[str, Any]]
    name_es: Mapped[str]
    name_en: Mapped[str]
    unit: Mapped[str] = mapped_column(String(20), default="count")


class RoutingRule(Base):
    """The routing matrix: a category goes to these institutions."""

    __tablename__ = "routing_rule"
    __table_args__ = (UniqueConstraint("category", "institution_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    institution_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    role: Mapped[str] = mapped_column(String(20))  # primary | also
    condition: Mapped[str | None] = mapped_column(String(60))  # e.g. inside_titled_territory


class CategoryContext(Base):
    """What the fact sheet says about a category: the mandated role and the prototype block."""

    __tablename__ = "category_context"

    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_es: Mapped[str]
    name_en: Mapped[str]
    prototype_block: Mapped[str] = mapped_column(String(80))
    action_es: Mapped[str] = mapped_column(Text)
    action_en: Mapped[str] = mapped_column(Text)
    reporter_words_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
