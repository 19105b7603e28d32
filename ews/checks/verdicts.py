"""Verdicts on field checks: what the monitors found at a satellite point.

One verdict per check, keyed by the phone's UUID, so a phone that lost the answer resends safely:
created, an identical resend (the stored verdict), or a conflict (the same id with other content, or
the check already answered under another id). Writing a verdict leaves the point's local day in
``pending_work`` (a database trigger, migration 0017), so the next computation recounts that day.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ews.fields import Text, field_errors
from ews.models import FieldCheck, FieldVerdict, Verdict

NOTE_MAX = 2000


class VerdictIn(BaseModel):
    """A verdict as the phone sends it; a field it does not know is refused, never dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: uuid.UUID = Field(description="UUID generado en el teléfono / client-generated UUID")
    verdict: Verdict = Field(
        description="confirmed (confirmado), false_alarm (falsa alarma), unreachable (no se "
        "pudo llegar)"
    )
    note: Text | None = Field(default=None, max_length=NOTE_MAX)


class VerdictOutcome(StrEnum):
    created = "created"
    duplicate = "duplicate"
    conflict = "conflict"  # the same id with other content
    answered = "answered"  # the check already has another verdict


@dataclass(frozen=True)
class VerdictResult:
    outcome: VerdictOutcome
    verdict: FieldVerdict | None


def read_verdict(payload: Any) -> tuple[VerdictIn | None, list[dict[str, str]]]:
    """The body as a :class:`VerdictIn`, or the errors of its fields in a monitor's words."""
    try:
        return VerdictIn.model_validate(payload), []
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        for error in errors:
            if error["field"] == "verdict" and "falta" not in error["message"]:
                error["message"] = (
                    "debe ser confirmed (confirmado), false_alarm (falsa alarma) o unreachable "
                    "(no se pudo llegar) / must be confirmed, false_alarm or unreachable"
                )
        return None, errors


def _content_hash(check_id: str, verdict: VerdictIn) -> str:
    content = {"check": check_id, "verdict": verdict.verdict.value, "note": verdict.note or None}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FieldVerdict)


def store_verdict(
    session: Session,
    *,
    check: FieldCheck,
    verdict: VerdictIn,
    reporter_pseudonym: str,
    now: datetime,
) -> VerdictResult:
    """Store ``verdict`` on ``check`` unless its id or the check is already taken. Flushes."""
    content_hash = _content_hash(check.id, verdict)
    verdict_id = str(verdict.id)
    existed = session.execute(
        select(FieldVerdict.id).where(FieldVerdict.id == verdict_id)
    ).scalar_one_or_none()
    session.execute(
        _insert(session)
        .values(
            id=verdict_id,
            check_id=check.id,
            verdict=verdict.verdict.value,
            note=verdict.note or None,
            reporter_pseudonym=reporter_pseudonym,
            content_hash=content_hash,
            received_at=now,
        )
        .on_conflict_do_nothing()
    )
    stored = session.execute(
        select(FieldVerdict)
        .where(FieldVerdict.id == verdict_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if stored is None:
        return VerdictResult(VerdictOutcome.answered, None)
    if stored.content_hash != content_hash:
        return VerdictResult(VerdictOutcome.conflict, stored)
    if existed is None:
        return VerdictResult(VerdictOutcome.created, stored)
    return VerdictResult(VerdictOutcome.duplicate, stored)
