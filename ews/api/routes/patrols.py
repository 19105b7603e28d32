"""Patrols: ``POST /api/v1/patrols`` (JSON, or a GPX body) and ``GET /api/v1/patrols``; and the
answer to a Kobo patrol submission (``POST /api/v1/intake/kobo`` with a geotrace)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import Conflict, Forbidden, InvalidData, RefusedAndKept
from ews.api.limits import enforce_intake_rate
from ews.api.roles import AnalystOrAdmin, MonitorOrAdmin
from ews.auth.keys import Principal, Role
from ews.auth.pseudonyms import pseudonymize
from ews.fields import FilterTime, clamp_utc
from ews.intake.idempotent import StoreStatus
from ews.intake.kobo import KoboStatus, mapping_from
from ews.intake.kobo_patrols import patrol_mapping, receive_kobo_patrol, track_answer
from ews.intake.patrols import PatrolNotForKey, PatrolOut, store_patrol, validate_patrol
from ews.intake.tracks import Track, TrackError, read_gpx
from ews.models import Patrol
from ews.models.base import utcnow
from ews.photos.links import owned_photo_links
from ews.settings import Settings

router = APIRouter(prefix="/api/v1/patrols", tags=["patrols"])

GPX_TYPES = ("application/gpx+xml", "application/gpx")
INVALID_PATROL = (
    "El patrullaje tiene datos inválidos; corrija los campos indicados. / The patrol has invalid "
    "data; fix the fields listed."
)
CONFLICT = (
    "Ya existe un patrullaje con este id y otro contenido; genere un id nuevo para un patrullaje "
    "nuevo. / A patrol with this id and different content exists; use a new id for a new patrol."
)
NOT_FOR_KEY = (
    "Su clave solo envía patrullajes de su comunidad. / Your key only sends its own community's "
    "patrols."
)
PATROL_SCHEMA = {
    "type": "object",
    "required": ["id", "community", "started_at", "ended_at", "track"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "community": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": "string", "format": "date-time"},
        "monitors": {"type": "integer", "minimum": 1, "maximum": 500, "default": 1},
        "track": {"type": "object", "description": "GeoJSON LineString / MultiLineString"},
    },
}


class PatrolPage(BaseModel):
    items: list[PatrolOut]
    next: str | None = None


def _gpx_payload(request: Request) -> dict[str, Any]:
    """The patrol fields of a GPX upload, from the query (``id``, ``community``, ``monitors``,
    ``started_at``, ``ended_at``); anything else in the query is refused, never dropped."""
    known = ("id", "community", "monitors", "started_at", "ended_at")
    unknown = sorted(k for k in request.query_params if k not in known)
    if unknown:
        raise InvalidData(
            "patrol_invalid",
            INVALID_PATROL,
            errors=[
                {"field": k, "message": "campo no reconocido / unknown field"} for k in unknown
            ],
        )
    payload: dict[str, Any] = {k: v for k, v in request.query_params.items() if k in known}
    if "monitors" in payload and payload["monitors"].strip().isdigit():
        payload["monitors"] = int(payload["monitors"])
    return payload


def _store(
    session: Session,
    settings: Settings,
    principal: Principal,
    payload: Any,
    track: Track | None,
    source: str,
) -> tuple[StoreStatus, Patrol]:
    now = utcnow()
    try:
        patrol, errors = validate_patrol(
            session,
            payload,
            now=now,
            future_tolerance=timedelta(minutes=settings.report_future_tolerance_minutes),
            community_of_key=principal.community_code if principal.role is Role.monitor else None,
            track=track,
        )
    except PatrolNotForKey as refused:
        raise Forbidden("patrol_of_other_community", NOT_FOR_KEY, errors=refused.errors) from None
    if patrol is None:
        raise InvalidData("patrol_invalid", INVALID_PATROL, errors=errors)
    outcome, stored = store_patrol(
        session,
        patrol=patrol,
        submitter_pseudonym=pseudonymize(settings.secret_key, principal.identity),
        source=source,
        now=now,
    )
    if outcome is StoreStatus.conflict or stored is None:
        raise Conflict.field("patrol_conflict", CONFLICT, "id", CONFLICT)
    return outcome, stored


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PatrolOut,
    summary="Enviar un patrullaje con su ruta / Send a patrol with its track",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": PATROL_SCHEMA},
                "application/gpx+xml": {"schema": {"type": "string"}},
            },
        }
    },
    responses={200: {"description": "Reenvío idéntico / identical resend"}, 409: {}, 422: {}},
)
async def post_patrol(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorOrAdmin,
) -> Any:
    """JSON ``{"id", "community", "started_at", "ended_at", "monitors", "track"}`` (track a GeoJSON
    LineString or MultiLineString, lon/lat), or a GPX body (``Content-Type: application/gpx+xml``)
    with ``?id=&community=`` (``started_at``/``ended_at`` default to the first and last point
    times, ``monitors`` to 1). 201 created; 200 identical resend; 409 same id, other content;
    403 a monitor key's patrol of another community; 422 with the fields to fix."""
    enforce_intake_rate(request, principal)
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    track: Track | None = None
    if content_type in GPX_TYPES:
        payload = _gpx_payload(request)
        try:
            track = read_gpx(body)
        except TrackError as exc:
            raise InvalidData.field("patrol_invalid", INVALID_PATROL, "gpx", exc.message) from None
        if track.first_time is not None:
            payload.setdefault("started_at", track.first_time.isoformat())
        if track.last_time is not None:
            payload.setdefault("ended_at", track.last_time.isoformat())
        source = "gpx"
    else:
        try:
            payload = json.loads(body)
        except ValueError:
            raise InvalidData.field(
                "patrol_invalid",
                INVALID_PATROL,
                "body",
                "el cuerpo no es JSON válido (o envíe GPX con Content-Type: application/gpx+xml) "
                "/ the body is not valid JSON (or send GPX with Content-Type: "
                "application/gpx+xml)",
            ) from None
        source = "api"
    outcome, stored = await run_in_threadpool(
        _store, session, settings, principal, payload, track, source
    )
    body_out = PatrolOut.of(stored).model_dump(mode="json")
    code = status.HTTP_201_CREATED if outcome is StoreStatus.created else status.HTTP_200_OK
    return JSONResponse(body_out, status_code=code)


def _encode_cursor(patrol: Patrol) -> str:
    raw = json.dumps([patrol.ended_at.isoformat(), patrol.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ended, patrol_id = json.loads(raw)
        moment = datetime.fromisoformat(ended)
        if moment.tzinfo is None:
            raise ValueError(ended)
        return clamp_utc(moment), str(patrol_id)
    except (ValueError, TypeError) as exc:
        raise InvalidData(
            "bad_cursor",
            "El cursor no es válido; use el valor 'next'. / Invalid cursor; use 'next'.",
        ) from exc


@router.get("", response_model=PatrolPage, summary="Patrullajes / Patrols")
def list_patrols(
    session: SessionDep,
    settings: SettingsDep,
    principal: AnalystOrAdmin,
    community: str | None = None,
    since: Annotated[FilterTime | None, Query()] = None,
    until: Annotated[FilterTime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: str | None = None,
) -> PatrolPage:
    """Patrols by ``ended_at`` then id (``since``/``until`` bound ``ended_at``); never who walked."""
    limit = min(limit, settings.page_max)
    query = select(Patrol)
    if community is not None:
        query = query.where(Patrol.community_code == community)
    if since is not None:
        query = query.where(Patrol.ended_at >= since)
    if until is not None:
        query = query.where(Patrol.ended_at < until)
    if cursor:
        after_ended, after_id = _decode_cursor(cursor)
        query = query.where(
            or_(
                Patrol.ended_at > after_ended,
                and_(Patrol.ended_at == after_ended, Patrol.id > after_id),
            )
        )
    rows = list(
        session.execute(query.order_by(Patrol.ended_at, Patrol.id).limit(limit + 1)).scalars()
    )
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    items = [PatrolOut.of(row) for row in rows[:limit]]
    links = owned_photo_links(session, "patrol_id", [item.id for item in items])
    for item in items:
        item.photos = links[item.id]
    return PatrolPage(items=items, next=next_cursor)


KOBO_STATUS_CODES = {
    KoboStatus.created: 201,
    KoboStatus.duplicate: 200,
    KoboStatus.replaced: 200,
    KoboStatus.superseded: 200,
}


def kobo_patrol_answer(
    session: Session,
    settings: Settings,
    *,
    submission: Any,
    submitter_identity: str,
) -> JSONResponse | None:
    """The answer to a Kobo submission that is a patrol (it answers a track question), or
    ``None`` for any other submission (a report)."""
    mapping = patrol_mapping(settings.kobo_mapping)
    if track_answer(submission, mapping) is None:
        return None
    now = utcnow()
    outcome = receive_kobo_patrol(
        session,
        submission=submission,
        mapping=mapping,
        community_questions=mapping_from(settings.kobo_mapping)["community"],
        submitter_pseudonym=pseudonymize(settings.secret_key, submitter_identity),
        secret_key=settings.secret_key,
        now=now,
        future_tolerance=timedelta(minutes=settings.report_future_tolerance_minutes),
    )
    if outcome.status is KoboStatus.invalid:
        raise RefusedAndKept(
            "kobo_patrol_invalid",
            "El envío de Kobo no se pudo leer como patrullaje; corrija el formulario o el mapeo. "
            "/ The Kobo submission could not be read as a patrol; fix the form or the mapping.",
            errors=outcome.errors,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    if outcome.status is KoboStatus.conflict or outcome.patrol is None:
        raise RefusedAndKept(
            "kobo_conflict",
            "Este meta/instanceID ya se recibió con otro contenido. / This meta/instanceID was "
            "already received with other content.",
            status_code=status.HTTP_409_CONFLICT,
        )
    return JSONResponse(
        {"id": outcome.patrol.id, "kind": "patrol", "status": outcome.status.value},
        status_code=KOBO_STATUS_CODES[outcome.status],
    )
