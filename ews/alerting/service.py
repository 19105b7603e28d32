"""Alert and silence services for the API and the dashboard: what a caller may see and do.

Keyword-only functions; they flush, the request scope commits. An institution key sees and acts
only on alerts routed to its institution; monitors and feed keys see none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from alerts.lifecycle import resolve_by_hand
from alerts.routing import route_institutions
from ews import audit
from ews.alerting import loading
from ews.alerting.alert_context import ContextBuilder
from ews.alerting.apply import apply_outcomes
from ews.alerting.cap_document import CapSource
from ews.alerting.responses import set_marks
from ews.auth.keys import Principal, Role
from ews.fields import row_id_in_range
from ews.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    AuditAction,
    CategoryContext,
    Community,
    Silence,
)
from indicators.levels import Level

VIEW_ROLES = frozenset({Role.admin, Role.analyst, Role.institution})
SILENCE_ROLES = frozenset({Role.admin, Role.analyst})
STATUSES = tuple(AlertStatus)


class AlertNotFound(LookupError):
    """No such alert, or not routed to the caller's institution."""


class AlertActionForbidden(PermissionError):
    """The caller's role may not see or act on alerts (or silences)."""


class AlertStateConflict(ValueError):
    """The action does not apply to the alert in its state (e.g. it is resolved)."""


class SilenceNotFound(LookupError):
    pass


class InvalidInput(ValueError):
    """A filter, cursor or silence field is invalid; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _require(principal: Principal, roles: frozenset[Role]) -> None:
    if principal.role not in roles:
        raise AlertActionForbidden(principal.role.value)


def routed_to_clause(session: Session, institution_code: str) -> ColumnElement[bool]:
    """``alert.routed_to`` contains ``institution_code`` (JSONB ``@>`` on PostgreSQL,
    ``json_each`` on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(Alert.routed_to, JSONB).contains([institution_code])
    routes = func.json_each(Alert.routed_to).table_valued("value").alias("route")
    return exists(select(literal(1)).select_from(routes).where(routes.c.value == institution_code))


def visible_alerts(
    session: Session,
    *,
    principal: Principal,
    status: str | None = None,
    community: str | None = None,
    category: str | None = None,
    level: str | None = None,
    institution: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[Alert], str | None]:
    """The caller's alerts, newest first, and the cursor of the next page (or ``None``)."""
    _require(principal, VIEW_ROLES)
    query = select(Alert).order_by(Alert.id.desc())
    if principal.role is Role.institution:
        query = query.where(routed_to_clause(session, principal.institution_code or ""))
    if status is not None:
        if status not in STATUSES:
            raise InvalidInput("status", f"use uno de / use one of: {', '.join(STATUSES)}")
        query = query.where(Alert.status == status)
    if level is not None:
        if level not in (Level.warning, Level.high, Level.critical):
            raise InvalidInput("level", "use warning, high o/or critical")
        query = query.where(Alert.level == level)
    if community is not None:
        query = query.where(Alert.community_code == community)
    if category is not None:
        query = query.where(Alert.category == category)
    if institution is not None:
        query = query.where(routed_to_clause(session, institution))
    if cursor is not None:
        try:
            after = int(cursor)
            if not row_id_in_range(after):
                raise ValueError(cursor)
        except ValueError as exc:
            raise InvalidInput("cursor", "cursor inválido / invalid cursor") from exc
        query = query.where(Alert.id < after)
    rows = list(session.execute(query.limit(limit + 1)).scalars())
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_visible_alert(session: Session, *, principal: Principal, alert_id: int) -> Alert:
    """The alert, if the caller may see it; ``AlertNotFound`` otherwise (no hint it exists)."""
    _require(principal, VIEW_ROLES)
    alert = session.get(Alert, alert_id)
    if alert is None or (
        principal.role is Role.institution and principal.institution_code not in alert.routed_to
    ):
        raise AlertNotFound(alert_id)
    return alert


def alert_events(session: Session, *, alert_id: int) -> list[AlertEvent]:
    return list(
        session.execute(
            select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
        ).scalars()
    )


def events_of_alerts(session: Session, *, alert_ids: Sequence[int]) -> dict[int, list[AlertEvent]]:
    """The events of several alerts (a page of the list) in one query, oldest first."""
    by_alert: dict[int, list[AlertEvent]] = {alert_id: [] for alert_id in alert_ids}
    if alert_ids:
        query = (
            select(AlertEvent)
            .where(AlertEvent.alert_id.in_(list(alert_ids)))
            .order_by(AlertEvent.id)
        )
        for event in session.execute(query).scalars():
            by_alert[event.alert_id].append(event)
    return by_alert


def _locked_open_alert(session: Session, *, principal: Principal, alert_id: int) -> Alert:
    """The visible alert, re-read under the alert lock, refusing a resolved one: an evaluation
    that ran meanwhile may have changed it."""
    _require(principal, VIEW_ROLES)
    alert = get_visible_alert(session, principal=principal, alert_id=alert_id)
    loading.lock_alerts(session)
    session.refresh(alert)
    if alert.status == AlertStatus.resolved:
        raise AlertStateConflict(AlertStatus.resolved)
    return alert


def _audit_alert_action(
    session: Session, *, principal: Principal, alert: Alert, action: AuditAction, note: str
) -> None:
    audit.record(
        session,
        actor=principal.name,
        action=action,
        object_type="alert",
        object_id=alert.id,
        details={"note": note, "role": principal.role.value},
    )


def acknowledge_alert(
    session: Session, *, principal: Principal, alert_id: int, note: str, now: datetime
) -> AlertEvent:
    """Acknowledge. An institution key acknowledges for its own institution (its
    ``alert_response``): the alert as a whole becomes ``acknowledged`` once every institution of
    its category has, and reminders and the escalation to national level keep following the
    others. An analyst or admin acknowledges the alert as a whole: reminders stop for everyone
    (until the level rises). An ``acknowledged`` event with the institution in its details; audited.
    """
    alert = _locked_open_alert(session, principal=principal, alert_id=alert_id)
    institution = principal.institution_code if principal.role is Role.institution else None
    whole = True
    if institution is not None:
        set_marks(
            session,
            [(alert.id, institution)],
            {"acknowledged_at": now, "acknowledged_by": principal.name, "note": note},
        )
        acknowledged = loading.acknowledged_institutions(session, [alert.id]).get(
            alert.id, frozenset()
        )
        required = route_institutions(
            alert.category,
            loading.routing_rules(session),
            territory_hit=bool(alert.evidence.get("territory_hit", False)),
        )
        whole = set(required) <= acknowledged
    if whole and alert.status != AlertStatus.acknowledged:
        alert.status = AlertStatus.acknowledged
        alert.acknowledged_at = now
    alert.updated_at = now
    event = AlertEvent(
        alert_id=alert.id,
        kind="acknowledged",
        level=alert.level,
        at=now,
        actor=principal.name,
        note=note,
        details={"role": principal.role.value, "institution": institution},
    )
    session.add(event)
    audit.record(
        session,
        actor=principal.name,
        action=AuditAction.alert_acknowledged,
        object_type="alert",
        object_id=alert.id,
        details={"note": note, "role": principal.role.value, "institution": institution},
    )
    session.flush()
    return event


def resolve_alert(
    session: Session,
    *,
    principal: Principal,
    alert_id: int,
    note: str,
    now: datetime,
    cap: CapSource,
) -> AlertEvent:
    """Resolve by hand: a ``resolved`` event, notified to everyone the alert reached (its CAP
    message signed by ``cap``). Audited."""
    alert = _locked_open_alert(session, principal=principal, alert_id=alert_id)
    outcome = resolve_by_hand(
        loading.as_open_alert(alert, session=session),
        routing=loading.routing_rules(session),
        silences=loading.active_silences(session, now=now),
        now=now,
    )
    applied = apply_outcomes(
        session,
        [outcome],
        alerts={outcome.fingerprint: alert},
        evidence={},
        regions=loading.community_regions(session, [alert.community_code]),
        contacts=loading.contacts(session),
        context=ContextBuilder(session),
        cap=cap,
        now=now,
        actor=principal.name,
        note=note,
    )
    session.expire(alert)  # written by a bulk UPDATE: reload on next access
    _audit_alert_action(
        session, principal=principal, alert=alert, action=AuditAction.alert_resolved, note=note
    )
    session.flush()
    event = session.get(AlertEvent, applied.event_ids[0])
    assert event is not None
    return event


def list_silences(
    session: Session, *, principal: Principal, now: datetime, include_expired: bool = False
) -> list[Silence]:
    _require(principal, SILENCE_ROLES)
    query = select(Silence).order_by(Silence.id.desc())
    if not include_expired:
        query = query.where(Silence.active, Silence.ends_at > now)
    return list(session.execute(query).scalars())


def create_silence(
    session: Session,
    *,
    principal: Principal,
    community: str | None,
    category: str | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    now: datetime,
) -> Silence:
    """A time-bounded silence; alerts it matches are recorded but not sent. Audited."""
    _require(principal, SILENCE_ROLES)
    if community is None and category is None:
        raise InvalidInput(
            "community",
            "indique una comunidad, una categoría o ambas / give a community, a category or both",
        )
    if community is not None and session.get(Community, community) is None:
        raise InvalidInput("community", f"comunidad desconocida / unknown community: {community}")
    if category is not None and session.get(CategoryContext, category) is None:
        raise InvalidInput("category", f"categoría desconocida / unknown category: {category}")
    if ends_at <= starts_at:
        raise InvalidInput("ends_at", "debe ser posterior a starts_at / must be after starts_at")
    if ends_at <= now:
        raise InvalidInput("ends_at", "ya pasó / is already past")
    if not reason.strip():
        raise InvalidInput("reason", "indique el motivo / give the reason")
    silence = Silence(
        community_code=community,
        category=category,
        starts_at=starts_at,
        ends_at=ends_at,
        author=principal.name,
        reason=reason.strip(),
        created_at=now,
        active=True,
    )
    session.add(silence)
    session.flush()
    audit.record(
        session,
        actor=principal.name,
        action=AuditAction.silence_created,
        object_type="silence",
        object_id=silence.id,
        details=_silence_details(silence),
    )
    return silence


def expire_silence(
    session: Session, *, principal: Principal, silence_id: int, now: datetime
) -> Silence:
    """End a silence now (the row stays, for the record). Audited."""
    _require(principal, SILENCE_ROLES)
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise SilenceNotFound(silence_id)
    if silence.active:
        silence.active = False
        silence.expired_early_at = now
        audit.record(
            session,
            actor=principal.name,
            action=AuditAction.silence_expired,
            object_type="silence",
            object_id=silence.id,
            details=_silence_details(silence),
        )
    session.flush()
    return silence


def _silence_details(silence: Silence) -> dict[str, Any]:
    return {
        "community": silence.community_code,
        "category": silence.category,
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "reason": silence.reason,
    }
