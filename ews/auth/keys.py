"""API keys: creation, verification and revocation. Only a SHA-256 of the secret is stored.

A key reads ``ews_<prefix>_<secret>``: the prefix finds the row, the secret is compared by hash in
constant time. Secrets carry 256 bits of randomness, so a fast hash is as safe as a slow one here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ews.models import ApiKey, Community, Institution
from ews.models.base import utcnow

KEY_PREFIX = "ews"


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    monitor = "monitor"
    institution = "institution"
    feed = "feed"


class KeyError_(ValueError):
    """A key cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, name, role and binding."""

    key_id: int
    name: str
    role: Role
    community_code: str | None = None
    institution_code: str | None = None

    @property
    def identity(self) -> str:
        """A stable identity for pseudonymization (never shown)."""
        return f"key:{self.key_id}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    *,
    role: Role,
    name: str,
    community_code: str | None = None,
    institution_code: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return the row and the secret token (shown once, never stored)."""
    name = name.strip()
    if not name:
        raise KeyError_("el nombre no puede estar vacío / the name cannot be empty")
    if role is Role.monitor and not community_code:
        raise KeyError_(
            "una clave de monitor necesita --community / a monitor key needs --community"
        )
    if role is Role.institution and not institution_code:
        raise KeyError_(
            "una clave de institución necesita --institution / an institution key needs --institution"
        )
    if role is not Role.monitor and community_code:
        raise KeyError_(
            "solo una clave de monitor lleva --community / only a monitor key takes --community"
        )
    if role is not Role.institution and institution_code:
        raise KeyError_(
            "solo una clave de institución lleva --institution / only an institution key takes --institution"
        )
    if community_code and session.get(Community, community_code) is None:
        raise KeyError_(f"comunidad desconocida / unknown community: {community_code}")
    if institution_code and session.get(Institution, institution_code) is None:
        raise KeyError_(f"institución desconocida / unknown institution: {institution_code}")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = f"{KEY_PREFIX}_{prefix}_{secret}"
    row = ApiKey(
        prefix=prefix,
        secret_hash=_hash(token),
        name=name,
        role=role.value,
        community_code=community_code,
        institution_code=institution_code,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, token


# What a request's key check reads, built once (every API request runs it): columns, not the ORM
# object, and a parameter rather than a new statement each time.
_KEYS = ApiKey.__table__.c
_KEY_BY_PREFIX = select(
    _KEYS.id,
    _KEYS.secret_hash,
    _KEYS.name,
    _KEYS.role,
    _KEYS.community_code,
    _KEYS.institution_code,
    _KEYS.revoked_at,
).where(_KEYS.prefix == bindparam("prefix"))


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal for a presented token, or ``None`` if unknown, malformed or revoked."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    row = session.execute(_KEY_BY_PREFIX, {"prefix": parts[1]}).one_or_none()
    # Hash even when the row is missing so timing does not tell a known prefix from an unknown one.
    presented = _hash(token)
    expected = row.secret_hash if row is not None else _hash("")
    if not hmac.compare_digest(presented, expected) or row is None or row.revoked_at is not None:
        return None
    return Principal(
        key_id=row.id,
        name=row.name,
        role=Role(row.role),
        community_code=row.community_code,
        institution_code=row.institution_code,
    )


def revoke_key(session: Session, *, key_id: int, now: datetime | None = None) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None:
        raise KeyError_(f"no existe la clave / no such key: {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.execute(select(ApiKey).order_by(ApiKey.id)).scalars())
