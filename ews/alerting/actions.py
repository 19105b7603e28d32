"""What institutions do about an alert (DESIGN section 12): the actions they record from the
catalog of ``fixtures/actions.yaml``, each institution's response as the API and the dashboard show
it, and the reminder of overdue actions through the outbox.

Keyword-only functions; they flush, the caller's scope commits. An institution key records actions
for its own institution on alerts routed to it; an admin names the institution; nobody else may.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, or_, select
from sqlalchemy.orm import Session

from alerts.routing import select_contacts
from ews import audit
from ews.alerting import loading
from ews.alerting.responses import set_marks
from ews.alerting.service import (
    AlertActionForbidden,
    AlertNotFound,
    InvalidInput,
    get_visible_alert,
)
from ews.auth.keys import Principal, Role
from ews.models import (
    ActionStatus,
    ActionType,
    Alert,
    AlertAction,
    AlertEvent,
    AlertResponse,
    AuditAction,
    OutboxMessage,
)
from ews.models.base import new_uuid
from ews.models.responses import OPEN_ACTION_STATUSES
from indicators import LIMA

ACTION_ROLES = frozenset({Role.institution, Role.admin})
ACTION_RECORDED = "action_recorded"
ACTION_OVERDUE = "action_overdue"
STATUSES = tuple(ActionStatus)


class ActionNotFound(LookupError):
    """No such action on the alert (or not the caller's institution's)."""


def lima_day(moment: datetime) -> date:
    return moment.astimezone(LIMA).date()


def is_overdue(action: AlertAction, today: date) -> bool:
    """Planned or in progress with its due date passed (the due day itself is not late)."""
    return (
        action.due is not None
        and action.due < today
        and action.status in {s.value for s in OPEN_ACTION_STATUSES}
    )


def catalog(session: Session, institution_code: str) -> list[ActionType]:
    """The action types ``institution_code`` may record, in the fixture's order."""
    return list(
        session.execute(
            select(ActionType)
            .where(ActionType.institution_code == institution_code, ActionType.active)
            .order_by(ActionType.position)
        ).scalars()
    )


def labels(session: Session) -> dict[tuple[str, str], ActionType]:
    """Every catalog entry, retired ones included, by (institution, code)."""
    return {(t.institution_code, t.code): t for t in session.execute(select(ActionType)).scalars()}


def _acting_institution(principal: Principal, alert: Alert, institution: str | None) -> str:
    if principal.role not in ACTION_ROLES:
        raise AlertActionForbidden(principal.role.value)
    if principal.role is Role.institution:
        code = principal.institution_code or ""
        if institution not in (None, code):
            raise InvalidInput(
                "institution",
                f"su clave registra acciones solo de {code} / your key records actions of {code} only",
            )
        return code
    if not institution:
        raise InvalidInput(
            "institution",
            "indique la institución que actúa / name the institution that acts",
        )
    if institution not in alert.routed_to:
        routed = ", ".join(alert.routed_to)
        raise InvalidInput(
            "institution",
            f"la alerta no está dirigida a {institution}; está dirigida a: {routed} / "
            f"the alert is not routed to {institution}; it is routed to: {routed}",
        )
    return institution


def _check_type(session: Session, institution: str, type_: str) -> ActionType:
    types = catalog(session, institution)
    chosen = next((t for t in types if t.code == type_), None)
    if chosen is None:
        valid = ", ".join(f"{t.code} ({t.label_es})" for t in types) or "-"
        valid_en = ", ".join(f"{t.code} ({t.label_en})" for t in types) or "-"
        raise InvalidInput(
            "type",
            f"tipo de acción desconocido para {institution}: {type_!r}; use uno de: {valid} / "
            f"unknown action type for {institution}: {type_!r}; use one of: {valid_en}",
        )
    return chosen


def _check_status(status: str, reason: str | None) -> ActionStatus:
    if status not in STATUSES:
        raise InvalidInput("status", f"use uno de / use one of: {', '.join(STATUSES)}")
    if status == ActionStatus.declined and not (reason or "").strip():
        raise InvalidInput(
            "reason",
            "una acción declinada necesita el motivo (reason) / a declined action needs its reason",
        )
    return ActionStatus(status)


def record_action(
    session: Session,
    *,
    principal: Principal,
    alert_id: int,
    type_: str | None,
    status: str,
    due: date | None,
    note: str | None,
    reason: str | None,
    now: datetime,
    institution: str | None = None,
    action_id: int | None = None,
) -> tuple[AlertAction, bool]:
    """Record an action of the acting institution on the alert (``action_id`` given: update that
    action's status, due date, note and reason). Answers the action and whether it is new.
    An ``action_recorded`` event (no reporter identity) and an audit entry; a declined action
    needs its reason. Actions may be recorded on a resolved alert too (follow-up goes on)."""
    if principal.role not in ACTION_ROLES:
        raise AlertActionForbidden(principal.role.value)
    alert = get_visible_alert(session, principal=principal, alert_id=alert_id)
    code = _acting_institution(principal, alert, institution)
    chosen_status = _check_status(status, reason)
    if action_id is None:
        if not type_:
            raise InvalidInput("type", "indique el tipo de acción / give the action type")
        _check_type(session, code, type_)
        action = AlertAction(
            alert_id=alert.id,
            institution_code=code,
            type=type_,
            status=chosen_status.value,
            due=due,
            note=note,
            reason=reason if chosen_status is ActionStatus.declined else None,
            actor=principal.name,
            created_at=now,
            updated_at=now,
        )
        session.add(action)
        created = True
    else:
        found = session.get(AlertAction, action_id)
        if found is None or found.alert_id != alert.id or found.institution_code != code:
            raise ActionNotFound(action_id)
        if type_ not in (None, found.type):
            raise InvalidInput(
                "type",
                "el tipo de una acción no cambia; registre otra acción / "
                "an action's type does not change; record another action",
            )
        action = found
        action.status = chosen_status.value
        action.due = due if due is not None else action.due
        action.note = note if note is not None else action.note
        action.reason = reason if chosen_status is ActionStatus.declined else None
        action.actor = principal.name
        action.updated_at = now
        created = False
    session.flush()
    set_marks(session, [(alert.id, code)], {})  # the institution's response row exists
    details = {
        "institution": code,
        "action_id": action.id,
        "type": action.type,
        "status": action.status,
    }
    session.add(
        AlertEvent(
            alert_id=alert.id,
            kind=ACTION_RECORDED,
            level=alert.level,
            at=now,
            actor=principal.name,
            note=action.note,
            details=details,
        )
    )
    audit.record(
        session,
        actor=principal.name,
        action=AuditAction.action_recorded if created else AuditAction.action_updated,
        object_type="alert_action",
        object_id=action.id,
        details={
            **details,
            "alert_id": alert.id,
            "due": action.due.isoformat() if action.due else None,
            "note": action.note,
            "reason": action.reason,
            "role": principal.role.value,
        },
    )
    session.flush()
    return action, created


@dataclass
class ActionView:
    id: int
    type: str
    label: dict[str, str]
    status: str
    due: date | None
    note: str | None
    reason: str | None
    overdue: bool
    actor: str
    updated_at: datetime


@dataclass
class ResponseView:
    institution: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str | None
    actions: list[ActionView] = field(default_factory=list)


def responses_of(session: Session, *, alert: Alert, now: datetime) -> list[ResponseView]:
    """One response per institution the alert is routed to (in ``routed_to`` order), with its
    actions oldest first; an institution not yet notified has an empty response."""
    rows = {
        r.institution_code: r
        for r in session.execute(
            select(AlertResponse).where(AlertResponse.alert_id == alert.id)
        ).scalars()
    }
    actions = list(
        session.execute(
            select(AlertAction).where(AlertAction.alert_id == alert.id).order_by(AlertAction.id)
        ).scalars()
    )
    known = labels(session)
    today = lima_day(now)
    codes = list(alert.routed_to) + sorted(
        {a.institution_code for a in actions} - set(alert.routed_to)
    )
    views: list[ResponseView] = []
    for code in codes:
        row = rows.get(code)
        views.append(
            ResponseView(
                institution=code,
                notified_at=row.notified_at if row else None,
                acknowledged_at=row.acknowledged_at if row else None,
                acknowledged_by=row.acknowledged_by if row else None,
                note=row.note if row else None,
                actions=[
                    ActionView(
                        id=a.id,
                        type=a.type,
                        label=_label(known.get((code, a.type)), a.type),
                        status=a.status,
                        due=a.due,
                        note=a.note,
                        reason=a.reason,
                        overdue=is_overdue(a, today),
                        actor=a.actor,
                        updated_at=a.updated_at,
                    )
                    for a in actions
                    if a.institution_code == code
                ],
            )
        )
    return views


def _label(entry: ActionType | None, code: str) -> dict[str, str]:
    if entry is None:
        return {"es": code, "en": code}
    return {"es": entry.label_es, "en": entry.label_en}


def remind_overdue_actions(session: Session, *, now: datetime) -> int:
    """Remind each overdue action (due passed, planned or in progress) to its institution's
    contacts, at most once per local day per action: an ``action_overdue`` event and one outbox
    row per contact (delivery retries apply). Answers how many actions were reminded."""
    today = lima_day(now)
    candidates = list(
        session.execute(
            select(AlertAction)
            .where(
                AlertAction.due.is_not(None),
                AlertAction.due < today,
                AlertAction.status.in_([s.value for s in OPEN_ACTION_STATUSES]),
            )
            .order_by(AlertAction.id)
        ).scalars()
    )
    due = [
        a for a in candidates if a.last_reminded_at is None or lima_day(a.last_reminded_at) < today
    ]
    if not due:
        return 0
    alerts = loading.alert_rows_by_id(session, sorted({a.alert_id for a in due}))
    regions = loading.community_regions(
        session, sorted({alert.community_code for alert in alerts.values()})
    )
    contacts = loading.contacts(session)
    known = labels(session)
    messages: list[dict[str, Any]] = []
    for action in due:
        alert = alerts[action.alert_id]
        entry = known.get((action.institution_code, action.type))
        event = AlertEvent(
            alert_id=alert.id,
            kind=ACTION_OVERDUE,
            level=alert.level,
            at=now,
            actor="system",
            note=None,
            details={
                "institution": action.institution_code,
                "action_id": action.id,
                "type": action.type,
                "status": action.status,
                "due": action.due.isoformat() if action.due else None,
                "label": _label(entry, action.type),
            },
        )
        session.add(event)
        session.flush()
        chosen = select_contacts(
            contacts,
            institutions=[action.institution_code],
            region_ubigeo=regions.get(alert.community_code, ""),
            level=alert.level,
        )
        messages += [
            {
                "message_id": new_uuid(),
                "alert_id": alert.id,
                "event_id": event.id,
                "contact_id": contact.id,
                "institution_code": contact.institution_code,
                "channel": contact.channel,
                "status": "pending",
                "payload": {
                    "kind": ACTION_OVERDUE,
                    "level": alert.level,
                    "community": alert.community_code,
                    "category": alert.category,
                },
            }
            for contact in chosen
        ]
        action.last_reminded_at = now
    if messages:
        session.execute(insert(cast(Table, OutboxMessage.__table__)), messages)
    session.flush()
    return len(due)


def open_actions_of(
    session: Session, *, institution_code: str | None = None
) -> Sequence[AlertAction]:
    """Actions still planned or in progress (of one institution), for digests and pages."""
    query = select(AlertAction).where(
        or_(*(AlertAction.status == s.value for s in OPEN_ACTION_STATUSES))
    )
    if institution_code is not None:
        query = query.where(AlertAction.institution_code == institution_code)
    return list(session.execute(query.order_by(AlertAction.id)).scalars())


__all__ = [
    "ACTION_OVERDUE",
    "ACTION_RECORDED",
    "ActionNotFound",
    "ActionView",
    "AlertNotFound",
    "ResponseView",
    "catalog",
    "is_overdue",
    "labels",
    "open_actions_of",
    "record_action",
    "remind_overdue_actions",
    "responses_of",
]
