"""CAP 1.2 messages of alert events, stored when the events are written; the Atom feed. What a
message says is ews.alerting.cap_document.

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
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.atom import FeedEntry, render_atom
from alerts.cap import cap_polygons, render_cap
from ews.alerting.cap_document import Area, CapSource, build_document
from ews.models import Alert, AlertEvent, CapMessage, Community, IndicatorRule, OutboxMessage
from ews.settings import Settings

IN_CHUNKS = 1000
# Rows per multi-row INSERT (as ews.alerting.apply): smaller statements convert faster in psycopg.
INSERT_PAGE_ROWS = 100


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(ids))
    return [unique[i : i + IN_CHUNKS] for i in range(0, len(unique), IN_CHUNKS)]


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
        notified += [
            event_id
            for event_id in session.scalars(
                select(OutboxMessage.event_id).where(OutboxMessage.event_id.in_(chunk)).distinct()
            )
            if event_id is not None
        ]
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
