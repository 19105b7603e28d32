"""CAP 1.2 messages of alert events, stored when the events are written; the Atom feed.

``store_event_messages`` runs in the transaction that writes the events (``apply_outcomes``): for
each event that queued at least one outbox message it renders one CAP message (the core renders,
``alerts.cap``), from the alert as it stands right then, and keeps it in ``cap_message``. The API
serves that message and a CAP webhook carries it byte for byte; nothing re-renders it later, so
what a receiver got, what the API shows and what the references point at are the same message.

Identifiers are ``urn:uuid:`` UUIDs, unique across deployments; ``sender`` is ``EWS_CAP_SENDER``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.atom import FeedEntry, render_atom
from alerts.cap import CapAlert, CapInfo, cap_polygons, render_cap
from alerts.cap import msg_type as choose_msg_type
from alerts.messages import LEVEL_WORDS, language_of
from ews.models import Alert, AlertEvent, CapMessage, Community, IndicatorRule, OutboxMessage
from ews.settings import Settings
from indicators.levels import Level

SENDER_NAME = {
    "es-PE": "EWS - Sistema de alerta temprana para comunidades nativas",
    "en": "EWS - Early warning system for native communities",
}
LANGUAGES = ("es-PE", "en")
EVENT_WORDS = {
    "es-PE": {
        "raised": "Alerta emitida",
        "escalated": "Nivel elevado",
        "deescalated": "Nivel reducido",
        "acknowledged": "Alerta atendida",
        "reminded": "Recordatorio: alerta sin atender",
        "escalated_national": "Escalada al nivel nacional",
        "resolved": "Alerta resuelta",
    },
    "en": {
        "raised": "Alert raised",
        "escalated": "Level raised",
        "deescalated": "Level lowered",
        "acknowledged": "Alert acknowledged",
        "reminded": "Reminder: alert not acknowledged",
        "escalated_national": "Escalated to national level",
        "resolved": "Alert resolved",
    },
}
BELOW_WARNING = {"es-PE": "normal", "en": "normal"}
EVIDENCE_WORDS = {
    "es-PE": ("reportes de patrullaje", "focos de calor", "alertas de deforestación"),
    "en": ("patrol reports", "fire hotspots", "deforestation alerts"),
}
EXERCISE_WORD = {"es-PE": "SIMULACRO", "en": "EXERCISE"}
IN_CHUNKS = 1000
# Rows per multi-row INSERT (as ews.alerting.apply): smaller statements convert faster in psycopg.
INSERT_PAGE_ROWS = 100


@dataclass(frozen=True)
class CapSource:
    """Who sends the messages, where their links point and how long each holds."""

    sender: str
    base_url: str
    expires_after: timedelta

    @classmethod
    def of(cls, settings: Settings) -> CapSource:
        return cls(
            sender=settings.cap_sender_id,
            base_url=settings.base_url.rstrip("/"),
            expires_after=timedelta(hours=settings.cap_expires_hours),
        )


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + IN_CHUNKS] for i in range(0, len(unique), IN_CHUNKS)]


def _level_word(language: str, level: str) -> str:
    try:
        return LEVEL_WORDS[language_of(language)].get(Level(level), BELOW_WARNING[language])
    except ValueError:
        return level


@dataclass(frozen=True)
class Area:
    """What a CAP message says of a community: its name, where it is, its territory."""

    name: str
    description: str
    polygons: tuple[str, ...]
    ubigeo: str
    synthetic: bool


def _description(
    alert: Row[Any], kind: str, language: str, names: dict[str, dict[str, str]]
) -> str:
    """What happened and the evidence, in ``language`` only."""
    lines = [f"{EVENT_WORDS[language].get(kind, kind)}."]
    key = "es" if language == "es-PE" else "en"
    evidence: dict[str, Any] = alert.evidence or {}
    for item in evidence.get("indicators", []):
        name = names.get(item["code"], {}).get(key) or item["code"]
        level = _level_word(language, str(item.get("level", "")))
        baseline = item.get("baseline")
        if language == "es-PE":
            usual = "" if baseline is None else f"; línea base {baseline:g}"
            lines.append(f"{name}: {item['value']:g} (nivel {level}{usual})")
        else:
            usual = "" if baseline is None else f"; baseline {baseline:g}"
            lines.append(f"{name}: {item['value']:g} ({level} level{usual})")
    kinds = ("report_ids", "fire_hotspot_ids", "deforestation_alert_ids")
    counts = [
        f"{len(evidence.get(kind, []))} {word}"
        for kind, word in zip(kinds, EVIDENCE_WORDS[language], strict=True)
        if evidence.get(kind)
    ]
    if counts:
        lines.append(", ".join(counts))
    acronyms = [
        str(inst.get("acronym") or inst.get("code", ""))
        for inst in (alert.context or {}).get("institutions", [])
    ]
    if acronyms:
        label = "Instituciones" if language == "es-PE" else "Institutions"
        lines.append(f"{label}: {', '.join(acronyms)}")
    return "\n".join(lines)


def _info(
    alert: Row[Any], event: Row[Any], area: Area, language: str, names: dict[str, dict[str, str]]
) -> CapInfo:
    key = "es" if language == "es-PE" else "en"
    category: dict[str, Any] = (alert.context or {}).get("category", {})
    name = str(category.get(f"name_{key}") or alert.category)
    level = _level_word(language, event.level)
    headline = (
        f"{name} - nivel {level}: {area.name}"
        if language == "es-PE"
        else f"{name} - {level} level: {area.name}"
    )
    if area.synthetic:
        headline = f"{EXERCISE_WORD[language]}: {headline}"
    return CapInfo(
        language=language,
        event=name,
        headline=headline,
        description=_description(alert, event.kind, language, names),
        instruction=str(category.get(f"action_{key}") or ""),
        sender_name=SENDER_NAME[language],
    )


def _restriction(alert: Row[Any], event: Row[Any]) -> list[str]:
    """The institutions this event reached: the alert's routes then, and the national ones."""
    details = event.details or {}
    codes = list(details.get("routed_to") or alert.routed_to)
    codes += [code for code in details.get("national") or [] if code not in codes]
    return codes


def build_document(
    *,
    alert: Row[Any],
    event: Row[Any],
    area: Area,
    earlier: Sequence[tuple[str, str, datetime]],
    names: dict[str, dict[str, str]],
    source: CapSource,
    identifier: str,
) -> CapAlert:
    """The CAP message of ``event`` (pure, given the rows: ``alert`` with ``id, category,
    routed_to, evidence, context``; ``event`` with ``kind, level, at, details``)."""
    level = Level(event.level) if event.level in Level.__members__ else Level.none
    return CapAlert(
        identifier=identifier,
        sender=source.sender,
        sent=event.at,
        msg_type=choose_msg_type(event.kind, earlier_messages=len(earlier)),
        restriction=_restriction(alert, event),
        category=alert.category,
        level=level,
        infos=[_info(alert, event, area, language, names) for language in LANGUAGES],
        area_desc=area.description,
        polygons=area.polygons,
        ubigeo=area.ubigeo,
        expires=event.at + source.expires_after,
        references=list(earlier),
        web=f"{source.base_url}/api/v1/alerts/{alert.id}",
        status="Exercise" if area.synthetic else "Actual",
        all_clear=event.kind == "resolved",
    )


def indicator_names(session: Session) -> dict[str, dict[str, str]]:
    return {
        code: {"es": name_es, "en": name_en}
        for code, name_es, name_en in session.execute(
            select(IndicatorRule.code, IndicatorRule.name_es, IndicatorRule.name_en)
        )
    }


def areas(session: Session, codes: set[str]) -> dict[str, Area]:
    """The CAP area of each community (its territory's polygons computed once)."""
    rows = session.execute(
        select(
            Community.code,
            Community.name,
            Community.district,
            Community.province,
            Community.region,
            Community.ubigeo,
            Community.boundary,
            Community.synthetic,
        ).where(Community.code.in_(codes))
    )
    return {
        row.code: Area(
            name=row.name,
            description=f"{row.name} ({row.district}, {row.province}, {row.region})",
            polygons=tuple(cap_polygons(row.boundary)),
            ubigeo=row.ubigeo,
            synthetic=bool(row.synthetic),
        )
        for row in rows
    }


def store_event_messages(session: Session, event_ids: Sequence[int], *, source: CapSource) -> int:
    """Render and keep the CAP message of each of ``event_ids`` that queued an outbox message
    (an event that notified nobody has none); flushes, never commits. Answers how many.

    Reads the alerts as the statements before it left them (columns, not ORM objects: a first
    evaluation writes thousands)."""
    notified: list[int] = []
    for chunk in _chunks(event_ids):
        notified += session.scalars(
            select(OutboxMessage.event_id).where(OutboxMessage.event_id.in_(chunk)).distinct()
        ).all()
    known: set[int] = set()
    for chunk in _chunks(notified):
        known.update(
            session.scalars(select(CapMessage.event_id).where(CapMessage.event_id.in_(chunk)))
        )
    wanted = sorted(set(notified) - known)
    if not wanted:
        return 0
    events: list[Row[Any]] = []
    for chunk in _chunks(wanted):
        events += session.execute(
            select(
                AlertEvent.id,
                AlertEvent.alert_id,
                AlertEvent.kind,
                AlertEvent.level,
                AlertEvent.at,
                AlertEvent.details,
            ).where(AlertEvent.id.in_(chunk))
        ).all()
    events.sort(key=lambda event: event.id)  # in the order they happened: references chain
    alerts: dict[int, Row[Any]] = {}
    earlier: dict[int, list[tuple[str, str, datetime]]] = defaultdict(list)
    for chunk in _chunks([event.alert_id for event in events]):
        for alert in session.execute(
            select(
                Alert.id,
                Alert.community_code,
                Alert.category,
                Alert.routed_to,
                Alert.evidence,
                Alert.context,
            ).where(Alert.id.in_(chunk))
        ):
            alerts[alert.id] = alert
        for alert_id, sender, identifier, sent in session.execute(
            select(CapMessage.alert_id, CapMessage.sender, CapMessage.identifier, CapMessage.sent)
            .where(CapMessage.alert_id.in_(chunk))
            .order_by(CapMessage.id)
        ):
            earlier[alert_id].append((sender, identifier, sent))
    where = areas(session, {alert.community_code for alert in alerts.values()})
    names = indicator_names(session)
    rows: list[dict[str, Any]] = []
    for event in events:
        alert = alerts[event.alert_id]
        identifier = f"urn:uuid:{uuid.uuid4()}"
        document = build_document(
            alert=alert,
            event=event,
            area=where[alert.community_code],
            earlier=earlier[alert.id],
            names=names,
            source=source,
            identifier=identifier,
        )
        rows.append(
            {
                "alert_id": alert.id,
                "event_id": event.id,
                "identifier": identifier,
                "sender": source.sender,
                "sent": event.at,
                "msg_type": document.msg_type,
                "xml": render_cap(document).decode("utf-8"),
            }
        )
        earlier[alert.id].append((source.sender, identifier, event.at))
    # One message per event even if two writers store the same (older) event at once.
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CapMessage)
    session.execute(
        statement.on_conflict_do_nothing(index_elements=["event_id"]).execution_options(
            insertmanyvalues_page_size=INSERT_PAGE_ROWS
        ),
        rows,
    )
    return len(rows)


def event_message(session: Session, *, alert_id: int, event_id: int) -> CapMessage | None:
    """The stored CAP message of one event of an alert, if the event notified anyone."""
    return session.scalar(
        select(CapMessage).where(CapMessage.alert_id == alert_id, CapMessage.event_id == event_id)
    )


def latest_message(session: Session, *, alert_id: int) -> CapMessage | None:
    """The alert's newest stored CAP message (its latest notified event)."""
    return session.scalar(
        select(CapMessage)
        .where(CapMessage.alert_id == alert_id)
        .order_by(CapMessage.id.desc())
        .limit(1)
    )


def message_for_delivery(session: Session, *, event_id: int, source: CapSource) -> bytes:
    """The CAP body of a webhook for ``event_id``: the stored message. An event queued before
    messages were stored (an older database) gets its message rendered and kept now, once."""
    stored = session.scalar(select(CapMessage).where(CapMessage.event_id == event_id))
    if stored is None:
        store_event_messages(session, [event_id], source=source)
        stored = session.scalar(select(CapMessage).where(CapMessage.event_id == event_id))
    if stored is None:
        msg = f"el evento {event_id} no tiene mensaje CAP / event {event_id} has no CAP message"
        raise LookupError(msg)
    return stored.xml.encode("utf-8")


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
    sender = settings.cap_sender_id
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
                id=f"urn:ews:{sender}:alert:{alert.id}",
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
        feed_id=f"urn:ews:{sender}:feed:{subscriber}",
        title="EWS - alertas / alerts",
        self_url=f"{base}/api/v1/alerts/feed.atom",
        updated=updated,
        entries=entries,
        author="EWS",
    )
