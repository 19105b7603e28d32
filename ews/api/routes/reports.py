"""Patrol reports: ``POST /api/v1/reports``, ``POST /api/v1/reports/batch``, ``GET /api/v1/reports``."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import and_, or_, select

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import INVALID_REPORT, Conflict, Forbidden, InvalidData, TooLarge
from ews.api.limits import enforce_intake_rate
from ews.api.roles import MonitorAnalystOrAdmin, MonitorOrAdmin
from ews.auth.keys import Principal, Role
from ews.auth.pseudonyms import pseudonymize
from ews.fields import FilterTime, clamp_utc
from ews.intake.idempotent import StoreStatus
from ews.intake.listeners import schedule_report_listeners
from ews.intake.reports import (
    ReportIn,
    ReportNotForKey,
    ReportOut,
    ThreatType,
    store_report,
    validate_report,
)
from ews.models import Report
from ews.models.base import utcnow
from ews.photos.service import pending_fetches, photo_links

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

CONFLICT = (
    "Ya existe un reporte con este id y otro contenido; genere un id nuevo para un reporte nuevo. / "
    "A report with this id and different content exists; use a new id for a new report."
)
REPORT_SCHEMA = {
    key: value
    for key, value in ReportIn.model_json_schema(
        ref_template="#/components/schemas/{model}"
    ).items()
    if key != "$defs"
}


class BatchItem(BaseModel):
    id: str | None
    status: StoreStatus
    errors: list[dict[str, str]]


class BatchOut(BaseModel):
    items: list[BatchItem]


class ReportPage(BaseModel):
    items: list[ReportOut]
    next: str | None = None


def _store_one(
    session: SessionDep, settings: SettingsDep, principal: Principal, payload: Any
) -> tuple[StoreStatus, Report | None, list[dict[str, str]]]:
    """Validate and store one report. ``ReportNotForKey`` when a monitor key sends for another
    community (the single post answers 403; a batch counts the item invalid)."""
    now = utcnow()
    report, errors = validate_report(
        session,
        payload,
        now=now,
        future_tolerance=timedelta(minutes=settings.report_future_tolerance_minutes),
        community_of_key=principal.community_code if principal.role is Role.monitor else None,
    )
    if report is None:
        return StoreStatus.invalid, None, errors
    outcome, stored = store_report(
        session,
        report=report,
        reporter_pseudonym=pseudonymize(settings.secret_key, principal.identity),
        source="api",
        now=now,
    )
    return outcome, stored, []


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    summary="Enviar un reporte de patrulla / Send a patrol report",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": REPORT_SCHEMA}},
        }
    },
    responses={200: {"description": "Reenvío idéntico / identical resend"}, 409: {}, 422: {}},
)
def post_report(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorOrAdmin,
    payload: Annotated[Any, Body()],
) -> Any:
    """201 created; 200 with the stored record on an identical resend; 409 same id, other content;
    403 for a monitor key's report about another community."""
    enforce_intake_rate(request, principal)
    outcome, stored, errors = _store_one(session, settings, principal, payload)
    if outcome is StoreStatus.invalid:
        raise InvalidData("report_invalid", INVALID_REPORT, errors=errors)
    if outcome is StoreStatus.conflict:
        raise Conflict.field("report_conflict", CONFLICT, "id", CONFLICT)
    assert stored is not None
    body = ReportOut.of(stored).model_dump(mode="json")
    if outcome is StoreStatus.created:
        schedule_report_listeners(background, request.app, [stored])
        return JSONResponse(body, status_code=status.HTTP_201_CREATED)
    return JSONResponse(body, status_code=status.HTTP_200_OK)


@router.post(
    "/batch",
    response_model=BatchOut,
    summary="Enviar varios reportes / Send several reports",
)
def post_batch(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorOrAdmin,
    payload: Annotated[Any, Body()],
) -> Any:
    """``{"reports": [...]}``: one result per report, in order; safe to resend whole."""
    enforce_intake_rate(request, principal)
    reports = payload.get("reports") if isinstance(payload, dict) else None
    if not isinstance(reports, list):
        raise InvalidData.field(
            "batch_invalid",
            INVALID_REPORT,
            "reports",
            "se espera una lista de reportes / expected a list",
        )
    unknown = sorted(str(key) for key in payload if key != "reports")
    if unknown:
        raise InvalidData(
            "batch_invalid",
            INVALID_REPORT,
            errors=[
                {"field": key, "message": "campo no reconocido / unknown field"} for key in unknown
            ],
        )
    if len(reports) > settings.report_batch_max:
        raise TooLarge(
            "batch_too_large",
            f"Envíe como máximo {settings.report_batch_max} reportes por lote. / Send at most "
            f"{settings.report_batch_max} reports per batch.",
        )
    items: list[BatchItem] = []
    created: list[Report] = []
    for payload_item in reports:
        try:
            outcome, stored, errors = _store_one(session, settings, principal, payload_item)
        except ReportNotForKey as refused:
            outcome, stored, errors = StoreStatus.invalid, None, refused.errors
        if outcome is StoreStatus.conflict:
            errors = [{"field": "id", "message": CONFLICT}]
        raw_id = payload_item.get("id") if isinstance(payload_item, dict) else None
        items.append(
            BatchItem(
                id=stored.id if stored is not None else (str(raw_id) if raw_id else None),
                status=outcome,
                errors=errors,
            )
        )
        if outcome is StoreStatus.created and stored is not None:
            created.append(stored)
    schedule_report_listeners(background, request.app, created)
    return BatchOut(items=items)


def _encode_cursor(report: Report) -> str:
    raw = json.dumps([report.observed_at.isoformat(), report.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        observed, report_id = json.loads(raw)
        moment = datetime.fromisoformat(observed)
        if moment.tzinfo is None:
            raise ValueError(observed)
        return clamp_utc(moment), str(report_id)
    except (ValueError, TypeError) as exc:
        raise InvalidData(
            "bad_cursor",
            "El cursor no es válido; use el valor 'next'. / Invalid cursor; use 'next'.",
        ) from exc


@router.get("", response_model=ReportPage, summary="Reportes / Reports")
def list_reports(
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorAnalystOrAdmin,
    community: str | None = None,
    threat_type: ThreatType | None = None,
    since: Annotated[FilterTime | None, Query()] = None,
    until: Annotated[FilterTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: str | None = None,
) -> ReportPage:
    """Reports by ``observed_at`` then id; a monitor sees only its own community."""
    if principal.role is Role.monitor:
        if community is not None and community != principal.community_code:
            raise Forbidden(
                "reports_of_other_community",
                "Su clave solo ve los reportes de su comunidad. / Your key only sees its own "
                "community's reports.",
            )
        community = principal.community_code
    limit = min(limit, settings.page_max)
    query = select(Report)
    if community is not None:
        query = query.where(Report.community_code == community)
    if threat_type is not None:
        query = query.where(Report.threat_type == threat_type.value)
    if since is not None:
        query = query.where(Report.observed_at >= since)
    if until is not None:
        query = query.where(Report.observed_at < until)
    if cursor:
        after_observed, after_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                Report.observed_at > after_observed,
                and_(Report.observed_at == after_observed, Report.id > after_id),
            )
        )
    rows = list(
        session.execute(query.order_by(Report.observed_at, Report.id).limit(limit + 1)).scalars()
    )
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    ids = [row.id for row in rows]
    photos, pending = photo_links(session, ids), pending_fetches(session, ids)
    items = [ReportOut.of(row, photos[row.id], pending.get(row.id, 0)) for row in rows]
    return ReportPage(items=items, next=next_cursor)


__all__ = ["ReportIn", "router"]
