"""``/dashboard/mail``: the mail the service kept instead of sending (development with no SMTP
relay), newest first, each message as the institution would have read it."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alerts.channels.mailbox import caught_mail, read_caught
from ews.api.deps import SettingsDep
from ews.api.errors import NotFound
from ews.web.pages import PAGE_NOT_FOUND, AnalystPrincipal, WebRoute, render

router = APIRouter(prefix="/dashboard/mail", route_class=WebRoute, include_in_schema=False)

MAIL_SHOWN = 200
# Maildir keys: time, a unique part and the host name (letters, digits, dots, dashes, underscores).
MAIL_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


@router.get("")
def mail_list(request: Request, settings: SettingsDep, principal: AnalystPrincipal) -> Response:
    return render(
        request,
        "mail.html",
        mails=caught_mail(settings.mail_dir, limit=MAIL_SHOWN),
        catches_mail=settings.catches_mail,
        mail_dir=settings.mail_dir,
        shown=MAIL_SHOWN,
    )


@router.get("/{key}")
def mail_message(
    request: Request, settings: SettingsDep, principal: AnalystPrincipal, key: str
) -> Response:
    found = read_caught(settings.mail_dir, key) if MAIL_KEY.match(key) else None
    if found is None:
        raise NotFound("mail_not_found", PAGE_NOT_FOUND)
    return render(request, "mail_message.html", mail=found)
