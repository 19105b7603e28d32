"""Alerts: list, detail with events and evidence, acknowledge, resolve, CAP 1.2 and the Atom feed.

An institution key sees and acts only on alerts routed to its institution (others are 404);
monitor and feed keys get 403. No reporter identity in any answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ews.alerting import cap, service
from ews.alerting.cap import render_alerts_feed
from ews.alerting.cap_document import CapSource
from ews.api.deps import RowId, SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.api.roles import AnalystInstitutionOrAdmin
from ews.auth.keys import Principal
from ews.fields import Text
from ews.models import Alert, AlertEvent, CapMessage
from ews.models.base import utcnow

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"


class EventOut(BaseModel):
    id: int
    kind: str
    level: str
    at: datetime
    actor: str
    note: str | None
    muted_by: str | None
    details: dict[str, Any]


class AlertOut(BaseModel):
    id: int
    community: str
    category: str
    level: str
    status: str
    routed_to: list[str]
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    national_escalated_at: datetime | None
    evidence: dict[str, Any]
    context: dict[str, Any]


class AlertDetail(AlertOut):
    events: list[EventOut]


class AlertPage(BaseModel):
    items: list[AlertDetail]
    next: str | None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field(min_length=1, max_length=2000)


def alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        community=alert.community_code,
        category=alert.category,
        level=alert.level,
        status=alert.status,
        routed_to=list(alert.routed_to),
        opened_at=alert.opened_at,
        updated_at=alert.updated_at,
        acknowledged_at=alert.acknowledged_at,
        resolved_at=alert.resolved_at,
        national_escalated_at=alert.national_escalated_at,
        evidence=alert.evidence,
        context=alert.context,
    )


def event_out(event: AlertEvent) -> EventOut:
    return EventOut.model_validate(event, from_attributes=True)


@router.get("", response_model=AlertPage, summary="Alertas / Alerts")
def list_alerts(
    session: SessionDep,
    settings: SettingsDep,
    principal: AnalystInstitutionOrAdmin,
    status_: Annotated[str | None, Query(alias="status")] = None,
    community: str | None = None,
    category: str | None = None,
    level: str | None = None,
    institution: str | None = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: str | None = None,
) -> AlertPage:
    rows, next_cursor = service.visible_alerts(
        session,
        principal=principal,
        status=status_,
        community=community,
        category=category,
        level=level,
        institution=institution,
        limit=min(limit, settings.page_max),
        cursor=cursor,
    )
    events = service.events_of_alerts(session, alert_ids=[row.id for row in rows])
    return AlertPage(
        items=[
            AlertDetail(
                **alert_out(row).model_dump(), events=[event_out(e) for e in events[row.id]]
            )
            for row in rows
        ],
        next=next_cursor,
    )


@router.get(
    "/feed.atom",
    response_class=Response,
    summary="Alertas como Atom (enlaza CAP 1.2) / Alerts as Atom (links CAP 1.2)",
)
def alerts_feed(
    session: SessionDep, settings: SettingsDep, principal: AnalystInstitutionOrAdmin
) -> Response:
    rows, _next = service.visible_alerts(session, principal=principal, limit=settings.page_max)
    body = render_alerts_feed(
        session,
        alerts=rows,
        settings=settings,
        subscriber=principal.institution_code or principal.role.value,
        now=utcnow(),
    )
    return Response(body, media_type=ATOM_MEDIA_TYPE)


@router.get("/{alert_id}", response_model=AlertDetail, summary="Una alerta / One alert")
def get_alert(
    session: SessionDep, principal: AnalystInstitutionOrAdmin, alert_id: RowId
) -> AlertDetail:
    alert = service.get_visible_alert(session, principal=principal, alert_id=alert_id)
    events = service.alert_events(session, alert_id=alert.id)
    return AlertDetail(**alert_out(alert).model_dump(), events=[event_out(e) for e in events])


NO_CAP = (
    "Este evento no notificó a nadie (silenciado, o sin contactos), así que no tiene mensaje CAP. / "
    "This event notified nobody (silenced, or no contacts), so it has no CAP message."
)


def _cap_response(stored: CapMessage | None) -> Response:
    """A stored CAP message exactly as it was sent; 404 when the event notified nobody."""
    if stored is None:
        raise NotFound("no_cap_message", NO_CAP)
    return Response(stored.xml.encode("utf-8"), media_type=CAP_MEDIA_TYPE)


@router.get(
    "/{alert_id}/cap",
    response_class=Response,
    summary="CAP 1.2 del último evento notificado / CAP 1.2 of the latest notified event",
    responses={200: {"content": {CAP_MEDIA_TYPE: {}}}, 404: {}},
)
def get_alert_cap(
    session: SessionDep, principal: AnalystInstitutionOrAdmin, alert_id: RowId
) -> Response:
    """The CAP message of the alert's latest notified event, exactly as it was sent."""
    alert = service.get_visible_alert(session, principal=principal, alert_id=alert_id)
    return _cap_response(cap.latest_message(session, alert_id=alert.id))


@router.get(
    "/{alert_id}/events/{event_id}/cap",
    response_class=Response,
    summary="CAP 1.2 de un evento / CAP 1.2 of one event",
    responses={200: {"content": {CAP_MEDIA_TYPE: {}}}, 404: {}},
)
def get_event_cap(
    session: SessionDep, principal: AnalystInstitutionOrAdmin, alert_id: RowId, event_id: RowId
) -> Response:
    """The CAP message written with that event (404 for an event that notified nobody)."""
    alert = service.get_visible_alert(session, principal=principal, alert_id=alert_id)
    return _cap_response(cap.event_message(session, alert_id=alert.id, event_id=event_id))


def _act(
    session: SessionDep,
    settings: SettingsDep,
    principal: Principal,
    alert_id: int,
    note: str,
    action: str,
) -> EventOut:
    now = utcnow()
    if action == "acknowledge":
        event = service.acknowledge_alert(
            session, principal=principal, alert_id=alert_id, note=note, now=now
        )
    else:
        event = service.resolve_alert(
            session,
            principal=principal,
            alert_id=alert_id,
            note=note,
            now=now,
            cap=CapSource.of(settings),
        )
    return event_out(event)


@router.post(
    "/{alert_id}/acknowledge",
    response_model=EventOut,
    summary="Atender (detiene los recordatorios) / Acknowledge (stops reminders)",
)
def acknowledge(
    session: SessionDep,
    settings: SettingsDep,
    principal: AnalystInstitutionOrAdmin,
    alert_id: RowId,
    body: NoteIn,
) -> EventOut:
    return _act(session, settings, principal, alert_id, body.note, "acknowledge")


@router.post("/{alert_id}/resolve", response_model=EventOut, summary="Resolver / Resolve")
def resolve(
    session: SessionDep,
    settings: SettingsDep,
    principal: AnalystInstitutionOrAdmin,
    alert_id: RowId,
    body: NoteIn,
) -> EventOut:
    return _act(session, settings, principal, alert_id, body.note, "resolve")
