"""Intake from other systems: ``POST /api/v1/intake/kobo`` and ``POST /api/v1/intake/sms``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import RefusedAndKept
from ews.api.limits import enforce_intake_rate
from ews.api.roles import FeedOrAdmin
from ews.api.routes.patrols import kobo_patrol_answer
from ews.auth.pseudonyms import pseudonymize
from ews.contacts.service import phone_pseudonym
from ews.fields import Text, UtcTime
from ews.intake.kobo import KoboStatus, mapping_from, receive_kobo
from ews.intake.listeners import schedule_report_listeners
from ews.intake.sms import SmsStatus, normalize_phone, receive_sms
from ews.models.base import utcnow
from ews.photos.kobo import schedule_attachment_fetch

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])

KOBO_STATUS_CODES = {
    KoboStatus.created: 201,
    KoboStatus.duplicate: 200,
    KoboStatus.replaced: 200,
    KoboStatus.superseded: 200,
}


@router.post("/kobo", summary="Envío de KoboToolbox/ODK / KoboToolbox/ODK submission")
def post_kobo(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    principal: FeedOrAdmin,
    submission: Annotated[Any, Body()],
) -> Any:
    """A KoboToolbox REST service submission. 201 created; 200 identical resend or edit; 409 same
    instanceID with other content; 422 with the fields to fix (both refusals kept in quarantine)."""
    enforce_intake_rate(request, principal)
    submitter = submission.get("_submitted_by") if isinstance(submission, dict) else None
    identity = f"kobo:{submitter}" if submitter else principal.identity
    patrol = kobo_patrol_answer(
        session, settings, submission=submission, submitter_identity=identity
    )
    if patrol is not None:  # a patrol form (a geotrace answer): ews.intake.kobo_patrols
        return patrol
    outcome = receive_kobo(
        session,
        submission=submission,
        mapping=mapping_from(settings.kobo_mapping),
        reporter_pseudonym=pseudonymize(settings.secret_key, identity),
        secret_key=settings.secret_key,
        now=utcnow(),
        future_tolerance=timedelta(minutes=settings.report_future_tolerance_minutes),
    )
    if outcome.status is KoboStatus.invalid:
        raise RefusedAndKept(
            "kobo_invalid",
            "El envío de Kobo no se pudo leer como reporte; corrija el formulario o el mapeo. / "
            "The Kobo submission could not be read as a report; fix the form or the mapping.",
            errors=outcome.errors,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    if outcome.status is KoboStatus.conflict:
        raise RefusedAndKept(
            "kobo_conflict",
            "Este meta/instanceID ya se recibió con otro contenido. / This meta/instanceID was "
            "already received with other content.",
            status_code=status.HTTP_409_CONFLICT,
        )
    assert outcome.report is not None
    schedule_attachment_fetch(
        session, background, request.app, report_id=outcome.report.id, submission=submission
    )
    if outcome.status in (KoboStatus.created, KoboStatus.replaced):
        # An edit is a change like a new report: it may have made the report urgent.
        schedule_report_listeners(background, request.app, [outcome.report])
    return JSONResponse(
        {"id": outcome.report.id, "status": outcome.status.value},
        status_code=KOBO_STATUS_CODES[outcome.status],
    )


class SmsIn(BaseModel):
    """A message as the SMS gateway forwards it (a field it does not know is refused)."""

    model_config = ConfigDict(extra="forbid")

    id: Text = Field(min_length=1, max_length=200)
    from_: Text = Field(alias="from", min_length=3, max_length=40)
    text: Text = Field(max_length=2000)
    received_at: UtcTime


class SmsOut(BaseModel):
    status: SmsStatus
    reply: str = Field(description="Texto para responder por SMS / text to send back by SMS")
    report_id: str | None


@router.post(
    "/sms",
    response_model=SmsOut,
    summary="Mensaje de la pasarela SMS / SMS gateway message",
    responses={409: {}},
)
def post_sms(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    principal: FeedOrAdmin,
    message: SmsIn,
) -> Any:
    """200 with ``status`` (accepted, rejected, duplicate) and a Spanish ``reply`` to text back;
    201 when a report was created; 409 when the gateway id was used for another message."""
    enforce_intake_rate(request, principal)
    now = utcnow()
    outcome = receive_sms(
        session,
        gateway_id=message.id,
        sender_pseudonym=pseudonymize(
            settings.secret_key, f"phone:{normalize_phone(message.from_)}"
        ),
        text=message.text,
        received_at=message.received_at,
        now=now,
        future_tolerance=timedelta(minutes=settings.report_future_tolerance_minutes),
        contact_pseudonym=phone_pseudonym(settings.secret_key, message.from_),
    )
    body = SmsOut(status=outcome.status, reply=outcome.reply, report_id=outcome.report_id)
    if outcome.status is SmsStatus.conflict:
        raise RefusedAndKept("sms_conflict", outcome.reply, status_code=status.HTTP_409_CONFLICT)
    if outcome.created and outcome.report_id:
        schedule_report_listeners(background, request.app, [outcome.report_id])
        return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_201_CREATED)
    return body
