"""Kobo/ODK patrol forms: a submission with a ``geotrace`` answer is a patrol (DESIGN section 11).

The questions are found as for reports (``ews.intake.kobo``: wherever they sit in groups) and can
be renamed in ``EWS_KOBO_MAPPING`` under the keys of :data:`PATROL_MAPPING`. The patrol's id is the
submission's ``meta/instanceID`` (its UUID, else a stable UUID5), so a resend answers the same; an
edit (``meta/deprecatedID``) replaces the earlier version's patrol in place. What the patrol found
is sent as reports of their own (a report form), so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.fields import storable
from ews.intake.idempotent import StoreStatus
from ews.intake.kobo import MAX_INSTANCE_ID, KoboStatus, _find, report_id_for
from ews.intake.patrols import store_patrol, validate_patrol
from ews.intake.quarantine import as_json, keep_message, pseudonymized_submission
from ews.intake.tracks import TrackError, read_geotrace
from ews.models import Patrol

PATROL_MAPPING: dict[str, list[str]] = {
    "track": ["patrol_track", "track", "geotrace"],
    "started_at": ["started_at", "start"],
    "ended_at": ["ended_at", "end"],
    "monitors": ["monitors"],
}


@dataclass
class KoboPatrolOutcome:
    status: KoboStatus
    patrol: Patrol | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def patrol_mapping(overrides: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The default patrol questions with the configured ones replaced."""
    return {key: list(overrides.get(key, default)) for key, default in PATROL_MAPPING.items()}


def track_answer(submission: Any, mapping: Mapping[str, list[str]]) -> tuple[str, Any] | None:
    """``(question, answer)`` of the first track question answered, or ``None`` (not a patrol)."""
    if not isinstance(submission, Mapping):
        return None
    for question in mapping["track"]:
        value = _find(submission, question)
        if value not in (None, ""):
            return question, value
    return None


def _payload(
    submission: Mapping[str, Any],
    mapping: Mapping[str, list[str]],
    community_questions: list[str],
    patrol_id: str,
) -> dict[str, Any]:
    payload: dict[str, Any] = {"id": patrol_id}
    for name, questions in (
        ("community", community_questions),
        ("started_at", mapping["started_at"]),
        ("ended_at", mapping["ended_at"]),
        ("monitors", mapping["monitors"]),
    ):
        for question in questions:
            value = _find(submission, question)
            if value not in (None, ""):
                payload[name] = value
                break
    if isinstance(payload.get("monitors"), str) and payload["monitors"].strip().isdigit():
        payload["monitors"] = int(payload["monitors"])  # Kobo sends integers as text
    return payload


def receive_kobo_patrol(
    session: Session,
    *,
    submission: Mapping[str, Any],
    mapping: Mapping[str, list[str]],
    community_questions: list[str],
    submitter_pseudonym: str,
    secret_key: str,
    now: datetime,
    future_tolerance: timedelta,
) -> KoboPatrolOutcome:
    """Store one patrol submission; flushes, never commits. A refused one is kept in quarantine
    (identity questions pseudonymized), as refused report submissions are."""
    outcome = _receive(
        session,
        submission=submission,
        mapping=mapping,
        community_questions=community_questions,
        submitter_pseudonym=submitter_pseudonym,
        now=now,
        future_tolerance=future_tolerance,
    )
    if outcome.status in (KoboStatus.invalid, KoboStatus.conflict):
        errors = outcome.errors or [
            {
                "field": "meta/instanceID",
                "message": "ya recibido con otro contenido / already received with other content",
            }
        ]
        keep_message(
            session,
            source="kobo",
            raw=as_json(pseudonymized_submission(secret_key, {"submission": submission})),
            error="; ".join(f"{e['field']}: {e['message']}" for e in errors),
            identity=f"patrol-{outcome.status.value}",
            details={"status": outcome.status.value, "kind": "patrol", "errors": errors},
            received_at=now,
        )
    return outcome


def _receive(
    session: Session,
    *,
    submission: Mapping[str, Any],
    mapping: Mapping[str, list[str]],
    community_questions: list[str],
    submitter_pseudonym: str,
    now: datetime,
    future_tolerance: timedelta,
) -> KoboPatrolOutcome:
    instance_id = _find(submission, "instanceID")
    if not isinstance(instance_id, str) or not instance_id.strip():
        return KoboPatrolOutcome(
            KoboStatus.invalid,
            errors=[{"field": "meta/instanceID", "message": "falta meta/instanceID / missing"}],
        )
    instance_id = instance_id.strip()
    if len(instance_id) > MAX_INSTANCE_ID or not storable(instance_id):
        return KoboPatrolOutcome(
            KoboStatus.invalid,
            errors=[{"field": "meta/instanceID", "message": "no es un identificador / not an id"}],
        )
    answer = track_answer(submission, mapping)
    assert answer is not None  # the caller sends patrol submissions only
    question, value = answer
    try:
        track = read_geotrace(value)
    except TrackError as exc:
        return KoboPatrolOutcome(
            KoboStatus.invalid, errors=[{"field": question, "message": exc.message}]
        )
    patrol_id = report_id_for(instance_id)
    payload = _payload(submission, mapping, community_questions, patrol_id)
    patrol, errors = validate_patrol(
        session, payload, now=now, future_tolerance=future_tolerance, track=track
    )
    if patrol is None:
        errors = [{**e, "field": question} if e["field"] == "track" else e for e in errors]
        return KoboPatrolOutcome(KoboStatus.invalid, errors=errors)
    current = session.execute(
        select(Patrol).where(Patrol.source == "kobo", Patrol.source_ref == instance_id)
    ).scalar_one_or_none()
    if current is not None:
        same = current.content_hash == patrol.content_hash
        return KoboPatrolOutcome(KoboStatus.duplicate if same else KoboStatus.conflict, current)
    deprecated = _find(submission, "deprecatedID")
    if isinstance(deprecated, str) and storable(deprecated) and deprecated.strip():
        earlier = session.execute(
            select(Patrol).where(Patrol.source == "kobo", Patrol.source_ref == deprecated.strip())
        ).scalar_one_or_none()
        if earlier is not None:
            earlier.community_code = patrol.community_code
            earlier.started_at, earlier.ended_at = patrol.started_at, patrol.ended_at
            earlier.monitors, earlier.track = patrol.monitors, patrol.track
            earlier.points, earlier.length_km = patrol.points, patrol.length_km
            earlier.content_hash, earlier.source_ref = patrol.content_hash, instance_id
            session.flush()
            return KoboPatrolOutcome(KoboStatus.replaced, earlier)
    status, stored = store_patrol(
        session,
        patrol=patrol,
        submitter_pseudonym=submitter_pseudonym,
        source="kobo",
        source_ref=instance_id,
        now=now,
    )
    if status is StoreStatus.created:
        return KoboPatrolOutcome(KoboStatus.created, stored)
    if status is StoreStatus.duplicate:
        return KoboPatrolOutcome(KoboStatus.duplicate, stored)
    if stored is not None and stored.source_ref != instance_id:
        return KoboPatrolOutcome(KoboStatus.superseded, stored)  # an edited instance resent
    return KoboPatrolOutcome(KoboStatus.conflict, stored)
