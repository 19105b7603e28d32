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

from ews.intake.reports import StoreStatus, store_report, threat_from_word, validate_report
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


def _location(value: Any) -> tuple[Any, Any]:
    if isinstance(value, list | tuple) and len(value) >= 2:
        return value[0], value[1]
    if isinstance(value, str) and value.strip():
        parts = value.split()
        if len(parts) >= 2:
            return parts[0], parts[1]
    return None, None


def report_payload(
    submission: Mapping[str, Any], mapping: Mapping[str, list[str]], *, report_id: str
) -> dict[str, Any]:
    """The report fields of a submission (pure); validation happens afterwards."""
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
        latitude, longitude = _location(_find(submission, question))
        if latitude is not None and longitude is not None:
            payload["latitude"], payload["longitude"] = latitude, longitude
            break
    return payload


def _missing_instance() -> KoboOutcome:
    return KoboOutcome(
        KoboStatus.invalid,
        errors=[
            {
                "field": "meta/instanceID",
                "message": "falta meta/instanceID / meta/instanceID is missing",
            }
        ],
    )


def receive_kobo(
    session: Session,
    *,
    submission: Any,
    mapping: Mapping[str, list[str]],
    reporter_pseudonym: str,
    now: datetime,
    future_tolerance: timedelta,
) -> KoboOutcome:
    """Store one submission; flushes, never commits."""
    if not isinstance(submission, Mapping):
        return KoboOutcome(
            KoboStatus.invalid,
            errors=[
                {"field": "body", "message": "se esperaba un objeto JSON / expected an object"}
            ],
        )
    instance_id = _find(submission, "instanceID")
    if not isinstance(instance_id, str) or not instance_id.strip():
        return _missing_instance()
    instance_id = instance_id.strip()
    deprecated = _find(submission, "deprecatedID")
    report_id = report_id_for(instance_id)
    report, errors = validate_report(
        session,
        report_payload(submission, mapping, report_id=report_id),
        now=now,
        future_tolerance=future_tolerance,
    )
    if report is None:
        return KoboOutcome(KoboStatus.invalid, errors=errors)
    current = session.execute(
        select(Report).where(Report.source == "kobo", Report.source_ref == instance_id)
    ).scalar_one_or_none()
    if current is not None:
        same = current.content_hash == report.content_hash
        return KoboOutcome(KoboStatus.duplicate if same else KoboStatus.conflict, current)
    earlier = None
    if isinstance(deprecated, str) and deprecated.strip():
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
