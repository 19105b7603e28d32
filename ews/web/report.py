"""``/report``: the monitors' offline-capable patrol report page and its service worker."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from ews.api.deps import SessionDep
from ews.api.roles import MonitorOrAdmin
from ews.models import Community
from ews.web.assets import asset, asset_url
from ews.web.i18n import LABELS, Lang, label
from ews.web.pages import WebRoute, environment

router = APIRouter(prefix="/report", route_class=WebRoute, include_in_schema=False)
# JSON for the page's script: plain API errors, not pages.
api_router = APIRouter(prefix="/report", include_in_schema=False)

ASSETS = (
    "report.js",
    "report-checks.js",
    "report-patrol.js",
    "report-messages.js",
    "report.css",
    "icon.svg",
)
# Most frequent first; "all_quiet" leads because most patrols find nothing, and saying so matters.
THREAT_ORDER = ("all_quiet", *(t for t in LABELS["threat"] if t != "all_quiet"))


@router.get("", response_class=HTMLResponse)
def report_page(request: Request) -> Response:
    """The page itself needs no key: the monitor enters it once and the phone keeps it."""
    html = (
        environment(Lang.es)
        .get_template("report.html")
        .render(
            threats=[
                (value, label(Lang.es, "threat", value).capitalize()) for value in THREAT_ORDER
            ]
        )
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/sw.js")
def service_worker() -> Response:
    urls = ["/report", *(asset_url(name) for name in ASSETS)]
    version = "-".join(found.etag[:6] for name in ASSETS if (found := asset(name)))
    body = environment(Lang.es).get_template("report-sw.js").render(urls=urls, version=version)
    return Response(
        body,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/report"},
    )


class Me(BaseModel):
    role: str
    community: str | None
    community_name: str | None


@api_router.get("/me")
def who_am_i(principal: MonitorOrAdmin, session: SessionDep) -> Me:
    """The community a monitor's key reports for (no name, no key id: only what the page needs)."""
    community = (
        session.get(Community, principal.community_code) if principal.community_code else None
    )
    return Me(
        role=principal.role.value,
        community=principal.community_code,
        community_name=community.name if community else None,
    )
