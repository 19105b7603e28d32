"""``/dashboard/reports/{id}``: one patrol report as evidence. Never who sent it; its words only
when the category its threat counts towards allows them. Analysts and admins see every report; an
institution, the reports behind the alerts routed to it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.auth.keys import Principal, Role
from ews.models import Community, Report
from ews.web import alert_queue, geo, queries
from ews.web.i18n import label
from ews.web.pages import PAGE_NOT_FOUND, WebPrincipal, WebRoute, render, request_lang
from ews.web.photo_view import photo_urls
from indicators import LIMA

router = APIRouter(prefix="/dashboard/reports", route_class=WebRoute, include_in_schema=False)


def words_allowed(session: Session, threat_type: str) -> bool:
    """Whether a report's own words may be shown: every category its threat type counts towards
    allows them (a threat that counts towards none, like "all quiet", keeps them too)."""
    categories = queries.categories(session)
    counted = [
        rule.category
        for rule in queries.rules(session).values()
        if threat_type in (rule.params or {}).get("threat_types", [])
    ]
    return bool(counted) and all(
        (c := categories.get(category)) is not None and c.reporter_words_allowed
        for category in counted
    )


def _may_see(session: Session, principal: Principal, report: Report) -> bool:
    if principal.role is not Role.institution:
        return True
    # The newest alerts of the community routed to this institution, any status.
    alerts, _ = alert_queue.queue(
        session, principal=principal, status="all", community=report.community_code
    )
    return any(
        report.id in [str(i) for i in (a.evidence or {}).get("report_ids", [])] for a in alerts
    )


@router.get("/{report_id}")
def report_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipal,
    report_id: uuid.UUID,
) -> Response:
    report = session.get(Report, str(report_id))
    if report is None or not _may_see(session, principal, report):
        raise NotFound("report_not_found", PAGE_NOT_FOUND)
    community = session.get(Community, report.community_code)
    lang = request_lang(request)
    view = None
    if community is not None:
        local = report.observed_at.astimezone(LIMA)
        points = (
            [
                geo.MapPoint(
                    report.longitude,
                    report.latitude,
                    f"t-{report.threat_type}",
                    f"{local:%d/%m/%Y %H:%M} · {label(lang, 'threat', report.threat_type)}",
                )
            ]
            if report.longitude is not None and report.latitude is not None
            else []
        )
        view = geo.build_map(
            boundary=community.boundary,
            buffer=community.buffer,
            bounds=geo.geometry_bounds(community.boundary, community.buffer),
            layers=[("reports", points)],
            tile_template=settings.map_tile_url,
        )
    return render(
        request,
        "patrol_report.html",
        report=report,
        community=community,
        view=view,
        show_words=words_allowed(session, report.threat_type),
        photos=photo_urls(session, report.id),
    )
