"""``/dashboard``: sign-in, the alert queue, communities, deliveries, silences, reference data."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ews.alerting.cap import CapSource
from ews.alerting.service import (
    AlertActionForbidden,
    AlertNotFound,
    AlertStateConflict,
    InvalidInput,
    acknowledge_alert,
    alert_events,
    get_visible_alert,
    list_silences,
    resolve_alert,
)
from ews.api.deps import MAX_ROW_ID, RowId, SessionDep
from ews.api.fields import Text, clamp_day
from ews.auth.keys import Principal, Role, authenticate
from ews.models import Community
from ews.models.base import utcnow
from ews.settings import Settings
from ews.web import alert_queue, charts, geo, queries, throttle
from ews.web.alert_story import build_story
from ews.web.delivery_words import explain_delivery
from ews.web.i18n import LABELS, Lang, label
from ews.web.pages import (
    DASHBOARD_ROLES,
    MONTHS,
    AnalystPrincipal,
    WebPrincipal,
    WebRoute,
    check_form,
    render,
    request_lang,
)
from ews.web.session import (
    COOKIE_PATH,
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    csrf_token,
    issue_session,
    new_nonce,
)
from indicators import LIMA

router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)

MAP_DEFAULT_DAYS = 90
CHART_DAYS = 365
THREAT_TYPES = tuple(LABELS["threat"])
LAYERS = ("reports", "hotspots", "deforestation")
NOTICES = {"ack", "resolved", "signed_out", "note", "forbidden", "closed"}


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


# --- sign-in, sign-out, language ---------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, notice: str | None = None) -> Response:
    settings: Settings = request.app.state.settings
    nonce = new_nonce()
    response = render(
        request,
        "login.html",
        login_csrf=csrf_token(settings.secret_key, nonce),
        error=None,
        notice=notice if notice in NOTICES else None,
    )
    _set_cookie(response, request, LOGIN_COOKIE, nonce, max_age=3600)
    return response


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    key: Annotated[Text, Form(max_length=200)] = "",
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    settings: Settings = request.app.state.settings
    nonce = request.cookies.get(LOGIN_COOKIE)
    client = throttle.client_pseudonym(
        settings.secret_key, request.client.host if request.client else None
    )
    now = utcnow()
    window = timedelta(minutes=settings.sign_in_window_minutes)
    wait = throttle.wait_seconds(
        throttle.recent_failures(session, client=client, now=now, window=window),
        now=now,
        max_failures=settings.sign_in_max_failures,
        window=window,
    )
    if wait:
        minutes = math.ceil(wait / 60)
        return _login_page(
            request,
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Demasiados intentos fallidos; espere {minutes} min y vuelva a intentarlo.",
            headers={"Retry-After": str(wait)},
        )
    error = None
    if not check_form(request, csrf, nonce):
        return _login_page(
            request,
            status.HTTP_400_BAD_REQUEST,
            "El formulario venció o vino de otro sitio; inténtelo de nuevo.",
        )
    principal = authenticate(session, key.strip())
    if principal is None:
        error = "Clave inválida o revocada."
    elif principal.role not in DASHBOARD_ROLES:
        error = (
            "Esta clave no da acceso al panel (solo analistas e instituciones). "
            "Los monitores usan la página de reporte."
        )
    if error is not None or principal is None:
        throttle.record_failure(
            session,
            client=client,
            reason="invalid_key" if principal is None else "role",
            key_prefix=throttle.key_prefix(key),
        )
        return _login_page(request, status.HTTP_401_UNAUTHORIZED, error)
    throttle.record_success(session, client=client, actor=principal.name, key_id=principal.key_id)
    lifetime = int(settings.web_session_hours * 3600)
    cookie = issue_session(
        settings.secret_key, key_id=principal.key_id, now=datetime.now(UTC), lifetime_s=lifetime
    )
    signed_in = _see_other("/dashboard")
    _set_cookie(signed_in, request, SESSION_COOKIE, cookie, max_age=lifetime)
    signed_in.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return signed_in


def _login_page(
    request: Request, status_code: int, error: str | None, headers: dict[str, str] | None = None
) -> Response:
    """The sign-in form again, with a fresh anti-forgery token and the reason it failed."""
    settings: Settings = request.app.state.settings
    fresh = new_nonce()
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=csrf_token(settings.secret_key, fresh),
        error=error,
        notice=None,
    )
    response.headers.update(headers or {})
    _set_cookie(response, request, LOGIN_COOKIE, fresh, max_age=3600)
    return response


@router.post("/logout")
def logout(
    request: Request,
    principal: WebPrincipal,
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise HTTPException(status.HTTP_403_FORBIDDEN)
    response = _see_other("/dashboard/login?notice=signed_out")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: Lang, next: str = "/dashboard") -> Response:
    """Switch the pages' language and come back; only paths of this site are followed."""
    target = next if next.startswith("/dashboard") and "//" not in next else "/dashboard"
    response = _see_other(target)
    _set_cookie(response, request, LANG_COOKIE, code.value, max_age=365 * 86400)
    return response


# --- the alert queue ---------------------------------------------------------------------------


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
    try:
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
    except InvalidInput as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT) from exc
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
    communities = queries.communities(session)
    filtered = any(v for k, v in filters.items() if k != "status") or status_filter != "active"
    active = alert_queue.queue(session, principal=principal)[0] if filtered else alerts
    return render(
        request,
        "queue.html",
        overview=geo.build_overview(
            [(c.code, c.name, c.boundary) for c in communities], alert_queue.highest_levels(active)
        ),
        alerts=alerts,
        filters=filters,
        next_url=next_url,
        communities=communities,
        community_names={c.code: c.name for c in communities},
        categories=queries.categories(session),
        institutions=queries.institutions(session),
        statuses=alert_queue.QUEUE_STATUSES,
        notice=None,
    )


@router.get("/alerts/{alert_id}")
def alert_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    alert_id: RowId,
    notice: str | None = None,
) -> Response:
    try:
        alert = get_visible_alert(session, principal=principal, alert_id=alert_id)
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from exc
    community = session.get(Community, alert.community_code)
    category = queries.categories(session).get(alert.category)
    settings: Settings = request.app.state.settings
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
        ),
        notice=notice if notice in NOTICES else None,
    )


# --- communities -------------------------------------------------------------------------------


@router.get("/communities")
def communities_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    rows = queries.communities(session)
    if len(rows) == 1:
        return _see_other(f"/dashboard/communities/{rows[0].code}")
    return render(request, "communities.html", communities=rows)


def _parse_day(text: str, default: date, *, latest: date) -> date:
    """A day of the date boxes, kept between 2000-01-01 and ``latest`` (a box may say 9999-12-31)."""
    try:
        day = date.fromisoformat(text) if text else default
    except ValueError:
        day = default
    return clamp_day(day, latest=latest)


@router.get("/communities/{code}")
def community_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    code: str,
    since: str = "",
    until: str = "",
    layer: Annotated[list[str] | None, Query()] = None,
    threat: Annotated[list[str] | None, Query()] = None,
) -> Response:
    community = session.get(Community, code)
    if community is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    settings: Settings = request.app.state.settings
    lang = request_lang(request)
    now = utcnow()
    today = now.astimezone(LIMA).date()
    day_until = _parse_day(until, today, latest=today)
    day_since = _parse_day(since, day_until - timedelta(days=MAP_DEFAULT_DAYS), latest=day_until)
    layers = [name for name in (layer or LAYERS) if name in LAYERS]
    threats = [name for name in (threat or ()) if name in THREAT_TYPES]
    start = datetime.combine(day_since, datetime.min.time(), LIMA).astimezone(UTC)
    end = datetime.combine(day_until + timedelta(days=1), datetime.min.time(), LIMA).astimezone(UTC)
    bounds = geo.geometry_bounds(community.boundary, community.buffer)
    point_layers = map_layers(
        session,
        lang,
        community=community,
        bounds=bounds,
        start=start,
        end=end,
        layers=layers,
        threats=threats,
        day_since=day_since,
        day_until=day_until,
    )
    view = geo.build_map(
        boundary=community.boundary,
        buffer=community.buffer,
        bounds=bounds,
        layers=point_layers,
        tile_template=settings.map_tile_url,
    )
    chart_start = today - timedelta(days=CHART_DAYS)
    series = queries.daily_series(
        session,
        community_code=code,
        since=datetime.combine(chart_start, datetime.min.time(), UTC),
    )
    rules = queries.rules(session)
    latest = queries.latest_values(session, community_code=code)
    indicator_charts = []
    for rule in rules.values():
        indicator_charts.append(
            {
                "rule": rule,
                "latest": latest.get(rule.code),
                "chart": charts.build_chart(
                    series.get(rule.code, []),
                    thresholds={
                        "warning": rule.warning,
                        "high": rule.high,
                        "critical": rule.critical,
                    },
                    start=chart_start,
                    end=today,
                    month_names=MONTHS[lang],
                ),
                "points": len(series.get(rule.code, [])),
            }
        )
    index = latest.get("threat_index")
    open_alerts, _ = alert_queue.queue(
        session, principal=principal, status="active", community=code
    )
    return render(
        request,
        "community.html",
        community=community,
        view=view,
        since=day_since.isoformat(),
        until=day_until.isoformat(),
        layers=layers,
        all_layers=LAYERS,
        threats=threats,
        threat_types=THREAT_TYPES,
        indicator_charts=indicator_charts,
        index=index,
        contributions=charts.contributions(index.details) if index else [],
        rules=rules,
        open_alerts=open_alerts,
        categories=queries.categories(session),
    )


def map_layers(
    session: Session,
    lang: Lang,
    *,
    community: Community,
    bounds: queries.Bounds,
    start: datetime,
    end: datetime,
    layers: list[str],
    threats: list[str],
    day_since: date,
    day_until: date,
) -> list[tuple[str, list[geo.MapPoint]]]:
    """The points of each chosen layer, with a short tooltip (date, type, severity or confidence)."""
    result: list[tuple[str, list[geo.MapPoint]]] = []
    if "deforestation" in layers:
        rows = queries.map_deforestation(
            session, bounds=bounds, since=day_since, until=day_until + timedelta(days=1)
        )
        result.append(
            (
                "deforestation",
                [
                    geo.MapPoint(
                        lon,
                        lat,
                        f"d-{confidence}",
                        f"{day:%d/%m/%Y} · {label(lang, 'dataset', dataset)} · "
                        f"{label(lang, 'confidence', confidence)} · {area:.2f} ha",
                    )
                    for lon, lat, dataset, confidence, day, area in rows
                ],
            )
        )
    if "hotspots" in layers:
        rows_h = queries.map_hotspots(session, bounds=bounds, since=start, until=end)
        result.append(
            (
                "hotspots",
                [
                    geo.MapPoint(
                        lon,
                        lat,
                        f"h-{confidence}",
                        f"{at.astimezone(LIMA):%d/%m/%Y %H:%M} · {instrument} · "
                        f"{label(lang, 'confidence', confidence)}",
                    )
                    for lon, lat, confidence, instrument, at in rows_h
                ],
            )
        )
    if "reports" in layers:
        rows_r = queries.map_reports(
            session, community=community, since=start, until=end, types=threats
        )
        result.append(
            (
                "reports",
                [
                    geo.MapPoint(
                        lon,
                        lat,
                        f"t-{kind}",
                        f"{at.astimezone(LIMA):%d/%m/%Y %H:%M} · {label(lang, 'threat', kind)} · {severity}/5",
                    )
                    for lon, lat, kind, severity, at in rows_r
                ],
            )
        )
    return result


# --- deliveries, silences, reference -----------------------------------------------------------


@router.get("/deliveries")
def deliveries_page(
    request: Request,
    session: SessionDep,
    principal: AnalystPrincipal,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> Response:
    rows, more = queries.deliveries(session, limit=200, offset=offset)
    settings: Settings = request.app.state.settings
    lang = request_lang(request)
    return render(
        request,
        "deliveries.html",
        rows=rows,
        explained={
            d.message.id: explain_delivery(
                status=d.message.status,
                last_error=d.message.last_error,
                attempts=d.message.attempts,
                max_attempts=settings.delivery_max_attempts,
                lang=lang,
            )
            for d in rows
        },
        catches_mail=settings.catches_mail,
        mail_dir=settings.mail_dir,
        community_names={c.code: c.name for c in queries.communities(session)},
        categories=queries.categories(session),
        next_url=f"/dashboard/deliveries?offset={offset + 200}" if more else None,
    )


@router.get("/silences")
def silences_page(request: Request, session: SessionDep, principal: AnalystPrincipal) -> Response:
    now = utcnow()
    return render(
        request,
        "silences.html",
        silences=list_silences(session, principal=principal, now=now, include_expired=True),
        categories=queries.categories(session),
    )


@router.get("/reference")
def reference_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    items = queries.factsheet(session)
    kinds: dict[str, list[Any]] = {}
    for item in items:
        kinds.setdefault(item.kind, []).append(item)
    return render(
        request,
        "reference.html",
        institutions=queries.institutions(session),
        routing=queries.routing(session),
        categories=queries.categories(session),
        factsheet=kinds,
    )


# --- acknowledge and resolve (the alerts service does the work) --------------------------------


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    alert_id: int,
    note: str,
    csrf: str,
    action: str,
) -> Response:
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise HTTPException(status.HTTP_403_FORBIDDEN)
    page = f"/dashboard/alerts/{alert_id}"
    note = note.strip()
    if not note:
        return _see_other(f"{page}?notice=note")
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
                cap=CapSource.of(request.app.state.settings),
            )
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from exc
    except AlertActionForbidden:
        return _see_other(f"{page}?notice=forbidden")
    except AlertStateConflict:
        return _see_other(f"{page}?notice=closed")
    return _see_other(f"{page}?notice={'ack' if action == 'acknowledge' else 'resolved'}")


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    alert_id: RowId,
    note: Annotated[Text, Form(max_length=2000)] = "",
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    return _act(
        request, session, principal, alert_id=alert_id, note=note, csrf=csrf, action="acknowledge"
    )


@router.post("/alerts/{alert_id}/resolve")
def resolve(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    alert_id: RowId,
    note: Annotated[Text, Form(max_length=2000)] = "",
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    return _act(
        request, session, principal, alert_id=alert_id, note=note, csrf=csrf, action="resolve"
    )
