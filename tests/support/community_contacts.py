"""Community contacts for the tests: a leader created through the admin API, a second community
(a copy of Flor de Ucayali under another code and name)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ews.models import Community
from tests.support.web import auth

LEADER_PHONE = "+51 961 222 333"
LEADER_DIGITS = "961222333"
OTHER_PHONE = "+51 962 444 555"
OTHER_DIGITS = "962444555"
OTHER_COMMUNITY = "otra-comunidad"
OTHER_NAME = "Comunidad Nativa Nueva Esperanza del Otro Río"


def add_leader(
    client: TestClient,
    admin: str,
    *,
    code: str = "flor-lider",
    community: str = "flor-de-ucayali",
    phone: str = LEADER_PHONE,
    name: str = "Apu Teodoro Ríos",
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/community-contacts",
        headers=auth(admin),
        json={"code": code, "community": community, "role": "leader", "name": name, "phone": phone},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def add_other_community(db: Session) -> Community:
    flor = db.get(Community, "flor-de-ucayali")
    assert flor is not None
    columns = {c.key: getattr(flor, c.key) for c in Community.__table__.columns}
    other = Community(**{**columns, "code": OTHER_COMMUNITY, "name": OTHER_NAME})
    db.add(other)
    db.flush()
    return other
