"""The append-only audit log: acknowledgements, resolutions, silences, key changes and exports."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ews.models import AuditLog
from ews.models.base import utcnow


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry (the caller's transaction commits it with the change it records)."""
    entry = AuditLog(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
    )
    session.add(entry)
    return entry
