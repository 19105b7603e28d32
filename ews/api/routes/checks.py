"""Field checks: ``GET /api/v1/checks`` and ``POST /api/v1/checks/{id}/verdict``."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status
from fastapi.responses import JSONResponse

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import Conflict, Forbidden, InvalidData, NotFound
from ews.api.limits import enforce_intake_rate
from ews.api.roles import MonitorAnalystOrAdmin
from ews.auth.keys import Principal, Role
from ews.auth.pseudonyms import pseudonymize
from ews.checks.listing import CheckOut, CheckPage, CheckStatus, get_check, list_checks
from ews.checks.verdicts import (
    VerdictIn,
    VerdictOutcome,
    read_verdict,
    store_verdict,
)
from ews.fields import clamp_utc
from ews.models import CheckSource, FieldCheck
from ews.models.base import utcnow

router = APIRouter(prefix="/api/v1/checks", tags=["checks"])

INVALID_VERDICT = (
    "El veredicto tiene datos inválidos; corrija los campos indicados. / The verdict has invalid "
    "data; fix the fields listed."
)
NO_CHECK = (
    "No existe esa verificación (o no es de su comunidad). / No such field check (or it is not "
    "your community's)."
)
VERDICT_CONFLICT = (
    "Ya existe un veredicto con este id y otro contenido; genere un id nuevo. / A verdict with "
    "this id and different content exists; use a new id."
)
ALREADY_ANSWERED = (
    "Esta verificación ya tiene un veredicto; no se cambia. / This field check already has a "
    "verdict; it is not changed."
)
VERDICT_SCHEMA = {
    key: value
    for key, value in VerdictIn.model_json_schema(
        ref_template="#/components/schemas/{model}"
    ).items()
    if key != "$defs"
}


def _encode_cursor(key: tuple[datetime, str]) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        seen, check_id = json.loads(raw)
        moment = datetime.fromisoformat(seen)
        if moment.tzinfo is None:
            raise ValueError(seen)
        return clamp_utc(moment), str(check_id)
    except (ValueError, TypeError) as exc:
        raise InvalidData(
            "bad_cursor",
            "El cursor no es válido; use el valor 'next'. / Invalid cursor; use 'next'.",
        ) from exc


@router.get("", response_model=CheckPage, summary="Verificaciones de campo / Field checks")
def get_checks(
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorAnalystOrAdmin,
    community: str | None = None,
    status: CheckStatus | None = None,
    source: CheckSource | None = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: str | None = None,
) -> CheckPage:
    """Newest first. A monitor sees its own community's checks, the open ones unless ``status``
    says otherwise; analysts and admins see all, filtered by ``community``, ``status`` (``open``,
    ``confirmed``, ``false_alarm``, ``unreachable``) and ``source`` (``firms``, ``gfw``)."""
    if principal.role is Role.monitor:
        if community is not None and community != principal.community_code:
            raise Forbidden(
                "checks_of_other_community",
                "Su clave solo ve las verificaciones de su comunidad. / Your key only sees its "
                "own community's field checks.",
            )
        community = principal.community_code
        status = status or CheckStatus.open
    items, last = list_checks(
        session,
        community=community,
        status=status,
        source=source,
        after=_decode_cursor(cursor) if cursor else None,
        limit=min(limit, settings.page_max),
    )
    return CheckPage(items=items, next=_encode_cursor(last) if last else None)


def _check_for(session: SessionDep, principal: Principal, check_id: str) -> FieldCheck:
    check = session.get(FieldCheck, check_id) if len(check_id) <= 36 else None
    if check is None or (
        principal.role is Role.monitor and check.community_code != principal.community_code
    ):
        raise NotFound("check_not_found", NO_CHECK)
    return check


@router.post(
    "/{check_id}/verdict",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckOut,
    summary="Dar el veredicto de una verificación / Give a field check's verdict",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VERDICT_SCHEMA}},
        }
    },
    responses={200: {"description": "Reenvío idéntico / identical resend"}, 404: {}, 409: {}},
)
def post_verdict(
    check_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorAnalystOrAdmin,
    payload: Annotated[Any, Body()],
) -> Any:
    """``{"id", "verdict", "note"}``: 201 with the check; 200 for an identical resend; 409 for the
    same id with other content or a check already answered; 404 for a check of another community."""
    enforce_intake_rate(request, principal)
    check = _check_for(session, principal, check_id)
    verdict, errors = read_verdict(payload)
    if verdict is None:
        raise InvalidData("verdict_invalid", INVALID_VERDICT, errors=errors)
    result = store_verdict(
        session,
        check=check,
        verdict=verdict,
        reporter_pseudonym=pseudonymize(settings.secret_key, principal.identity),
        now=utcnow(),
    )
    if result.outcome is VerdictOutcome.conflict:
        raise Conflict.field("verdict_conflict", VERDICT_CONFLICT, "id", VERDICT_CONFLICT)
    if result.outcome is VerdictOutcome.answered:
        raise Conflict.field("check_answered", ALREADY_ANSWERED, "id", ALREADY_ANSWERED)
    out = get_check(session, check.id)
    assert out is not None
    code = status.HTTP_201_CREATED if result.outcome is VerdictOutcome.created else 200
    return JSONResponse(out.model_dump(mode="json"), status_code=code)
