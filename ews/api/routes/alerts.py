"""Alerts: list, detail with events and evidence, acknowledge, resolve, CAP 1.2 and the Atom feed.

An institution key sees and acts only on alerts routed to its institution (others are 404);
monitor and feed keys get 403. No reporter identity in any answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ews.alerting import actions, cap, service
from ews.alerting.cap import render_alerts_feed
from ews.alerting.cap_document import CapSource
from ews.api.deps import RowId, SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.api.roles import AnalystInstitutionOrAdmin, InstitutionOrAdmin
from ews.auth.keys import Principal
from ews.fields import Text, WholeNumber
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


class ActionOut(BaseModel):
    id: int
    type: str
    label: dict[str, str]  # {"es", "en"}
    status: str
    due: date | None
    note: str | None
    reason: str | None
    overdue: bool
    actor: str
    updated_at: datetime


class ResponseOut(BaseModel):
    institution: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str | None
    actions: list[ActionOut]


class AlertWithResponses(AlertDetail):
    responses: list[ResponseOut]


class ActionIn(BaseModel):
    """An action of the acting institution; with ``id``, an update of that action."""

    model_config = ConfigDict(extra="forbid")

    id: WholeNumber | None = Field(default=None, ge=1, le=2147483647)
    institution: str | None = Field(default=None, max_length=40)  # admin only: who acts
    type: str | None = Field(default=None, max_length=60)
    status: str = Field(max_length=20)
    due: date | None = None
    note: Text | None = Field(default=None, max_length=2000)
    reason: Text | None = Field(default=None, max_length=2000)


class ActionRecorded(ActionOut):
    institution: str
    alert_id: int


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


@router.get("/{alert_id}", response_model=AlertWithResponses, summary="Una alerta / One alert")
def get_alert(
    session: SessionDep, principal: AnalystInstitutionOrAdmin, alert_id: RowId
) -> AlertWithResponses:
    alert = service.get_visible_alert(session, principal=principal, alert_id=alert_id)
    events = service.alert_events(session, alert_id=alert.id)
    responses = actions.responses_of(session, alert=alert, now=utcnow())
    return AlertWithResponses(
        **alert_out(alert).model_dump(),
        events=[event_out(e) for e in events],
        responses=[ResponseOut.model_validate(r, from_attributes=True) for r in responses],
    )


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
    summary=(
        "Acusar recibo: una institución por sí misma, analista o admin por toda la alerta / "
        "Acknowledge: an institution for itself, an analyst or admin for the whole alert"
    ),
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


@router.post(
    "/{alert_id}/actions",
    response_model=ActionRecorded,
    status_code=status.HTTP_201_CREATED,
    summary="Registrar una acción de su institución / Record an action of your institution",
    responses={200: {"model": ActionRecorded, "description": "an existing action updated"}},
)
def record_action(
    session: SessionDep, principal: InstitutionOrAdmin, alert_id: RowId, body: ActionIn
) -> JSONResponse:
    """An institution records an action from its catalog (``fixtures/actions.yaml``) on an alert
    routed to it; an admin names the ``institution``. With ``id``: that action's new status, due
    date, note (and ``reason``, required when declined). 201 for a new action, 200 for an update."""
    now = utcnow()
    action, created = actions.record_action(
        session,
        principal=principal,
        alert_id=alert_id,
        institution=body.institution,
        action_id=body.id,
        type_=body.type,
        status=body.status,
        due=body.due,
        note=body.note,
        reason=body.reason,
        now=now,
    )
    known = actions.labels(session).get((action.institution_code, action.type))
    out = ActionRecorded(
        id=action.id,
        alert_id=action.alert_id,
        institution=action.institution_code,
        type=action.type,
        label={"es": known.label_es, "en": known.label_en}
        if known
        else {"es": action.type, "en": action.type},
        status=action.status,
        due=action.due,
        note=action.note,
        reason=action.reason,
        overdue=actions.is_overdue(action, actions.lima_day(now)),
        actor=action.actor,
        updated_at=action.updated_at,
    )
    return JSONResponse(
        out.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )
