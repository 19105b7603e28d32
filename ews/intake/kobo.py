"""KoboToolbox / ODK submissions (REST service JSON) as patrol reports.

Keys are flat ``group/question`` paths; a question is found wherever it sits in groups. The
submission is keyed on ``meta/instanceID``; an edit carries ``meta/deprecatedID`` and replaces the
earlier version in place (the report keeps its first id, so what points at it stays valid).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.fields import storable
from ews.intake.idempotent import StoreStatus
from ews.intake.positions import PositionError, read_geopoint
from ews.intake.quarantine import as_json, keep_message, pseudonymized_submission
from ews.intake.reports import store_report, threat_from_word, validate_report
from ews.models import Report

DEFAULT_MAPPING: dict[str, list[str]] = {
    "community": ["community"],
    "threat_type": ["threat_type"],
    "severity": ["severity"],
    "description": ["description"],
    "observed_at": ["observed_at", "start", "_submission_time"],
    "location": ["_geolocation"],
}
KOBO_NAMESPACE = uuid.UUID("6d1f5a52-7c1e-4a43-9a8e-0c0b5f8f0a11")


class KoboStatus(StrEnum):
    created = "created"
    duplicate = "duplicate"
    replaced = "replaced"  # an edit (deprecatedID) replaced the earlier version
    superseded = "superseded"  # a resend of a version that an edit already replaced
    conflict = "conflict"
    invalid = "invalid"


@dataclass
class KoboOutcome:
    status: KoboStatus
    report: Report | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def mapping_from(overrides: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The default mapping with the configured fields replaced."""
    return {**DEFAULT_MAPPING, **{key: list(value) for key, value in overrides.items()}}


def _find(submission: Mapping[str, Any], question: str) -> Any:
    if question in submission:
        return submission[question]
    for key, value in submission.items():
        if key.rsplit("/", 1)[-1] == question:
            return value
    return None


def report_id_for(instance_id: str) -> str:
    """The report id of an instance: its own UUID (``uuid:...``), else a stable UUID5 of it."""
    try:
        return str(uuid.UUID(instance_id.removeprefix("uuid:")))
    except ValueError:
        return str(uuid.uuid5(KOBO_NAMESPACE, instance_id))


class UnreadableLocation(ValueError):
    """A location question holds something that is not one readable point."""

    def __init__(self, question: str, reason: str) -> None:
        super().__init__(f"{question}: {reason}")
        self.question = question
        self.reason = reason


def report_payload(
    submission: Mapping[str, Any], mapping: Mapping[str, list[str]], *, report_id: str
) -> dict[str, Any]:
    """The report fields of a submission (pure); validation happens afterwards.

    The first location question that holds a value gives the position, in any geopoint shape
    (``ews.intake.positions``); one that cannot be read raises ``UnreadableLocation``."""
    payload: dict[str, Any] = {"id": report_id}
    for name in ("community", "threat_type", "severity", "description"):
        for question in mapping[name]:
            value = _find(submission, question)
            if value not in (None, ""):
                payload[name] = value
                break
    if isinstance(payload.get("threat_type"), str):
        threat = threat_from_word(payload["threat_type"])
        if threat is not None:
            payload["threat_type"] = threat.value
    for question in mapping["observed_at"]:
        value = _find(submission, question)
        if isinstance(value, str) and value:
            if question == "_submission_time":
                # Kobo writes the server's receipt time in UTC without an offset.
                try:
                    parsed = datetime.fromisoformat(value)
                except ValueError:
                    pass
                else:
                    if parsed.tzinfo is None:
                        value = f"{value}+00:00"
            payload["observed_at"] = value
            break
    for question in mapping["location"]:
        try:
            position = read_geopoint(_find(submission, question))
        except PositionError as exc:
            raise UnreadableLocation(question, str(exc)) from None
        if position is not None:
            payload["latitude"], payload["longitude"] = position
            break
    return payload


def _bad_instance(message: str) -> KoboOutcome:
    return KoboOutcome(
        KoboStatus.invalid, errors=[{"field": "meta/instanceID", "message": message}]
    )


MAX_INSTANCE_ID = 200  # report.source_ref


def receive_kobo(
    session: Session,
    *,
    submission: Any,
    mapping: Mapping[str, list[str]],
    reporter_pseudonym: str,
    secret_key: str,
    now: datetime,
    future_tolerance: timedelta,
) -> KoboOutcome:
    """Store one submission; flushes, never commits. A refused one (invalid, or its instanceID
    already stored with other content) is kept in quarantine with its identity questions
    pseudonymized (``secret_key``), once however often it is sent."""
    outcome = _receive(
        session,
        submission=submission,
        mapping=mapping,
        reporter_pseudonym=reporter_pseudonym,
        now=now,
        future_tolerance=future_tolerance,
    )
    if outcome.status in (KoboStatus.invalid, KoboStatus.conflict):
        raw = as_json(pseudonymized_submission(secret_key, {"submission": submission}))
        errors = outcome.errors or [
            {
                "field": "meta/instanceID",
                "message": "ya recibido con otro contenido / already received with other content",
            }
        ]
        keep_message(
            session,
            source="kobo",
            raw=raw,
            error="; ".join(f"{e['field']}: {e['message']}" for e in errors),
            identity=outcome.status.value,
            details={
                "status": outcome.status.value,
                "reporter": reporter_pseudonym,
                "errors": errors,
            },
            received_at=now,
        )
    return outcome


def _receive(
    session: Session,
    *,
    submission: Any,
    mapping: Mapping[str, list[str]],
    reporter_pseudonym: str,
    now: datetime,
    future_tolerance: timedelta,
) -> KoboOutcome:
    if not isinstance(submission, Mapping):
        return KoboOutcome(
            KoboStatus.invalid,
            errors=[
                {"field": "body", "message": "se esperaba un objeto JSON / expected an object"}
            ],
        )
    instance_id = _find(submission, "instanceID")
    if not isinstance(instance_id, str) or not instance_id.strip():
        return _bad_instance("falta meta/instanceID / meta/instanceID is missing")
    instance_id = instance_id.strip()
    if len(instance_id) > MAX_INSTANCE_ID or not storable(instance_id):
        return _bad_instance(
            f"meta/instanceID no es un identificador (a lo sumo {MAX_INSTANCE_ID} caracteres de "
            f"texto) / meta/instanceID is not an id (at most {MAX_INSTANCE_ID} characters of text)"
        )
    deprecated = _find(submission, "deprecatedID")
    if not isinstance(deprecated, str) or not storable(deprecated):
        deprecated = None
    report_id = report_id_for(instance_id)
    try:
        payload = report_payload(submission, mapping, report_id=report_id)
    except UnreadableLocation as exc:
        spanish, _, english = exc.reason.partition(" / ")
        return KoboOutcome(
            KoboStatus.invalid,
            errors=[
                {
                    "field": exc.question,
                    "message": f"no se pudo leer la posición: {spanish} / could not read the "
                    f"position: {english or spanish}",
                }
            ],
        )
    report, errors = validate_report(session, payload, now=now, future_tolerance=future_tolerance)
    if report is None:
        return KoboOutcome(KoboStatus.invalid, errors=errors)
    current = session.execute(
        select(Report).where(Report.source == "kobo", Report.source_ref == instance_id)
    ).scalar_one_or_none()
    if current is not None:
        same = current.content_hash == report.content_hash
        return KoboOutcome(KoboStatus.duplicate if same else KoboStatus.conflict, current)
    earlier = None
    if deprecated is not None and deprecated.strip():
        earlier = session.execute(
            select(Report).where(Report.source == "kobo", Report.source_ref == deprecated.strip())
        ).scalar_one_or_none()
    if earlier is not None:
        earlier.community_code = report.community_code
        earlier.threat_type = report.threat_type
        earlier.severity = report.severity
        earlier.observed_at = report.observed_at
        earlier.latitude = report.latitude
        earlier.longitude = report.longitude
        earlier.description = report.description
        earlier.content_hash = report.content_hash
        earlier.source_ref = instance_id
        session.flush()
        return KoboOutcome(KoboStatus.replaced, earlier)
    if session.get(Report, report_id) is not None:
        # This instance's row was edited since (its source_ref moved on): an old version resent.
        return KoboOutcome(KoboStatus.superseded, session.get(Report, report_id))
    status, stored = store_report(
        session,
        report=report,
        reporter_pseudonym=reporter_pseudonym,
        source="kobo",
        source_ref=instance_id,
        now=now,
    )
    if status is StoreStatus.created:
        return KoboOutcome(KoboStatus.created, stored)
    same = status is StoreStatus.duplicate
    return KoboOutcome(KoboStatus.duplicate if same else KoboStatus.conflict, stored)
