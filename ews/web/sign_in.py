"""``/dashboard`` sign-in, sign-out and the pages' language.

Sign-in takes an API key once and sets a signed session cookie (``ews.web.session``); failures are
throttled per client (``ews.web.throttle``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import Response

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import Forbidden
from ews.api.roles import ANALYST_INSTITUTION_ADMIN
from ews.auth.keys import authenticate
from ews.fields import Text
from ews.models.base import utcnow
from ews.settings import Settings
from ews.web import throttle
from ews.web.i18n import Lang
from ews.web.pages import (
    FORM_REFUSED,
    NOTICES,
    WebPrincipal,
    WebRoute,
    check_form,
    render,
    see_other,
    set_cookie,
)
from ews.web.session import (
    COOKIE_PATH,
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    csrf_token,
    issue_session,
    new_nonce,
)

router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)


@router.get("/login")
def login_form(request: Request, settings: SettingsDep, notice: str | None = None) -> Response:
    return _login_page(
        request, settings, status.HTTP_200_OK, None, notice=notice if notice in NOTICES else None
    )


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    key: Annotated[Text, Form(max_length=200)] = "",
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE)
    client = throttle.client_pseudonym(
        settings.secret_key, request.client.host if request.client else None
    )
    now = utcnow()
    window = timedelta(minutes=settings.sign_in_window_minutes)
    wait = throttle.wait_seconds(
        throttle.recent_failures(session, client=client, now=now, window=window),
        now=now,
        max_failures=settings.sign_in_max_failures,
        window=window,
    )
    if wait:
        minutes = math.ceil(wait / 60)
        return _login_page(
            request,
            settings,
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Demasiados intentos fallidos; espere {minutes} min y vuelva a intentarlo.",
            headers={"Retry-After": str(wait)},
        )
    error = None
    if not check_form(request, csrf, nonce):
        return _login_page(
            request,
            settings,
            status.HTTP_400_BAD_REQUEST,
            "El formulario venció o vino de otro sitio; inténtelo de nuevo.",
        )
    principal = authenticate(session, key.strip())
    if principal is None:
        error = "Clave inválida o revocada."
    elif principal.role not in ANALYST_INSTITUTION_ADMIN:
        error = (
            "Esta clave no da acceso al panel (solo analistas e instituciones). "
            "Los monitores usan la página de reporte."
        )
    if error is not None or principal is None:
        throttle.record_failure(
            session,
            client=client,
            reason="invalid_key" if principal is None else "role",
            key_prefix=throttle.key_prefix(key),
        )
        return _login_page(request, settings, status.HTTP_401_UNAUTHORIZED, error)
    throttle.record_success(session, client=client, actor=principal.name, key_id=principal.key_id)
    lifetime = int(settings.web_session_hours * 3600)
    cookie = issue_session(
        settings.secret_key, key_id=principal.key_id, now=datetime.now(UTC), lifetime_s=lifetime
    )
    signed_in = see_other("/dashboard")
    set_cookie(signed_in, request, SESSION_COOKIE, cookie, max_age=lifetime)
    signed_in.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return signed_in


def _login_page(
    request: Request,
    settings: Settings,
    status_code: int,
    error: str | None,
    headers: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    """The sign-in form, with a fresh anti-forgery token (and the reason an attempt failed)."""
    fresh = new_nonce()
    response = render(
        request,
        "login.html",
        status_code=status_code,
        login_csrf=csrf_token(settings.secret_key, fresh),
        error=error,
        notice=notice,
    )
    response.headers.update(headers or {})
    set_cookie(response, request, LOGIN_COOKIE, fresh, max_age=3600)
    return response


@router.post("/logout")
def logout(
    request: Request,
    principal: WebPrincipal,
    csrf: Annotated[Text, Form(max_length=200)] = "",
) -> Response:
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    response = see_other("/dashboard/login?notice=signed_out")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: Lang, next: str = "/dashboard") -> Response:
    """Switch the pages' language and come back; only paths of this site are followed."""
    target = next if next.startswith("/dashboard") and "//" not in next else "/dashboard"
    response = see_other(target)
    set_cookie(response, request, LANG_COOKIE, code.value, max_age=365 * 86400)
    return response
