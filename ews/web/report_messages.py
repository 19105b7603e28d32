"""``GET /report/messages``: what the monitor's community was told about its alerts (the same
short Spanish texts its leaders receive by SMS), kept on the phone by ``report-messages.js`` so
they can be read offline. Only the monitor's own community; an admin key has none."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from ews.alerting.community import community_messages
from ews.api.deps import SessionDep
from ews.api.roles import MonitorOrAdmin

router = APIRouter(prefix="/report", include_in_schema=False)
MESSAGES_KEPT = 20


class CommunityMessage(BaseModel):
    id: int
    at: datetime
    text: str


class PhoneMessages(BaseModel):
    items: list[CommunityMessage]


@router.get("/messages")
def phone_messages(principal: MonitorOrAdmin, session: SessionDep) -> PhoneMessages:
    code = principal.community_code
    if not code:
        return PhoneMessages(items=[])
    events = community_messages(session, community=code, limit=MESSAGES_KEPT)
    return PhoneMessages(
        items=[CommunityMessage(id=e.id, at=e.at, text=e.note or "") for e in events if e.note]
    )
