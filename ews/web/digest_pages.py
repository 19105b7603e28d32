"""``/dashboard/digests``: the daily digests that were made (DESIGN section 12), per institution and
day, with how their messages stand in the outbox; and each digest's full text as its contacts
received it (or will, or could not): subject and body written by the same function the delivery
worker sends (:func:`ews.delivery.render.digest_envelope`), from the digest the outbox row keeps.

A digest with nothing to say was made (the day is done) but queued no message: the list and the
page say so, and show no text. Analysts and admins only, like the delivery log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from alerts.channels import Envelope
from alerts.messages import language_of
from ews.api.deps import RowId, SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.delivery.render import RenderError, digest_envelope
from ews.fields import MAX_ROW_ID
from ews.models import Contact, Institution, InstitutionDigest, OutboxMessage
from ews.web import queries
from ews.web.delivery_words import Explanation, describe_digest, explain_delivery
from ews.web.pages import PAGE_NOT_FOUND, AnalystPrincipal, WebRoute, render, request_lang

router = APIRouter(prefix="/dashboard/digests", route_class=WebRoute, include_in_schema=False)

DIGESTS_SHOWN = 200
# An institution's code as the pages link it (``?institution=MINJUS``).
InstitutionCode = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


@dataclass(frozen=True)
class DigestMessage:
    """One contact's message of a digest, as it stands in the outbox and as it reads."""

    row: OutboxMessage
    contact: Contact | None
    explained: Explanation
    mail: Envelope | None  # subject and text as sent (None: it cannot be written)
    error: str | None  # why it cannot be written


@router.get("")
def digest_list(
    request: Request,
    session: SessionDep,
    principal: AnalystPrincipal,
    institution: InstitutionCode = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> Response:
    code = institution.upper() if institution else None
    rows, more = queries.digests(session, institution=code, limit=DIGESTS_SHOWN, offset=offset)
    filtered = f"institution={code}&" if code else ""
    return render(
        request,
        "digests.html",
        rows=rows,
        institution=session.get(Institution, code) if code else None,
        institution_code=code,
        next_url=f"/dashboard/digests?{filtered}offset={offset + DIGESTS_SHOWN}" if more else None,
    )


@router.get("/{digest_id}")
def digest_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AnalystPrincipal,
    digest_id: RowId,
) -> Response:
    digest = session.get(InstitutionDigest, digest_id)
    if digest is None:
        raise NotFound("digest_not_found", PAGE_NOT_FOUND)
    lang = request_lang(request)
    messages = []
    for row, contact in queries.digest_messages(session, digest_id=digest.id):
        written = (
            digest_envelope(settings=settings, row=row, contact=contact)
            if contact is not None
            else RenderError("contacto borrado / contact removed")
        )
        messages.append(
            DigestMessage(
                row=row,
                contact=contact,
                explained=explain_delivery(
                    status=row.status,
                    last_error=row.last_error,
                    attempts=row.attempts,
                    max_attempts=settings.delivery_max_attempts,
                    lang=lang,
                ),
                mail=written if isinstance(written, Envelope) else None,
                error=str(written) if isinstance(written, RenderError) else None,
            )
        )
    # Spanish first, then English; in queue order within each.
    messages.sort(key=lambda m: (language_of(m.mail.language if m.mail else None) != "es",))
    return render(
        request,
        "digest.html",
        digest=digest,
        institution=session.get(Institution, digest.institution_code),
        messages=messages,
        summaries={m.row.id: describe_digest(m.row.payload, lang) for m in messages},
    )
