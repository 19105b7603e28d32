"""SMS reports through a gateway: ``EWS <community> <threat> <severity 1-5> [<lat> <lon>] [text]``.

``parse_sms`` is pure: text in, a parsed report or a Spanish correction out. ``receive_sms`` keys
each message on the gateway's id (a resend answers the same), stores the phone only as a pseudonym,
and answers a short Spanish reply the gateway can text back.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ews.intake.reports import (
    THREAT_LABELS_ES,
    StoreStatus,
    ThreatType,
    store_report,
    threat_from_word,
    validate_report,
)
from ews.models import Community, SmsMessage

SMS_NAMESPACE = uuid.UUID("0b7f9c1e-3f4a-4f3e-8d55-5a8f2b9e6c21")
SYNTAX = "EWS <comunidad> <amenaza> <gravedad 1-5> [lat lon] [texto]"
EXAMPLE = "Ej: EWS flor-de-ucayali fuego 3 -8.31 -74.10 humo en la quebrada"
WORDS = "coca narco tala deforestacion fuego invasion mineria amenaza armados sin_novedad otro"
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


class SmsError(ValueError):
    """The text cannot be read; ``reply`` says in Spanish how to fix it."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class ParsedSms:
    community: str
    threat_type: ThreatType
    severity: int
    latitude: float | None
    longitude: float | None
    description: str | None


def parse_sms(text: str, *, communities: Collection[str]) -> ParsedSms:
    """Read an SMS report; raises ``SmsError`` with a Spanish correction."""
    words = text.strip().split()
    if not words or words[0].upper() != "EWS":
        raise SmsError(f"Mensaje no reconocido. Escriba: {SYNTAX}. {EXAMPLE}")
    if len(words) < 4:
        raise SmsError(f"Faltan datos. Escriba: {SYNTAX}. {EXAMPLE}")
    community = words[1].lower()
    if community not in communities:
        known = ", ".join(sorted(communities))
        raise SmsError(f"Comunidad '{words[1]}' desconocida. Use: {known}. {EXAMPLE}")
    threat = threat_from_word(words[2])
    if threat is None:
        raise SmsError(f"Amenaza '{words[2]}' desconocida. Use: {WORDS}.")
    if not words[3].isdigit() or not 1 <= int(words[3]) <= 5:
        raise SmsError(f"Gravedad '{words[3]}' no válida: use un número de 1 a 5.")
    severity = int(words[3])
    rest = words[4:]
    latitude = longitude = None
    if len(rest) >= 2 and _NUMBER.match(rest[0]) and _NUMBER.match(rest[1]):
        latitude = float(rest[0].replace(",", "."))
        longitude = float(rest[1].replace(",", "."))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise SmsError("Coordenadas fuera de rango: latitud -90 a 90, longitud -180 a 180.")
        rest = rest[2:]
    elif rest and _NUMBER.match(rest[0]):
        raise SmsError("Envíe latitud y longitud juntas (ej: -8.31 -74.10), o ninguna.")
    return ParsedSms(
        community=community,
        threat_type=threat,
        severity=severity,
        latitude=latitude,
        longitude=longitude,
        description=" ".join(rest) or None,
    )


def confirmation(parsed: ParsedSms, report_id: str) -> str:
    return (
        f"Recibido: {THREAT_LABELS_ES[parsed.threat_type]}, gravedad {parsed.severity}, "
        f"{parsed.community}. Ref {report_id[:8]}. Gracias."
    )


class SmsStatus(StrEnum):
    accepted = "accepted"
    rejected = "rejected"
    duplicate = "duplicate"
    conflict = "conflict"


@dataclass(frozen=True)
class SmsOutcome:
    status: SmsStatus
    reply: str
    report_id: str | None = None
    created: bool = False


def normalize_phone(phone: str) -> str:
    return re.sub(r"[^\d+]", "", phone)


def _content_hash(sender_pseudonym: str, text: str) -> str:
    return hashlib.sha256(f"{sender_pseudonym}\n{text.strip()}".encode()).hexdigest()


def receive_sms(
    session: Session,
    *,
    gateway_id: str,
    sender_pseudonym: str,
    text: str,
    received_at: datetime,
    now: datetime,
    future_tolerance: timedelta,
) -> SmsOutcome:
    """Store one gateway message (and its report when it reads well); flushes, never commits."""
    content_hash = _content_hash(sender_pseudonym, text)
    known = session.get(SmsMessage, gateway_id)
    if known is not None:
        if known.content_hash != content_hash:
            return SmsOutcome(
                SmsStatus.conflict,
                "Este id de mensaje ya se usó con otro texto. / This message id was used with "
                "another text.",
            )
        return SmsOutcome(SmsStatus.duplicate, known.reply, known.report_id)
    communities = set(session.execute(select(Community.code)).scalars())
    report_id: str | None = None
    created = False
    try:
        parsed = parse_sms(text, communities=communities)
    except SmsError as exc:
        status, reply = SmsStatus.rejected, exc.reply
    else:
        report_id = str(uuid.uuid5(SMS_NAMESPACE, gateway_id))
        report, errors = validate_report(
            session,
            {
                "id": report_id,
                "community": parsed.community,
                "threat_type": parsed.threat_type.value,
                "severity": parsed.severity,
                "observed_at": received_at,
                "latitude": parsed.latitude,
                "longitude": parsed.longitude,
                "description": parsed.description,
            },
            now=now,
            future_tolerance=future_tolerance,
        )
        if report is None:
            status = SmsStatus.rejected
            reply = "No se pudo guardar: " + "; ".join(e["message"].split(" / ")[0] for e in errors)
            report_id = None
        else:
            outcome, _stored = store_report(
                session,
                report=report,
                reporter_pseudonym=sender_pseudonym,
                source="sms",
                source_ref=gateway_id,
                now=now,
            )
            created = outcome is StoreStatus.created
            status, reply = SmsStatus.accepted, confirmation(parsed, report_id)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(SmsMessage)
        .values(
            gateway_id=gateway_id,
            sender_pseudonym=sender_pseudonym,
            received_at=received_at,
            status=status.value,
            reply=reply,
            report_id=report_id,
            content_hash=content_hash,
        )
        .on_conflict_do_nothing()
    )
    return SmsOutcome(status, reply, report_id, created)
