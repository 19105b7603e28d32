"""``/dashboard``: how the service itself stands: its deliveries (failures first, each explained),
its silences, and the reference data it routes by (institutions, routing, the fact sheet)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ews.alerting.service import list_silences
from ews.api.deps import SessionDep, SettingsDep
from ews.fields import MAX_ROW_ID
from ews.models.base import utcnow
from ews.web import queries
from ews.web.delivery_words import describe_digest, explain_delivery
from ews.web.pages import AnalystPrincipal, WebPrincipal, WebRoute, render, request_lang

router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)


@router.get("/deliveries")
def deliveries_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnalystPrincipal,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> Response:
    rows, more = queries.deliveries(session, limit=200, offset=offset)
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
        digests={
            d.message.id: describe_digest(d.message.payload, lang)
            for d in rows
            if d.message.digest_id is not None
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
