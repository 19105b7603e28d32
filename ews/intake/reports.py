"""Patrol reports: validate, then store idempotently on the client's UUID.

Same UUID and same content again: ``duplicate`` (the stored record). Same UUID, other content:
``conflict``. The insert is ``INSERT .. ON CONFLICT DO NOTHING`` followed by a re-read, so concurrent
resends of one UUID store exactly one row on either engine.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session, load_only

from ews.fields import Number, PlausibleTime, Text, WholeNumber, field_errors
from ews.intake.idempotent import StoreStatus, insert_once
from ews.models import Community, Report
from ews.photos.links import PhotoLink


class ThreatType(StrEnum):
    coca_cultivation = "coca_cultivation"
    drug_trafficking = "drug_trafficking"
    illegal_logging = "illegal_logging"
    deforestation = "deforestation"
    fire = "fire"
    settler_invasion = "settler_invasion"
    illegal_mining = "illegal_mining"
    threat_to_defender = "threat_to_defender"
    armed_presence = "armed_presence"
    all_quiet = "all_quiet"
    other = "other"


# The Spanish word a monitor types or picks for each threat type (SMS, Kobo choices).
THREAT_WORDS: dict[str, ThreatType] = {
    "coca": ThreatType.coca_cultivation,
    "narco": ThreatType.drug_trafficking,
    "tala": ThreatType.illegal_logging,
    "deforestacion": ThreatType.deforestation,
    "deforestación": ThreatType.deforestation,
    "fuego": ThreatType.fire,
    "incendio": ThreatType.fire,
    "invasion": ThreatType.settler_invasion,
    "invasión": ThreatType.settler_invasion,
    "mineria": ThreatType.illegal_mining,
    "minería": ThreatType.illegal_mining,
    "amenaza": ThreatType.threat_to_defender,
    "armados": ThreatType.armed_presence,
    "sin_novedad": ThreatType.all_quiet,
    "otro": ThreatType.other,
}
THREAT_LABELS_ES: dict[ThreatType, str] = {
    ThreatType.coca_cultivation: "cultivo de coca",
    ThreatType.drug_trafficking: "narcotráfico",
    ThreatType.illegal_logging: "tala ilegal",
    ThreatType.deforestation: "deforestación",
    ThreatType.fire: "fuego",
    ThreatType.settler_invasion: "invasión",
    ThreatType.illegal_mining: "minería ilegal",
    ThreatType.threat_to_defender: "amenaza a defensor",
    ThreatType.armed_presence: "presencia armada",
    ThreatType.all_quiet: "sin novedad",
    ThreatType.other: "otro",
}


def threat_from_word(word: str) -> ThreatType | None:
    """A threat type from its English value or Spanish word, any case."""
    word = word.strip().lower()
    if word in ThreatType.__members__:
        return ThreatType(word)
    return THREAT_WORDS.get(word)


class ReportIn(BaseModel):
    """A patrol report as a phone sends it. A field it does not know is refused, never dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: uuid.UUID = Field(description="UUID generado en el teléfono / client-generated UUID")
    community: Text = Field(min_length=1, max_length=80)
    threat_type: ThreatType
    severity: WholeNumber = Field(ge=1, le=5)
    observed_at: PlausibleTime = Field(
        description="con zona horaria, desde 2000-01-01, a lo sumo 10 min en el futuro / with an "
        "offset, on or after 2000-01-01, at most 10 minutes ahead"
    )
    latitude: Number | None = Field(default=None, ge=-90, le=90)
    longitude: Number | None = Field(default=None, ge=-180, le=180)
    description: Text | None = Field(default=None, max_length=4000)


class ReportOut(BaseModel):
    """A stored report. Never carries who reported."""

    id: str
    community: str
    threat_type: str
    severity: int
    observed_at: datetime
    received_at: datetime
    latitude: float | None
    longitude: float | None
    description: str | None
    source: str
    # Its photos (ids, hashes, links) and how many Kobo attachments are still to be fetched.
    photos: list[PhotoLink] = Field(default_factory=list)
    photos_pending: int = 0

    @classmethod
    def of(
        cls, report: Report, photos: list[PhotoLink] | None = None, photos_pending: int = 0
    ) -> ReportOut:
        return cls(
            id=report.id,
            community=report.community_code,
            threat_type=report.threat_type,
            severity=report.severity,
            observed_at=report.observed_at,
            received_at=report.received_at,
            latitude=report.latitude,
            longitude=report.longitude,
            description=report.description,
            source=report.source,
            photos=photos or [],
            photos_pending=photos_pending,
        )


_FIELD_MESSAGES: dict[tuple[str, str], str] = {
    ("threat_type", "enum"): (
        "tipo de amenaza desconocido; use uno de: "
        + ", ".join(ThreatType)
        + " / unknown threat type"
    ),
    ("severity", "greater_than_equal"): "la gravedad va de 1 a 5 / severity goes from 1 to 5",
    ("severity", "less_than_equal"): "la gravedad va de 1 a 5 / severity goes from 1 to 5",
    ("latitude", "greater_than_equal"): "la latitud va de -90 a 90 / latitude goes from -90 to 90",
    ("latitude", "less_than_equal"): "la latitud va de -90 a 90 / latitude goes from -90 to 90",
    ("longitude", "greater_than_equal"): (
        "la longitud va de -180 a 180 / longitude goes from -180 to 180"
    ),
    (
        "longitude",
        "less_than_equal",
    ): "la longitud va de -180 a 180 / longitude goes from -180 to 180",
    ("community", "string_too_short"): "falta la comunidad / the community is missing",
    ("description", "string_too_long"): (
        "la descripción pasa de 4000 caracteres / the description is over 4000 characters"
    ),
}


_DATETIME_MESSAGE = (
    "debe ser fecha y hora ISO 8601 con zona horaria, p. ej. 2026-11-26T08:30:00-05:00 / must be an "
    "ISO 8601 date-time with an offset"
)


def _messages(exc: ValidationError) -> list[dict[str, str]]:
    errors = field_errors(exc.errors())
    for error, raw in zip(errors, exc.errors(), strict=True):
        kind = raw.get("type", "")
        message = _FIELD_MESSAGES.get((error["field"], kind))
        if message is None and error["field"] == "observed_at" and "date" in kind:
            message = _DATETIME_MESSAGE
        if message:
            error["message"] = message
        elif error["message"].startswith("Input should"):
            error["message"] = f"valor inválido / invalid value: {error['message']}"
    return errors


class ReportNotForKey(ValueError):
    """A monitor key sent a report for another community; ``errors`` holds every error found."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("report for another community than the key's")
        self.errors = errors


@dataclass(frozen=True)
class ValidReport:
    """A report that passed every check, normalized (UTC, trimmed)."""

    id: str
    community_code: str
    threat_type: str
    severity: int
    observed_at: datetime
    latitude: float | None
    longitude: float | None
    description: str | None

    @property
    def content_hash(self) -> str:
        """SHA-256 of the normalized content: the same report resent hashes the same."""
        content = {
            "community": self.community_code,
            "threat_type": self.threat_type,
            "severity": self.severity,
            "observed_at": self.observed_at.astimezone(UTC).isoformat(),
            "latitude": None if self.latitude is None else round(self.latitude, 6),
            "longitude": None if self.longitude is None else round(self.longitude, 6),
            "description": self.description or None,
        }
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(encoded).hexdigest()


def _community_known(session: Session, code: str) -> bool:
    """Is ``code`` a community? Reads its code only (not its boundaries), once per session."""
    return session.get(Community, code, options=[load_only(Community.code)]) is not None


def validate_report(
    session: Session,
    payload: Any,
    *,
    now: datetime,
    future_tolerance: timedelta,
    community_of_key: str | None = None,
) -> tuple[ValidReport | None, list[dict[str, str]]]:
    """Check one report; ``(report, [])`` or ``(None, [{"field", "message"}, ...])``.

    ``community_of_key`` is a monitor key's community: a report for another (known) one raises
    ``ReportNotForKey`` with every error found, as the key may not send it at all.
    """
    if not isinstance(payload, Mapping):
        return None, [
            {"field": "body", "message": "se esperaba un objeto JSON / expected a JSON object"}
        ]
    try:
        report = ReportIn.model_validate(payload)
    except ValidationError as exc:
        return None, _messages(exc)
    errors: list[dict[str, str]] = []
    not_for_key = False
    community = report.community.lower()
    # A monitor key's own community exists (the key's row refers to it), so it is not read again.
    if community != community_of_key and not _community_known(session, community):
        errors.append(
            {
                "field": "community",
                "message": f"comunidad desconocida: {report.community} / unknown community",
            }
        )
    elif community_of_key is not None and community != community_of_key:
        not_for_key = True
        errors.append(
            {
                "field": "community",
                "message": f"su clave solo reporta para {community_of_key} / your key only "
                f"reports for {community_of_key}",
            }
        )
    if report.observed_at > now + future_tolerance:
        errors.append(
            {
                "field": "observed_at",
                "message": "la fecha está en el futuro; revise el reloj del teléfono / the date is "
                "in the future; check the phone's clock",
            }
        )
    if (report.latitude is None) != (report.longitude is None):
        errors.append(
            {
                "field": "latitude" if report.latitude is None else "longitude",
                "message": "envíe latitud y longitud juntas, o ninguna / send latitude and "
                "longitude together, or neither",
            }
        )
    if not_for_key:
        raise ReportNotForKey(errors)
    if errors:
        return None, errors
    return (
        ValidReport(
            id=str(report.id),
            community_code=community,
            threat_type=report.threat_type.value,
            severity=report.severity,
            observed_at=report.observed_at.astimezone(UTC),
            latitude=report.latitude,
            longitude=report.longitude,
            description=report.description or None,
        ),
        [],
    )


def store_report(
    session: Session,
    *,
    report: ValidReport,
    reporter_pseudonym: str,
    source: str = "api",
    source_ref: str | None = None,
    now: datetime,
) -> tuple[StoreStatus, Report]:
    """Insert ``report`` unless its id is known; flushes, never commits.

    ``created``, or for a known id ``duplicate`` (same content) or ``conflict`` (other content),
    each with the stored row.
    """
    status, stored = insert_once(
        session,
        Report,
        {
            "id": report.id,
            "community_code": report.community_code,
            "threat_type": report.threat_type,
            "severity": report.severity,
            "observed_at": report.observed_at,
            "received_at": now,
            "latitude": report.latitude,
            "longitude": report.longitude,
            "description": report.description,
            "reporter_pseudonym": reporter_pseudonym,
            "source": source,
            "source_ref": source_ref,
            "content_hash": report.content_hash,
            "synthetic": False,
        },
    )
    if stored is None:
        # The conflict was on (source, source_ref), not the id: the same message under a new id.
        raise ConflictingSourceRef(source, source_ref)
    return status, stored


class ConflictingSourceRef(Exception):
    """A (source, source_ref) is already stored under another report id."""

    def __init__(self, source: str, source_ref: str | None) -> None:
        super().__init__(f"{source}:{source_ref} already stored under another id")
