"""``/dashboard/communities``: the list, and one community's page: its map (reports, fire hotspots,
deforestation alerts in chosen layers and days), its indicator charts and its open alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.checks.listing import confirmation_rates
from ews.fields import clamp_day
from ews.models import Community
from ews.models.base import utcnow
from ews.photos.service import may_read_field_photos
from ews.web import alert_queue, charts, geo, queries
from ews.web.i18n import LABELS, Lang, label
from ews.web.pages import (
    MONTHS,
    PAGE_NOT_FOUND,
    WebPrincipal,
    WebRoute,
    render,
    request_lang,
    see_other,
)
from ews.web.patrol_view import effort_view
from indicators import LIMA

router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)

MAP_DEFAULT_DAYS = 90
CHART_DAYS = 365
THREAT_TYPES = tuple(LABELS["threat"])
LAYERS = ("reports", "hotspots", "deforestation")


@router.get("/communities")
def communities_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    rows = queries.communities(session)
    if len(rows) == 1:
        return see_other(f"/dashboard/communities/{rows[0].code}")
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
    settings: SettingsDep,
    principal: WebPrincipal,
    code: str,
    since: str = "",
    until: str = "",
    layer: Annotated[list[str] | None, Query()] = None,
    threat: Annotated[list[str] | None, Query()] = None,
) -> Response:
    community = session.get(Community, code)
    if community is None:
        raise NotFound("community_not_found", PAGE_NOT_FOUND)
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
        confirmation=confirmation_rates(session, code),
        effort=effort_view(
            session,
            community=community,
            rules=rules,
            latest=latest,
            now=now,
            lang=lang,
            with_photos=may_read_field_photos(principal, code),
        ),
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
