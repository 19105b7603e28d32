"""Community contacts for the tests: a leader created through the admin API, a second community
(a copy of Flor de Ucayali under another code and name) and the actions an institution records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ews.models import Alert, AlertEvent, Community
from ews.models.responses import AlertAction, AlertResponse
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


def institution_acts(
    db: Session,
    alert: Alert,
    *,
    institution: str,
    action_type: str,
    status: str,
    at: datetime,
    actor: str = "minjus-oficina",
) -> AlertAction:
    """What an institution's acknowledgement and action leave (helper A's routes write the same:
    the response row, the action row, an ``action_recorded`` event)."""
    response = AlertResponse(
        alert_id=alert.id,
        institution_code=institution,
        notified_at=at,
        acknowledged_at=at,
        acknowledged_by=actor,
    )
    action = AlertAction(
        alert_id=alert.id,
        institution_code=institution,
        type=action_type,
        status=status,
        actor=actor,
        created_at=at,
        updated_at=at,
    )
    db.add_all([response, action])
    db.flush()
    db.add(
        AlertEvent(
            alert_id=alert.id,
            kind="action_recorded",
            level=alert.level,
            at=at,
            actor=actor,
            details={
                "institution": institution,
                "action_id": action.id,
                "type": action_type,
                "status": status,
            },
        )
    )
    db.flush()
    return action
