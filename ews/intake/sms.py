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

from alerts.community import ANSWER_ES, PROMPT_ES, read_answer
from ews.alerting.community import (
    AnswerTarget,
    answer_report_fields,
    answer_target,
    record_answer,
)
from ews.intake.idempotent import StoreStatus
from ews.intake.positions import PositionError, read_sms_position
from ews.intake.quarantine import keep_message
from ews.intake.reports import (
    THREAT_LABELS_ES,
    ThreatType,
    store_report,
    threat_from_word,
    validate_report,
)
from ews.models import Community, SmsMessage

SMS_NAMESPACE = uuid.UUID("0b7f9c1e-3f4a-4f3e-8d55-5a8f2b9e6c21")
SYNTAX = "EWS <comunidad> <amenaza> <gravedad 1-5> [lat lon] [texto]"
# No real community in the example: the gateway answers anyone who texts it.
EXAMPLE = "Ej: EWS <comunidad> fuego 3 -8.31 -74.10 humo en la quebrada"
WORDS = "coca narco tala deforestacion fuego invasion mineria amenaza armados sin_novedad otro"


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
        # No list of communities in the answer: anyone can text the gateway.
        raise SmsError(
            f"Comunidad '{words[1][:40]}' desconocida. Revise el código de su comunidad con su "
            f"coordinador. {EXAMPLE}"
        )
    threat = threat_from_word(words[2])
    if threat is None:
        raise SmsError(f"Amenaza '{words[2][:40]}' desconocida. Use: {WORDS}.")
    if words[3] not in ("1", "2", "3", "4", "5"):
        raise SmsError(f"Gravedad '{words[3][:10]}' no válida: use un número de 1 a 5.")
    severity = int(words[3])
    try:
        position, used = read_sms_position(words[4:])
    except PositionError as exc:
        raise SmsError(str(exc)) from None
    latitude, longitude = position if position is not None else (None, None)
    rest = words[4 + used :]
    return ParsedSms(
        community=community,
        threat_type=threat,
        severity=severity,
        latitude=latitude,
        longitude=longitude,
        description=" ".join(rest) or None,
    )


def confirmation(parsed: ParsedSms, report_id: str) -> str:
    """The reply to a stored report: what was understood, the position included (or its absence)."""
    where = (
        "sin posición"
        if parsed.latitude is None or parsed.longitude is None
        else f"posición {parsed.latitude:g},{parsed.longitude:g}"
    )
    return (
        f"Recibido: {THREAT_LABELS_ES[parsed.threat_type]}, gravedad {parsed.severity}, "
        f"{parsed.community}, {where}. Ref {report_id[:8]}. Gracias."
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


def canonical_phone(phone: str) -> str:
    """The number in international form: a Peruvian mobile written without the country code
    (9 digits starting with 9) gets +51, so "961 222 333" and "+51 961 222 333" are one phone."""
    digits = normalize_phone(phone)
    if not digits.startswith("+") and len(digits) == 9 and digits.startswith("9"):
        return "+51" + digits
    if digits.startswith("0051"):
        return "+" + digits[2:]
    return digits


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
    contact_pseudonym: str | None = None,
) -> SmsOutcome:
    """Store one gateway message (and its report when it reads well); flushes, never commits.
    ``contact_pseudonym`` (the pseudonym of the number in international form, default
    ``sender_pseudonym``) finds a community contact answering about its alert."""
    content_hash = _content_hash(sender_pseudonym, text)
    known = session.get(SmsMessage, gateway_id)
    if known is not None:
        if known.content_hash != content_hash:
            reply = (
                "Este id de mensaje ya se usó con otro texto. / This message id was used with "
                "another text."
            )
            _keep(session, SmsStatus.conflict, gateway_id, sender_pseudonym, text, reply, now)
            return SmsOutcome(SmsStatus.conflict, reply)
        return SmsOutcome(SmsStatus.duplicate, known.reply, known.report_id)
    communities = set(session.execute(select(Community.code)).scalars())
    report_id: str | None = None
    created = False
    target = (
        None
        if text.strip().upper().startswith("EWS")
        else answer_target(session, sender_pseudonym=contact_pseudonym or sender_pseudonym)
    )
    if target is not None:
        # A community contact answering the message about its open alert.
        status, reply, report_id, created = _answer(
            session,
            target=target,
            gateway_id=gateway_id,
            sender_pseudonym=sender_pseudonym,
            text=text,
            received_at=received_at,
            now=now,
            future_tolerance=future_tolerance,
        )
        parsed = None
    else:
        try:
            parsed = parse_sms(text, communities=communities)
        except SmsError as exc:
            status, reply = SmsStatus.rejected, exc.reply
            parsed = None
    if parsed is not None:
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
    if status is SmsStatus.rejected:
        _keep(session, status, gateway_id, sender_pseudonym, text, reply, now)
    return SmsOutcome(status, reply, report_id, created)


def _answer(
    session: Session,
    *,
    target: AnswerTarget,
    gateway_id: str,
    sender_pseudonym: str,
    text: str,
    received_at: datetime,
    now: datetime,
    future_tolerance: timedelta,
) -> tuple[SmsStatus, str, str | None, bool]:
    """A leader's (or monitor's) answer: a report of the community and an event on the alert."""
    answer = read_answer(text)
    if answer is None:
        return (
            SmsStatus.rejected,
            f"No entendimos su respuesta. {PROMPT_ES} Para un reporte nuevo: {SYNTAX}",
            None,
            False,
        )
    fields = answer_report_fields(
        session, target=target, answer=answer, gateway_id=gateway_id, received_at=received_at
    )
    report, errors = validate_report(session, fields, now=now, future_tolerance=future_tolerance)
    if report is None:
        reply = "No se pudo guardar: " + "; ".join(e["message"].split(" / ")[0] for e in errors)
        return SmsStatus.rejected, reply, None, False
    outcome, _stored = store_report(
        session,
        report=report,
        reporter_pseudonym=sender_pseudonym,
        source="sms",
        source_ref=gateway_id,
        now=now,
    )
    record_answer(session, target=target, answer=answer, report_id=fields["id"], now=now)
    reply = f"Gracias. Recibimos su respuesta: {ANSWER_ES[answer]}. Ref {fields['id'][:8]}."
    return SmsStatus.accepted, reply, fields["id"], outcome is StoreStatus.created


def _keep(
    session: Session,
    status: SmsStatus,
    gateway_id: str,
    sender_pseudonym: str,
    text: str,
    reply: str,
    now: datetime,
) -> None:
    """A refused message's text, kept for review under the sender's pseudonym (never the phone)."""
    keep_message(
        session,
        source="sms",
        raw=text,
        error=reply,
        identity=f"{gateway_id}\n{sender_pseudonym}",
        details={"gateway_id": gateway_id, "status": status.value, "sender": sender_pseudonym},
        received_at=now,
    )
