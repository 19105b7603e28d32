"""An alert as a CAP 1.2 message and the caller's alerts as an Atom feed (the core renders)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.atom import FeedEntry, render_atom
from alerts.cap import LEVEL_WORDS, CapInfo, CapMessage, render_cap
from alerts.levels import Level
from ews.alerting.service import alert_events
from ews.models import Alert, AlertEvent, Community
from ews.settings import Settings

SENDER_NAME = {
    "es-PE": "EWS - Sistema de alerta temprana para comunidades nativas",
    "en": "EWS - Early warning system for native communities",
}
EVENT_WORDS = {
    "es-PE": {
        "raised": "alerta emitida",
        "escalated": "nivel elevado",
        "deescalated": "nivel reducido",
        "acknowledged": "alerta atendida",
        "reminded": "recordatorio: sin atender",
        "escalated_national": "escalada al nivel nacional",
        "resolved": "alerta resuelta",
    },
    "en": {
        "raised": "alert raised",
        "escalated": "level raised",
        "deescalated": "level lowered",
        "acknowledged": "alert acknowledged",
        "reminded": "reminder: not acknowledged",
        "escalated_national": "escalated to national level",
        "resolved": "alert resolved",
    },
}
EVIDENCE_WORDS = {
    "es-PE": ("reportes de patrullaje", "focos de calor", "alertas de deforestación"),
    "en": ("patrol reports", "fire hotspots", "deforestation alerts"),
}


def cap_sender(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "ews.example.org"


def cap_identifier(alert: Alert, event: AlertEvent) -> str:
    return f"ews.alert.{alert.id}.{event.id}"


def msg_type(alert: Alert, events: Sequence[AlertEvent]) -> str:
    """``Alert`` while only raised, ``Update`` after any later event, ``Cancel`` once resolved."""
    if alert.status == "resolved":
        return "Cancel"
    return "Alert" if len(events) <= 1 else "Update"


def _description(alert: Alert, event: AlertEvent, language: str) -> str:
    context: dict[str, Any] = alert.context or {}
    lines = [f"{EVENT_WORDS[language].get(event.kind, event.kind)}."]
    for item in alert.evidence.get("indicators", []):
        baseline = item.get("baseline")
        usual = "" if baseline is None else f" (línea base / baseline {baseline:g})"
        lines.append(f"{item['code']}: {item['value']:g} [{item['level']}]{usual}")
    kinds = ("report_ids", "fire_hotspot_ids", "deforestation_alert_ids")
    counts = [
        f"{len(alert.evidence.get(kind, []))} {word}"
        for kind, word in zip(kinds, EVIDENCE_WORDS[language], strict=True)
        if alert.evidence.get(kind)
    ]
    if counts:
        lines.append(", ".join(counts))
    names = [inst.get("acronym", inst.get("code", "")) for inst in context.get("institutions", [])]
    if names:
        label = "Instituciones" if language == "es-PE" else "Institutions"
        lines.append(f"{label}: {', '.join(names)}")
    return "\n".join(lines)


def _info(alert: Alert, event: AlertEvent, community: Community, language: str) -> CapInfo:
    suffix = "es" if language == "es-PE" else "en"
    category: dict[str, Any] = (alert.context or {}).get("category", {})
    name = str(category.get(f"name_{suffix}") or alert.category)
    level_word = LEVEL_WORDS[language].get(Level(alert.level), alert.level)
    headline = (
        f"{name} - nivel {level_word}: {community.name}"
        if language == "es-PE"
        else f"{name} - {level_word} level: {community.name}"
    )
    return CapInfo(
        language=language,
        event=name,
        headline=headline,
        description=_description(alert, event, language),
        instruction=str(category.get(f"action_{suffix}") or ""),
        sender_name=SENDER_NAME[language],
    )


def render_alert_cap(session: Session, *, alert: Alert, settings: Settings) -> bytes:
    """The CAP 1.2 message for the alert's current state."""
    events = alert_events(session, alert_id=alert.id)
    community = session.get(Community, alert.community_code)
    assert community is not None
    if not events:  # an alert written without its events (never by the lifecycle): as raised
        events = [
            AlertEvent(id=0, kind="raised", level=alert.level, at=alert.opened_at, actor="system")
        ]
    latest = events[-1]
    first = events[0]
    kind = msg_type(alert, events)
    sender = cap_sender(settings)
    message = CapMessage(
        identifier=cap_identifier(alert, latest),
        sender=sender,
        sent=latest.at,
        msg_type=kind,
        restriction=list(alert.routed_to),
        category=alert.category,
        level=Level(alert.level),
        infos=[_info(alert, latest, community, lang) for lang in ("es-PE", "en")],
        area_desc=(
            f"{community.name} ({community.district}, {community.province}, {community.region})"
        ),
        boundary=community.boundary,
        ubigeo=community.ubigeo,
        references=[] if kind == "Alert" else [(sender, cap_identifier(alert, first), first.at)],
        web=f"{settings.base_url.rstrip('/')}/api/v1/alerts/{alert.id}",
    )
    return render_cap(message)


def render_alerts_feed(
    session: Session,
    *,
    alerts: Sequence[Alert],
    settings: Settings,
    subscriber: str,
    now: datetime,
) -> bytes:
    """An Atom feed of ``alerts`` (already filtered to the caller), each linking its CAP message."""
    base = settings.base_url.rstrip("/")
    communities = {c.code: c for c in session.execute(select(Community)).scalars()}
    entries = []
    for alert in alerts:
        community = communities.get(alert.community_code)
        category: dict[str, Any] = (alert.context or {}).get("category", {})
        name_es = category.get("name_es") or alert.category
        name_en = category.get("name_en") or alert.category
        where = community.name if community else alert.community_code
        entries.append(
            FeedEntry(
                id=f"urn:ews:{cap_sender(settings)}:alert:{alert.id}",
                title=f"[{alert.level}] {name_es} / {name_en}: {where}",
                updated=alert.updated_at,
                summary=(
                    f"estado / status: {alert.status}; instituciones / institutions: "
                    f"{', '.join(alert.routed_to)}"
                ),
                cap_url=f"{base}/api/v1/alerts/{alert.id}/cap",
                html_url=f"{base}/api/v1/alerts/{alert.id}",
                categories=[alert.category, alert.level, alert.status],
            )
        )
    updated = max((a.updated_at for a in alerts), default=now)
    return render_atom(
        feed_id=f"urn:ews:{cap_sender(settings)}:feed:{subscriber}",
        title="EWS - alertas / alerts",
        self_url=f"{base}/api/v1/alerts/feed.atom",
        updated=updated,
        entries=entries,
        author="EWS",
    )
