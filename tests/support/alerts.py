"""Helpers for alert tests: indicator values and reports inserted directly."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ews import counters
from ews.models import Alert, AlertEvent, Contact, IndicatorValue, OutboxMessage, Report

COMMUNITY = "flor-de-ucayali"

CODE_OF = {
    "defender_safety": "defender_threats",
    "deforestation": "deforestation_ha",
    "fire": "fire_hotspots",
    "illicit_crops": "illicit_crop_reports",
    "territorial_invasion": "invasion_reports",
    "monitoring_gap": "patrol_silence_days",
    "composite": "threat_index",
}


def add_value(
    session: Session,
    code: str,
    level: str,
    window_end: datetime,
    *,
    value: float = 1.0,
    community: str = COMMUNITY,
    core_value: float = 0.0,
    evidence: dict[str, list[Any]] | None = None,
) -> IndicatorValue:
    """A stored value with a new revision, as a computation that changed it would store it."""
    row = IndicatorValue(
        revision=counters.advance(session, counters.INDICATOR_REVISION),
        code=code,
        community_code=community,
        window_start=window_end - timedelta(days=30),
        window_end=window_end,
        value=value,
        level=level,
        baseline=0.5,
        inputs=int(value),
        computed_at=window_end,
        algorithm_version="test",
        details={
            "core_value": core_value,
            "buffer_value": value - core_value,
            "evidence": evidence
            or {"report_ids": [], "fire_hotspot_ids": [], "deforestation_alert_ids": []},
        },
    )
    session.add(row)
    session.flush()
    return row


def add_report(
    session: Session,
    threat_type: str,
    severity: int,
    observed_at: datetime,
    *,
    community: str = COMMUNITY,
) -> Report:
    report = Report(
        id=str(uuid.uuid4()),
        community_code=community,
        threat_type=threat_type,
        severity=severity,
        observed_at=observed_at,
        received_at=observed_at,
        description="Amenazas contra el apu de la comunidad",
        reporter_pseudonym="f" * 64,
        source="api",
        content_hash=uuid.uuid4().hex,
    )
    session.add(report)
    session.flush()
    return report


def alerts_by_category(session: Session) -> dict[str, Alert]:
    session.expire_all()
    return {a.category: a for a in session.execute(select(Alert)).scalars()}


def event_kinds(session: Session, alert_id: int) -> list[str]:
    return list(
        session.execute(
            select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
        ).scalars()
    )


def outbox_addresses(session: Session, alert_id: int) -> dict[str, set[str]]:
    """Per event kind, the addresses its outbox rows go to."""
    rows = session.execute(
        select(AlertEvent.kind, Contact.address)
        .join(OutboxMessage, OutboxMessage.event_id == AlertEvent.id)
        .join(Contact, Contact.id == OutboxMessage.contact_id)
        .where(OutboxMessage.alert_id == alert_id)
    ).all()
    result: dict[str, set[str]] = {}
    for kind, address in rows:
        result.setdefault(kind, set()).add(address)
    return result
