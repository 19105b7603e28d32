"""``/dashboard/contacts``: admins manage institutions' contacts and communities' leaders and
monitors without a release (the same service as ``/api/v1/contacts``; every change audited).
Forms post with the session's CSRF token; a mistake comes back on the page, in words."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import Forbidden
from ews.auth.keys import Principal, Role
from ews.contacts import service
from ews.fields import Text
from ews.models import Community, Institution
from ews.web.pages import (
    FORM_REFUSED,
    PAGE_FORBIDDEN,
    WebPrincipal,
    WebRoute,
    check_form,
    render,
    see_other,
)

router = APIRouter(prefix="/dashboard", route_class=WebRoute, include_in_schema=False)

Field = Annotated[Text, Form(max_length=500)]


def admin_only(principal: WebPrincipal) -> Principal:
    if principal.role is not Role.admin:
        raise Forbidden("page_forbidden", PAGE_FORBIDDEN)
    return principal


AdminPrincipal = Annotated[Principal, Depends(admin_only)]


def _page(
    request: Request, session: Session, *, error: str | None = None, saved: str | None = None
) -> Response:
    return render(
        request,
        "contacts.html",
        status_code=422 if error else 200,
        contacts=service.list_contacts(session),
        community_contacts=service.list_community_contacts(session),
        institutions=list(session.scalars(select(Institution).order_by(Institution.code))),
        communities=list(session.scalars(select(Community).order_by(Community.name))),
        error=error,
        saved=saved,
    )


@router.get("/contacts")
def contacts_page(
    request: Request, session: SessionDep, _principal: AdminPrincipal, saved: str | None = None
) -> Response:
    return _page(request, session, saved=saved)


def _given(**fields: str) -> dict[str, Any]:
    """The fields the form filled (an empty box leaves the stored value as it is)."""
    return {key: value.strip() for key, value in fields.items() if value.strip()}


@router.post("/contacts")
def save_contact(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    code: Field = "",
    institution: Field = "",
    name: Field = "",
    channel: Field = "",
    address: Field = "",
    scope: Field = "",
    region_ubigeo: Field = "",
    language: Field = "",
    min_level: Field = "",
    categories: Field = "",
    active: Field = "",
    csrf: Field = "",
) -> Response:
    """Create the contact ``code``, or change the fields filled in when it exists."""
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    fields = _given(
        institution_code=institution.upper(),
        name=name,
        channel=channel,
        address=address,
        scope=scope,
        region_ubigeo=region_ubigeo,
        language=language,
        min_level=min_level,
    )
    if categories.strip():
        fields["categories"] = [c.strip() for c in categories.split(",") if c.strip() != "*"]
    if active:
        fields["active"] = active == "yes"
    code = code.strip()
    try:
        try:
            service.get_contact(session, code=code)
        except service.ContactNotFound:
            service.create_contact(session, actor=principal.name, code=code, fields=fields)
        else:
            service.update_contact(session, actor=principal.name, code=code, changes=fields)
    except service.ContactInputError as exc:
        return _page(request, session, error=f"{exc.field}: {exc.message}")
    return see_other(f"/dashboard/contacts?saved={code}")


@router.post("/contacts/{code}/deactivate")
def deactivate_contact(
    request: Request, session: SessionDep, principal: AdminPrincipal, code: str, csrf: Field = ""
) -> Response:
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    try:
        service.deactivate_contact(session, actor=principal.name, code=code)
    except service.ContactNotFound:
        return _page(request, session, error=f"code: no existe / no such contact: {code}")
    return see_other(f"/dashboard/contacts?saved={code}")


@router.post("/community-contacts")
def save_community_contact(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AdminPrincipal,
    code: Field = "",
    community: Field = "",
    role: Field = "",
    name: Field = "",
    phone: Field = "",
    language: Field = "",
    active: Field = "",
    csrf: Field = "",
) -> Response:
    """Create the community contact ``code``, or change the fields filled in when it exists."""
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    fields = _given(community_code=community, role=role, name=name, phone=phone, language=language)
    if active:
        fields["active"] = active == "yes"
    code = code.strip()
    secret = settings.secret_key
    try:
        try:
            service.get_community_contact(session, code=code)
        except service.ContactNotFound:
            service.create_community_contact(
                session, actor=principal.name, secret_key=secret, code=code, fields=fields
            )
        else:
            service.update_community_contact(
                session, actor=principal.name, secret_key=secret, code=code, changes=fields
            )
    except service.ContactInputError as exc:
        return _page(request, session, error=f"{exc.field}: {exc.message}")
    return see_other(f"/dashboard/contacts?saved={code}")


@router.post("/community-contacts/{code}/deactivate")
def deactivate_community_contact(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AdminPrincipal,
    code: str,
    csrf: Field = "",
) -> Response:
    if not check_form(request, csrf, request.state.web_session.nonce):
        raise Forbidden("form_refused", FORM_REFUSED)
    try:
        service.deactivate_community_contact(
            session, actor=principal.name, secret_key=settings.secret_key, code=code
        )
    except service.ContactNotFound:
        return _page(request, session, error=f"code: no existe / no such contact: {code}")
    return see_other(f"/dashboard/contacts?saved={code}")
