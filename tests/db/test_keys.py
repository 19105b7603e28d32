from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.auth.keys import KeyError_, Role, authenticate, create_key, revoke_key
from ews.models import ApiKey


def test_only_a_hash_of_the_secret_is_stored(db: Session) -> None:
    row, token = create_key(db, role=Role.analyst, name="Ana")
    stored = db.execute(select(ApiKey).where(ApiKey.id == row.id)).scalar_one()
    secret = token.split("_", 2)[2]
    assert secret not in stored.secret_hash
    assert token not in repr(stored.__dict__)
    assert len(stored.secret_hash) == 64


def test_authenticate_returns_the_binding(db: Session) -> None:
    _row, token = create_key(
        db, role=Role.monitor, name="Monitor", community_code="flor-de-ucayali"
    )
    principal = authenticate(db, token)
    assert principal is not None
    assert principal.role is Role.monitor
    assert principal.community_code == "flor-de-ucayali"


def test_a_tampered_secret_does_not_authenticate(db: Session) -> None:
    _row, token = create_key(db, role=Role.admin, name="Admin")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert authenticate(db, tampered) is None


def test_revocation_takes_effect(db: Session) -> None:
    row, token = create_key(db, role=Role.feed, name="Feed")
    revoke_key(db, key_id=row.id)
    assert authenticate(db, token) is None


@pytest.mark.parametrize(
    ("role", "binding", "message"),
    [
        (Role.monitor, {}, "--community"),
        (Role.institution, {}, "--institution"),
        (Role.analyst, {"community_code": "flor-de-ucayali"}, "--community"),
        (Role.monitor, {"community_code": "atlantis"}, "atlantis"),
        (Role.institution, {"institution_code": "NASA"}, "NASA"),
    ],
)
def test_bindings_follow_the_roles(db: Session, role: Role, binding: dict, message: str) -> None:
    with pytest.raises(KeyError_, match=message):
        create_key(db, role=role, name="x", **binding)
