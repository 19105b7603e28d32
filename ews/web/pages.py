"""Rendering pages: Jinja2 environments per language, security headers, error pages, redirects and
cookies, the signed-in principal."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ews.api.deps import SessionDep, SettingsDep, get_settings
from ews.api.errors import Forbidden
from ews.api.handlers import REFUSAL_TYPES, refusal_of
from ews.api.roles import ANALYST_ADMIN, ANALYST_INSTITUTION_ADMIN
from ews.auth.keys import Principal, Role
from ews.db import begin_read_only
from ews.models import ApiKey
from ews.models.base import utcnow
from ews.settings import Settings
from ews.web import geo
from ews.web.assets import asset_url
from ews.web.i18n import Lang, gettext_for, label, parse_lang
from ews.web.session import (
    COOKIE_PATH,
    LANG_COOKIE,
    SESSION_COOKIE,
    WebSession,
    csrf_token,
    csrf_valid,
    read_session,
    same_origin,
)
from indicators import LIMA

# The notices a page may show after a redirect (``?notice=...``).
NOTICES = {
    "ack",
    "resolved",
    "signed_out",
    "note",
    "forbidden",
    "closed",
    "action",
    "action_invalid",
}
# What an error page says is in its template (by status); the detail serves logs and programs.
PAGE_NOT_FOUND = "La página no existe o no puede verla. / No such page, or you may not see it."
PAGE_FORBIDDEN = "No tiene acceso a esta página. / You have no access to this page."
FORM_REFUSED = (
    "El formulario venció o vino de otro sitio. / The form expired or came from another site."
)
MONTHS = {
    Lang.es: ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    Lang.en: ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def content_security_policy(settings: Settings) -> str:
    """Scripts and styles from this site only, no inline script, no framing."""
    images = "'self'"
    tiles = geo.tile_origin(settings.map_tile_url)
    if tiles:
        images += f" {tiles}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def add_security_headers(response: Response, settings: Settings) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(settings))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"


class WebRoute(APIRoute):
    """A route whose every answer carries the pages' security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as exc:
                # Redirects and errors raised by dependencies get the headers too.
                headers = dict(exc.headers or {})
                if exc.status_code in (status.HTTP_303_SEE_OTHER, status.HTTP_302_FOUND):
                    response = Response(status_code=exc.status_code, headers=headers)
                else:
                    response = error_page(request, exc.status_code, headers)
            except REFUSAL_TYPES as exc:
                # The API's refusals, as a page: the same status, in the visitor's language.
                refusal = refusal_of(exc)
                response = error_page(request, refusal.status_code, refusal.headers)
            add_security_headers(response, get_settings(request))
            return response

        return with_headers


# --- templates ---------------------------------------------------------------------------------


def _local(value: datetime | None, with_year: bool = True) -> str:
    if value is None:
        return ""
    when = value.astimezone(LIMA)
    return when.strftime("%d/%m/%Y %H:%M" if with_year else "%d/%m %H:%M")


def covered_day(window_end: datetime) -> date:
    """The local day a value covers: its window ends at the next midnight (Lima), so the day shown
    is the one just before that end, never "tomorrow"."""
    return (window_end.astimezone(LIMA) - timedelta(microseconds=1)).date()


def _covers(window_end: datetime | None) -> str:
    return "" if window_end is None else covered_day(window_end).strftime("%d/%m/%Y")


def _age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return ""
    seconds = max((now - value).total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.{digits}f}"


@functools.cache
def environment(lang: Lang) -> Environment:
    """The template environment of a language (built on first use, then kept)."""
    env = Environment(
        loader=PackageLoader("ews.web", "templates"),
        autoescape=select_autoescape(["html", "svg", "xml"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    table = gettext_for(lang)

    def gettext(message: str) -> str:
        return table.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = lang.value
    env.globals["label"] = functools.partial(label, lang)
    env.globals["months"] = MONTHS[lang]
    env.filters["local"] = _local
    env.filters["number"] = _number
    env.filters["covers"] = _covers
    env.globals["age"] = _age
    env.globals["asset"] = asset_url
    return env


def request_lang(request: Request) -> Lang:
    return parse_lang(request.cookies.get(LANG_COOKIE))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template in the visitor's language with the common context."""
    lang = request_lang(request)
    web_session: WebSession | None = getattr(request.state, "web_session", None)
    settings = get_settings(request)
    context.setdefault("principal", getattr(request.state, "web_principal", None))
    context.setdefault("now", utcnow())
    context.setdefault(
        "csrf", csrf_token(settings.secret_key, web_session.nonce) if web_session else ""
    )
    context.setdefault("path", request.url.path)
    context.setdefault("query", request.url.query)
    html = environment(lang).get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


def error_page(request: Request, status_code: int, headers: dict[str, str]) -> Response:
    response = render(request, "error.html", status_code=status_code, code=status_code)
    response.headers.update(headers)
    return response


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """A cookie of the dashboard: its path only, never read by scripts, never sent cross-site."""
    settings = get_settings(request)
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or settings.base_url.startswith("https://"),
    )


# --- who is signed in --------------------------------------------------------------------------


def to_login() -> HTTPException:
    return HTTPException(status.HTTP_303_SEE_OTHER, headers={"Location": "/dashboard/login"})


def web_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The principal of the session cookie; a missing, expired or revoked one goes to sign-in.

    The key row is read on every request, so revoking a key ends its dashboard sessions at once.
    A page (GET) only reads: its session begins read-only.
    """
    if request.method in ("GET", "HEAD"):
        begin_read_only(session)
    web_session = read_session(
        settings.secret_key, request.cookies.get(SESSION_COOKIE), now=datetime.now(UTC)
    )
    if web_session is None:
        raise to_login()
    row = session.get(ApiKey, web_session.key_id)
    if row is None or row.revoked_at is not None or Role(row.role) not in ANALYST_INSTITUTION_ADMIN:
        raise to_login()
    principal = Principal(
        key_id=row.id,
        name=row.name,
        role=Role(row.role),
        community_code=row.community_code,
        institution_code=row.institution_code,
    )
    request.state.web_session = web_session
    request.state.web_principal = principal
    return principal


WebPrincipal = Annotated[Principal, Depends(web_principal)]


def analyst_only(principal: WebPrincipal) -> Principal:
    if principal.role not in ANALYST_ADMIN:
        raise Forbidden("page_forbidden", PAGE_FORBIDDEN)
    return principal


AnalystPrincipal = Annotated[Principal, Depends(analyst_only)]


def allowed_origins(request: Request) -> set[str]:
    settings = get_settings(request)
    own = f"{request.url.scheme}://{request.url.netloc}"
    base = settings.base_url.rstrip("/")
    return {own, base}


def check_form(request: Request, token: str | None, nonce: str | None) -> bool:
    """A form post is genuine when it comes from this site and carries the session's token."""
    settings = get_settings(request)
    if not same_origin(request.headers.get("origin"), allowed_origins(request)):
        return False
    return csrf_valid(settings.secret_key, nonce, token)
