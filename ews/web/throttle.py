"""The dashboard's sign-in throttle: failed sign-ins are audited, and a client with too many recent
failures waits before it may try again.

The failures are the audit log's own entries (``dashboard.sign_in_failed`` for a client), so every
API process sees the same count and a restart forgets nothing. The client is a pseudonym of its
address (keyed HMAC), never the address itself. While a client waits, its attempts are neither
checked nor written: an attacker cannot grow the audit log without bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ews import audit
from ews.auth.pseudonyms import pseudonymize
from ews.models import AuditAction, AuditLog

FAILED = AuditAction.sign_in_failed
SIGNED_IN = AuditAction.signed_in
OBJECT_TYPE = "web_client"


def client_pseudonym(secret_key: str, address: str | None) -> str:
    return pseudonymize(secret_key, address or "unknown", purpose="web-client")


def wait_seconds(
    failures: Sequence[datetime], *, now: datetime, max_failures: int, window: timedelta
) -> int:
    """Seconds a client must wait before its next try (0: it may try now), from the times of its
    failures: after ``max_failures`` within ``window``, until the oldest of them leaves it."""
    recent = sorted(at for at in failures if at > now - window)
    if len(recent) < max_failures:
        return 0
    frees_at = recent[-max_failures] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))


def recent_failures(
    session: Session, *, client: str, now: datetime, window: timedelta
) -> list[datetime]:
    return list(
        session.scalars(
            select(AuditLog.at).where(
                AuditLog.action == FAILED,
                AuditLog.object_id == client,
                AuditLog.at > now - window,
            )
        )
    )


def record_failure(session: Session, *, client: str, reason: str, key_prefix: str | None) -> None:
    """Audit one failed sign-in: why, and the key's public prefix when one was given (never the
    secret part)."""
    audit.record(
        session,
        actor="anonymous",
        action=FAILED,
        object_type=OBJECT_TYPE,
        object_id=client,
        details={"reason": reason, "key_prefix": key_prefix},
    )


def record_success(session: Session, *, client: str, actor: str, key_id: int) -> None:
    audit.record(
        session,
        actor=actor,
        action=SIGNED_IN,
        object_type=OBJECT_TYPE,
        object_id=client,
        details={"key_id": key_id},
    )


def key_prefix(token: str) -> str | None:
    """The public part of a presented key (``ews_<prefix>_<secret>``), if it has that shape."""
    parts = token.strip().split("_", 2)
    if len(parts) == 3 and parts[0] == "ews" and len(parts[1]) <= 32:
        return parts[1]
    return None
