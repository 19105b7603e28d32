"""Silences: time-bounded matchers (community, category) that mute alert notifications."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from ews.alerting import service
from ews.api.deps import RowId, SessionDep
from ews.api.roles import AnalystOrAdmin
from ews.fields import PlausibleTime, Text
from ews.models import Silence
from ews.models.base import utcnow

router = APIRouter(prefix="/api/v1/silences", tags=["silences"])


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community: Text | None = Field(default=None, max_length=80)
    category: Text | None = Field(default=None, max_length=40)
    starts_at: PlausibleTime | None = None  # default: now
    ends_at: PlausibleTime
    reason: Text = Field(min_length=1, max_length=2000)


class SilenceOut(BaseModel):
    id: int
    community: str | None
    category: str | None
    starts_at: datetime
    ends_at: datetime
    author: str
    reason: str
    created_at: datetime
    active: bool
    expired_early_at: datetime | None


class SilencePage(BaseModel):
    items: list[SilenceOut]
    next: str | None = None


def silence_out(row: Silence) -> SilenceOut:
    return SilenceOut(
        id=row.id,
        community=row.community_code,
        category=row.category,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        author=row.author,
        reason=row.reason,
        created_at=row.created_at,
        active=row.active,
        expired_early_at=row.expired_early_at,
    )


@router.get("", response_model=SilencePage, summary="Silencios / Silences")
def list_silences(
    session: SessionDep, principal: AnalystOrAdmin, include_expired: bool = False
) -> SilencePage:
    rows = service.list_silences(
        session, principal=principal, now=utcnow(), include_expired=include_expired
    )
    return SilencePage(items=[silence_out(row) for row in rows])


@router.post(
    "",
    response_model=SilenceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Crear un silencio / Create a silence",
)
def create_silence(session: SessionDep, principal: AnalystOrAdmin, body: SilenceIn) -> SilenceOut:
    now = utcnow()
    row = service.create_silence(
        session,
        principal=principal,
        community=body.community,
        category=body.category,
        starts_at=body.starts_at or now,
        ends_at=body.ends_at,
        reason=body.reason,
        now=now,
    )
    return silence_out(row)


@router.delete(
    "/{silence_id}", response_model=SilenceOut, summary="Terminar un silencio / End a silence"
)
def delete_silence(session: SessionDep, principal: AnalystOrAdmin, silence_id: RowId) -> SilenceOut:
    row = service.expire_silence(session, principal=principal, silence_id=silence_id, now=utcnow())
    return silence_out(row)
