"""Write the core's outcomes, in the caller's transaction, in three steps: the alert rows
(:func:`write_alerts`), one ``alert_event`` per event (:func:`insert_events`), and one outbox row
per selected contact for each event that notifies (:func:`queue_messages`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, insert, update
from sqlalchemy.orm import Session

from alerts.routing import ContactInfo, plan_notifications
from alerts.states import Decision, EventKind, Fingerprint
from ews.alerting.alert_context import ContextBuilder
from ews.alerting.cap import store_event_messages
from ews.alerting.cap_document import CapSource
from ews.alerting.evidence import Evidence, merged_evidence
from ews.alerting.responses import record_marks
from ews.models import Alert, AlertEvent, AlertStatus, OutboxMessage
from ews.models.base import new_uuid

SYSTEM_ACTOR = "system"
# Rows per multi-row INSERT: smaller statements convert faster in psycopg than 1,000-row ones.
INSERT_PAGE_ROWS = 100


@dataclass
class Applied:
    """What one application wrote, for the job summary."""

    events: dict[str, int] = field(default_factory=dict)
    muted: int = 0
    messages: int = 0
    event_ids: list[int] = field(default_factory=list)
    cap_messages: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "events": dict(sorted(self.events.items())),
            "muted": self.muted,
            "messages": self.messages,
        }


def _alert_values(
    outcome: Decision,
    row: Alert | Row[Any] | None,
    new_evidence: Evidence | None,
    context: ContextBuilder,
    now: datetime,
) -> dict[str, Any]:
    """The alert columns after ``outcome`` (``row`` is the stored alert, ``None`` for a new one)."""
    values: dict[str, Any] = {
        "level": outcome.level.value,
        "routed_to": list(outcome.routed_to),
        "level_since": outcome.level_since,
        "below_warning_since": outcome.below_warning_since,
        "seen_revision": outcome.seen_revision,
        "hold_until": outcome.hold_until,
        "context": context.build(outcome.fingerprint.category, outcome.routed_to),
    }
    if outcome.events or row is None:  # new evidence alone is no update
        values["updated_at"] = now
    if outcome.resolved:
        values["status"] = AlertStatus.resolved
        values["resolved_at"] = now
    elif outcome.acknowledged:
        values["status"] = AlertStatus.acknowledged
    else:
        values["status"] = AlertStatus.open
        values["acknowledged_at"] = None
    if any(event.notifies for event in outcome.events):
        values["last_notified_at"] = now
    if outcome.national_escalated and (row is None or row.national_escalated_at is None):
        values["national_escalated_at"] = now
    previous = row.evidence if row is not None else {}
    if new_evidence is not None or not previous:
        values["evidence"] = merged_evidence(
            previous or {}, new_evidence, territory_hit=outcome.territory_hit
        )
    return values


@dataclass(frozen=True)
class InsertedEvents:
    """The ``alert_event`` rows one application wrote: per outcome, the id of each of its events
    (in the order of ``outcome.events``)."""

    by_outcome: list[list[int]]

    @property
    def ids(self) -> list[int]:
        return [id_ for ids in self.by_outcome for id_ in ids]


def write_alerts(
    session: Session,
    outcomes: Sequence[Decision],
    *,
    alerts: Mapping[Fingerprint, Alert | Row[Any]],
    evidence: Mapping[Fingerprint, Evidence],
    context: ContextBuilder,
    now: datetime,
) -> list[int]:
    """Update the stored alerts and insert the new ones; answers each outcome's alert id."""
    alert_ids: list[int | None] = []
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for outcome in outcomes:
        row = alerts.get(outcome.fingerprint)
        values = _alert_values(
            outcome,
            row,
            evidence.get(outcome.fingerprint) if outcome.state is not None else None,
            context,
            now,
        )
        if row is None:
            new_rows.append(
                {
                    "fingerprint": outcome.fingerprint.key,
                    "community_code": outcome.fingerprint.community_code,
                    "category": outcome.fingerprint.category,
                    "opened_at": now,
                    "acknowledged_at": None,
                    "resolved_at": None,
                    "last_notified_at": None,
                    "national_escalated_at": None,
                    **values,
                }
            )
            alert_ids.append(None)
        else:
            updates.append({"id": row.id, **values})
            alert_ids.append(row.id)
    if updates:
        # Bulk UPDATE by primary key: one executemany per set of columns, not one statement per
        # row (the ORM batches consecutive rows with the same columns only, hence the sort; the
        # loaded rows are read, never modified in memory).
        updates.sort(key=lambda values: sorted(values))
        session.execute(update(Alert), updates)
    new_ids: dict[str, int] = {}
    if new_rows:
        # New alerts in one bulk Core insert (thousands on a first run).
        table = cast(Table, Alert.__table__)
        inserted = session.execute(
            insert(table)
            .returning(table.c.id, table.c.fingerprint)
            .execution_options(insertmanyvalues_page_size=INSERT_PAGE_ROWS),
            new_rows,
        ).all()
        new_ids = {fingerprint: id_ for id_, fingerprint in inserted}
    return [
        new_ids[o.fingerprint.key] if id_ is None else id_
        for id_, o in zip(alert_ids, outcomes, strict=True)
    ]


def insert_events(
    session: Session,
    outcomes: Sequence[Decision],
    alert_ids: Sequence[int],
    *,
    now: datetime,
    actor: str,
    note: str | None,
) -> InsertedEvents:
    """One ``alert_event`` row per event of each outcome."""
    event_rows: list[dict[str, Any]] = []
    for outcome, alert_id in zip(outcomes, alert_ids, strict=True):
        for event in outcome.events:
            details: dict[str, Any] = {"routed_to": list(outcome.routed_to)}
            if event.previous_level is not None:
                details["previous_level"] = event.previous_level.value
            if event.kind is EventKind.escalated_national:
                details["national"] = list(event.institutions or outcome.national)
            elif event.institutions:
                details["institutions"] = list(event.institutions)
            event_rows.append(
                {
                    "alert_id": alert_id,
                    "kind": event.kind.value,
                    "level": event.level.value,
                    "at": now,
                    "actor": actor,
                    "note": note,
                    "muted_by": event.muted_by,
                    "details": details,
                }
            )
    if not event_rows:
        return InsertedEvents([[] for _ in outcomes])
    # Within one outcome an event kind occurs once, so (alert, kind) names an event.
    # Plain Core on the tables: the ORM bulk path splits rows by which values are None and
    # splices the results batch by batch, which grows quadratically.
    events_table = cast(Table, AlertEvent.__table__)
    inserted = session.execute(
        insert(events_table)
        .returning(events_table.c.id, events_table.c.alert_id, events_table.c.kind)
        .execution_options(insertmanyvalues_page_size=INSERT_PAGE_ROWS),
        event_rows,
    ).all()
    event_id = {(alert_id, kind): id_ for id_, alert_id, kind in inserted}
    return InsertedEvents(
        [
            [event_id[(alert_id, e.kind.value)] for e in outcome.events]
            for outcome, alert_id in zip(outcomes, alert_ids, strict=True)
        ]
    )


def queue_messages(
    session: Session,
    outcomes: Sequence[Decision],
    alert_ids: Sequence[int],
    events: InsertedEvents,
    *,
    regions: Mapping[str, str],
    contacts: Sequence[ContactInfo],
) -> list[tuple[int, str]]:
    """One ``outbox_message`` per contact chosen for each notifying event; answers the (alert id,
    institution code) of each message queued."""
    messages: list[dict[str, Any]] = []
    for outcome, alert_id, event_ids in zip(outcomes, alert_ids, events.by_outcome, strict=True):
        region = regions.get(outcome.fingerprint.community_code, "")
        for message in plan_notifications(outcome, contacts, region_ubigeo=region):
            event = outcome.events[message.event_index]
            messages.append(
                {
                    "message_id": new_uuid(),
                    "alert_id": alert_id,
                    "event_id": event_ids[message.event_index],
                    "contact_id": message.contact_id,
                    "institution_code": message.institution_code,
                    "channel": message.channel,
                    "status": "pending",
                    "payload": {
                        "kind": event.kind.value,
                        "level": event.level.value,
                        "community": outcome.fingerprint.community_code,
                        "category": outcome.fingerprint.category,
                    },
                }
            )
    if messages:
        session.execute(insert(cast(Table, OutboxMessage.__table__)), messages)
    return [(m["alert_id"], m["institution_code"]) for m in messages]


def apply_outcomes(
    session: Session,
    outcomes: Sequence[Decision],
    *,
    alerts: Mapping[Fingerprint, Alert | Row[Any]],
    evidence: Mapping[Fingerprint, Evidence],
    regions: Mapping[str, str],
    contacts: Sequence[ContactInfo],
    context: ContextBuilder,
    cap: CapSource,
    now: datetime,
    actor: str = SYSTEM_ACTOR,
    note: str | None = None,
) -> Applied:
    """Write ``outcomes`` (flushes; the caller commits). ``alerts`` are the open rows by fingerprint
    (ORM objects or plain rows with ``id``, ``evidence`` and ``national_escalated_at``),
    ``regions`` the communities' region ubigeo by code, ``cap`` who signs the CAP messages."""
    applied = Applied()
    for outcome in outcomes:
        for event in outcome.events:
            applied.events[event.kind.value] = applied.events.get(event.kind.value, 0) + 1
            applied.muted += event.muted_by is not None
    alert_ids = write_alerts(
        session, outcomes, alerts=alerts, evidence=evidence, context=context, now=now
    )
    events = insert_events(session, outcomes, alert_ids, now=now, actor=actor, note=note)
    applied.event_ids = events.ids
    # Events inserted: their ids are in ``events`` (per outcome) from here on.
    queued = queue_messages(
        session, outcomes, alert_ids, events, regions=regions, contacts=contacts
    )
    applied.messages = len(queued)
    record_marks(session, outcomes, alert_ids, notified=queued, now=now)
    # One CAP message per event that notified anyone, written with the event (ews.alerting.cap).
    applied.cap_messages = store_event_messages(session, applied.event_ids, source=cap)
    return applied
