"""Synthetic rows for the web pages' tests, screenshots and page-weight measurement.

Inserted straight into the tables (the pages only read them), seeded so every run draws the same.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ews.models import (
    Alert,
    AlertEvent,
    Community,
    Contact,
    DeforestationAlert,
    FireHotspot,
    IndicatorRule,
    IndicatorValue,
    OutboxMessage,
    Report,
    Silence,
)

COMMUNITY = "flor-de-ucayali"
THREATS = (
    "all_quiet",
    "all_quiet",
    "all_quiet",
    "illegal_logging",
    "deforestation",
    "settler_invasion",
    "coca_cultivation",
    "fire",
    "threat_to_defender",
    "illegal_mining",
    "drug_trafficking",
    "armed_presence",
    "other",
)


@dataclass
class Sample:
    alert_ids: list[int] = field(default_factory=list)
    report_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Volume:
    """How much a year holds; ``busy`` is a busy community's year."""

    reports: int = 120
    hotspots: int = 300
    deforestation: int = 400
    indicator_step_hours: int = 24


BUSY = Volume(reports=2_000, hotspots=6_000, deforestation=40_000, indicator_step_hours=3)


def indicator_evidence(code: str, value: float, level: str, **ids: list[Any]) -> dict[str, Any]:
    """Evidence as the alert engine writes it: an indicator snapshot and the ids behind it."""
    end = datetime.now(UTC).replace(hour=5, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return {
        "territory_hit": True,
        "indicators": [
            {
                "code": code,
                "value": value,
                "level": level,
                "baseline": 0.0,
                "inputs": int(value),
                "window_start": (end - timedelta(days=30)).isoformat(),
                "window_end": end.isoformat(),
                "core_value": value,
                "buffer_value": 0.0,
            }
        ],
        "report_ids": ids.get("report_ids", []),
        "fire_hotspot_ids": ids.get("fire_hotspot_ids", []),
        "deforestation_alert_ids": ids.get("deforestation_alert_ids", []),
    }


def add_alert(
    session: Session,
    *,
    community: str = COMMUNITY,
    category: str = "defender_safety",
    level: str = "critical",
    routed_to: list[str] | None = None,
    opened_at: datetime,
    status: str = "open",
    evidence: dict[str, Any] | None = None,
) -> Alert:
    alert = Alert(
        fingerprint=f"{community}:{category}",
        community_code=community,
        category=category,
        level=level,
        status=status,
        routed_to=routed_to if routed_to is not None else ["MINJUS", "DP"],
        opened_at=opened_at,
        updated_at=opened_at,
        evidence=evidence
        if evidence is not None
        else indicator_evidence("defender_threats", 2, level),
        context={"prototype_block": "national-escalation"},
    )
    session.add(alert)
    session.flush()
    session.add(
        AlertEvent(
            alert_id=alert.id,
            kind="raised",
            level=level,
            at=opened_at,
            actor="system",
            note=None,
            muted_by=None,
            details={},
        )
    )
    session.flush()
    return alert


def populate(
    session: Session, *, now: datetime, volume: Volume = Volume(), seed: int = 7
) -> Sample:
    """A year of reports, hotspots, deforestation alerts, indicator series, alerts and deliveries."""
    rng = random.Random(seed)
    community = session.get(Community, COMMUNITY)
    assert community is not None
    sample = Sample()
    west, south, east, north = (
        community.min_lon - 0.05,
        community.min_lat - 0.05,
        community.max_lon + 0.05,
        community.max_lat + 0.05,
    )

    def position() -> tuple[float, float]:
        return rng.uniform(west, east), rng.uniform(south, north)

    def when(days: int = 365) -> datetime:
        return now - timedelta(seconds=rng.uniform(0, days * 86400))

    reports = []
    for n in range(volume.reports):
        lon, lat = position()
        report_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        sample.report_ids.append(report_id)
        reports.append(
            {
                "id": report_id,
                "community_code": COMMUNITY,
                "threat_type": THREATS[n % len(THREATS)],
                "severity": rng.randint(1, 5),
                "observed_at": when(),
                "received_at": now,
                "latitude": round(lat, 5),
                "longitude": round(lon, 5),
                "description": "Patrulla por la quebrada",
                "reporter_pseudonym": "x" * 64,
                "source": "demo",
                "content_hash": "0" * 64,
                "synthetic": True,
            }
        )
    if reports:
        session.execute(insert(Report), reports)
    hotspots = []
    for _ in range(volume.hotspots):
        lon, lat = position()
        hotspots.append(
            {
                "instrument": "VIIRS",
                "satellite": rng.choice(["N", "N20", "N21"]),
                "acquired_at": when(),
                "latitude": lat,
                "longitude": lon,
                "lat_e4": round(lat * 1e4),
                "lon_e4": round(lon * 1e4) + len(hotspots),  # distinct natural keys
                "confidence": rng.choice(["low", "nominal", "nominal", "high"]),
                "synthetic": True,
            }
        )
    if hotspots:
        session.execute(insert(FireHotspot), hotspots)
    clearings = []
    for n in range(volume.deforestation):
        # Clearings come in patches along the river, as they do.
        if n % 50 == 0:
            centre = position()
        lon = centre[0] + rng.gauss(0, 0.004)
        lat = centre[1] + rng.gauss(0, 0.004)
        clearings.append(
            {
                "dataset": "umd_glad_sentinel2_alerts",
                "alert_date": when().date(),
                "latitude": lat,
                "longitude": lon,
                "lat_e4": round(lat * 1e4),
                "lon_e4": round(lon * 1e4) * 100 + n % 100,
                "confidence": rng.choice(["nominal", "high", "highest"]),
                "area_ha": 0.01,
                "synthetic": True,
            }
        )
    if clearings:
        session.execute(insert(DeforestationAlert), clearings)
    rules = {r.code: r for r in session.execute(select(IndicatorRule)).scalars()}
    values = []
    steps = 365 * 24 // volume.indicator_step_hours
    for code, rule in rules.items():
        level_top = rule.critical or rule.high or rule.warning or 10.0
        for step in range(steps):
            end = now - timedelta(hours=step * volume.indicator_step_hours)
            season = 0.5 + 0.5 * abs(((end.timetuple().tm_yday / 365.0) * 2) % 2 - 1)
            value = max(0.0, round(rng.gauss(level_top * 0.4 * season, level_top * 0.15), 2))
            level = "none"
            for name in ("warning", "high", "critical"):
                threshold = getattr(rule, name)
                if threshold is not None and value >= threshold:
                    level = name
            details: dict[str, Any] = {}
            if code == "threat_index":
                weights = rule.params.get("weights", {})
                details = {
                    "contributions": {
                        part: {
                            "value": 1.0,
                            "level": "none",
                            "normalized": 0.5,
                            "weight": w,
                            "points": round(value * w, 3),
                        }
                        for part, w in weights.items()
                    }
                }
            values.append(
                {
                    "code": code,
                    "community_code": COMMUNITY,
                    "window_start": end - timedelta(days=rule.window_days or 0),
                    "window_end": end,
                    "value": value,
                    "level": level,
                    "baseline": round(level_top * 0.3, 2),
                    "inputs": 3,
                    "computed_at": end,
                    "algorithm_version": "1",
                    "details": details,
                }
            )
    session.execute(insert(IndicatorValue), values)

    def reports_of(*kinds: str) -> list[str]:
        return [r["id"] for r in reports if r["threat_type"] in kinds][:6]

    defender = add_alert(
        session,
        opened_at=now - timedelta(hours=5),
        evidence=indicator_evidence(
            "defender_threats", 2, "critical", report_ids=reports_of("threat_to_defender")
        ),
    )
    recent_fire = select(FireHotspot.id).order_by(FireHotspot.acquired_at.desc()).limit(8)
    fire = add_alert(
        session,
        category="fire",
        level="warning",
        routed_to=["MINAM"],
        opened_at=now - timedelta(days=2),
        evidence=indicator_evidence(
            "fire_hotspots",
            4,
            "warning",
            report_ids=reports_of("fire"),
            fire_hotspot_ids=list(session.execute(recent_fire).scalars()),
        ),
    )
    invasion = add_alert(
        session,
        category="territorial_invasion",
        level="high",
        routed_to=["DP", "MINJUS", "MINAM"],
        opened_at=now - timedelta(days=1),
        evidence=indicator_evidence(
            "invasion_reports",
            3,
            "high",
            report_ids=reports_of("settler_invasion", "illegal_mining"),
        ),
    )
    sample.alert_ids = [defender.id, fire.id, invasion.id]
    contacts = {
        c.institution_code: c
        for c in session.execute(select(Contact).where(Contact.active)).scalars()
    }
    raised = session.execute(
        select(AlertEvent).where(AlertEvent.alert_id.in_(sample.alert_ids))
    ).scalars()
    for n, event in enumerate(raised):
        for code in ("MINJUS", "DP", "MINAM"):
            contact = contacts.get(code)
            if contact is None:
                continue
            status = ["sent", "dead", "pending"][(n + len(code)) % 3]
            session.add(
                OutboxMessage(
                    alert_id=event.alert_id,
                    event_id=event.id,
                    contact_id=contact.id,
                    institution_code=code,
                    channel=contact.channel,
                    status=status,
                    attempts={"sent": 1, "dead": 8, "pending": 2}[status],
                    next_attempt_at=now + timedelta(minutes=5),
                    last_error=None if status == "sent" else "SMTP 451 4.3.0 temporary failure",
                    created_at=event.at,
                    sent_at=event.at + timedelta(seconds=20) if status == "sent" else None,
                    payload={},
                )
            )
    session.add(
        Silence(
            community_code=COMMUNITY,
            category="fire",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=2),
            author="Ana Analista",
            reason="Quema agrícola comunal conocida / known communal farm burn",
            created_at=now - timedelta(days=1),
            active=True,
        )
    )
    session.flush()
    return sample


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
