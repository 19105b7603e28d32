"""``/dashboard``: the alert queue, one alert's page, and acknowledging or resolving it (the
alerts service does the work; ``ews.web.alert_queue`` and ``ews.web.alert_story`` shape the views)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ews.alerting import actions as institution_actions
from ews.alerting.cap_document import CapSource
from ews.alerting.service import (
    AlertActionForbidden,
    AlertStateConflict,
    InvalidInput,
    acknowledge_alert,
    alert_events,
    get_visible_alert,
    resolve_alert,
)
from ews.api.deps import RowId, SessionDep, SettingsDep
from ews.api.errors import Forbidden
from ews.auth.keys import Principal, Role
from ews.fields import Text
from ews.models import Community
from ews.models.base import utcnow
from ews.settings import Settings
from ews.web import alert_queue, geo, queries
from ews.web.alert_story import build_story
from ews.web.i18n import Lang, gettext_for, label
from ews.web.pages import (
    FORM_REFUSED,
    NOTICES,
    WebPrincipal,
    WebRoute,
    check_form,
    render,
    request_lang,
    see_other,
)

router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)


@router.get("")
def alert_queue_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    status_filter: Annotated[str, Query(alias="status")] = "active",
    community: str = "",
    category: str = "",
    level: str = "",
    institution: str = "",
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,10}$")] = None,
) -> Response:
    if status_filter not in alert_queue.QUEUE_STATUSES:
        status_filter = "active"
    level = level if level in alert_queue.LEVEL_ORDER else ""
    institution = institution if principal.role is not Role.institution else ""
    names = queries.community_names(session)
    community = _community_code(community.strip(), names)
    alerts, next_cursor = alert_queue.queue(
        session,
        principal=principal,
        status=status_filter,
        community=community or None,
        category=category or None,
        level=level or None,
        institution=institution or None,
        cursor=cursor,
    )
    filters = {
        "status": status_filter,
        "community": community,
        "category": category,
        "level": level,
        "institution": institution,
    }
    next_url = (
        f"/dashboard?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None
    )
    filtered = any(v for k, v in filters.items() if k != "status") or status_filter != "active"
    active = alert_queue.queue(session, principal=principal)[0] if filtered else alerts
    overview = geo.build_overview(
        queries.overview_shapes(session), alert_queue.highest_levels(active)
    )
    lang = request_lang(request)
    return render(
        request,
        "queue.html",
        overview=overview,
        overview_data=overview.data(_overview_texts(lang)),
        alerts=alerts,
        filters=filters,
        next_url=next_url,
        communities=names if len(names) <= COMMUNITY_SELECT_MAX else None,
        community_names=dict(names),
        categories=queries.categories(session),
        institutions=queries.institutions(session),
        statuses=alert_queue.QUEUE_STATUSES,
        notice=None,
    )


# Up to this many communities the filter is a list to pick from; beyond, a field to type a name
# in (the page's script offers the names the map already carries).
COMMUNITY_SELECT_MAX = 100


def _community_code(value: str, names: list[tuple[str, str]]) -> str:
    """The code of the community typed in the filter: its code, or its name in any case."""
    if not value or any(code == value for code, _ in names):
        return value
    folded = value.casefold()
    return next((code for code, name in names if name.casefold() == folded), value)


def _overview_texts(lang: Lang) -> dict[str, str]:
    """The words the map's script writes into each community's tooltip."""
    gettext = gettext_for(lang)
    return {
        **{level: label(lang, "level", level) for level in ("critical", "high", "warning")},
        "one": gettext.get("alerta abierta", "alerta abierta"),
        "many": gettext.get("alertas abiertas", "alertas abiertas"),
        "none": gettext.get("sin alertas abiertas", "sin alertas abiertas"),
    }


@router.get("/alerts/{alert_id}")
def alert_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipal,
    alert_id: RowId,
    notice: str | None = None,
) -> Response:
    alert = get_visible_alert(session, principal=principal, alert_id=alert_id)
    community = session.get(Community, alert.community_code)
    category = queries.categories(session).get(alert.category)
    own = principal.institution_code if principal.role is Role.institution else None
    return render(
        request,
        "alert.html",
        alert=alert,
        community=community,
        events=alert_events(session, alert_id=alert.id),
        context=category,
        story=build_story(
            session,
            alert=alert,
            community=community,
            category=category,
            lang=request_lang(request),
            indicator_names=queries.indicator_names(session),
            institutions={i.code: i for i in queries.institutions(session)},
            tile_template=settings.map_tile_url,
            principal=principal,
        ),
        responses=institution_actions.responses_of(session, alert=alert, now=utcnow()),
        action_labels={
            f"{code}:{type_}": {"es": t.label_es, "en": t.label_en}
            for (code, type_), t in institution_actions.labels(session).items()
        },
        # An institution records its own actions from the page (an admin uses the API).
        action_catalog=institution_actions.catalog(session, own)
        if own and own in alert.routed_to
        else [],
        action_statuses=institution_actions.STATUSES,
        own_institution=own,
        notice=notice if notice in NOTICES else None,
    )


@router.post("/alerts/{alert_id}/actions")
def record_action_from_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    alert_id: RowId,
    type_: Annotated[Text, Form(alias="type", max_length=60)] = "",
    status: Annotated[Text, Form(max_length=20)] = "",
    due: Annotated[Text, Form(max_length=10)] = "",
    note: Annotated[Text, Form(max_length=2000)] = "",
    reason: Annotated[Text, Form(max_length=2000)] = "",
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    """An institution records one of its catalog's actions on an alert routed to it, then back to
    the alert's page with a notice (a refused action is a notice too, not an error page)."""
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    page = f"/dashboard/alerts/{alert_id}"
    try:
        due_day = date.fromisoformat(due) if due.strip() else None
    except ValueError:
        return see_other(f"{page}?notice=action_invalid#responses")
    try:
        institution_actions.record_action(
            session,
            principal=principal,
            alert_id=alert_id,
            type_=type_.strip() or None,
            status=status.strip(),
            due=due_day,
            note=note.strip() or None,
            reason=reason.strip() or None,
            now=utcnow(),
        )
    except AlertActionForbidden:
        return see_other(f"{page}?notice=forbidden")
    except InvalidInput:
        return see_other(f"{page}?notice=action_invalid#responses")
    return see_other(f"{page}?notice=action#responses")


def _act(
    request: Request,
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    alert_id: int,
    note: str,
    csrf: str,
    action: str,
) -> Response:
    """Acknowledge or resolve, then back to the alert's page with a notice of what happened (an
    action the role or the alert's state does not allow is a notice too, not an error page)."""
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    page = f"/dashboard/alerts/{alert_id}"
    note = note.strip()
    if not note:
        return see_other(f"{page}?notice=note")
    try:
        if action == "acknowledge":
            acknowledge_alert(
                session, principal=principal, alert_id=alert_id, note=note, now=utcnow()
            )
        else:
            resolve_alert(
                session,
                principal=principal,
                alert_id=alert_id,
                note=note,
                now=utcnow(),
                cap=CapSource.of(settings),
            )
    except AlertActionForbidden:
        return see_other(f"{page}?notice=forbidden")
    except AlertStateConflict:
        return see_other(f"{page}?notice=closed")
    return see_other(f"{page}?notice={'ack' if action == 'acknowledge' else 'resolved'}")


def _action_route(action: str) -> Callable[..., Response]:
    def route(
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        principal: WebPrincipal,
        alert_id: RowId,
        note: Annotated[Text, Form(max_length=2000)] = "",
        csrf: Annotated[Text, Form(max_length=200)] = "",
    ) -> Response:
        return _act(
            request,
            session,
            settings,
            principal,
            alert_id=alert_id,
            note=note,
            csrf=csrf,
            action=action,
        )

    route.__name__ = action
    return route


for _action in ("acknowledge", "resolve"):
    router.add_api_route(
        f"/alerts/{{alert_id}}/{_action}", _action_route(_action), methods=["POST"]
    )
