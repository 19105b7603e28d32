"""Contacts managed without a release (admin only): institutions' contacts at
``/api/v1/contacts`` and communities' leaders and monitors at ``/api/v1/community-contacts``.

Answers carry addresses and phones in clear (an admin manages them); the database keeps them
encrypted and the audit log never holds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import Conflict, InvalidData, NotFound
from ews.api.roles import AdminOnly
from ews.contacts import service
from ews.fields import Text
from ews.models import CommunityContact, Contact

router = APIRouter(tags=["contacts"])

Code = Annotated[str, Path(min_length=1, max_length=80)]


@contextmanager
def _as_api_errors(kind: str) -> Iterator[None]:
    try:
        yield
    except service.ContactInputError as exc:
        raise InvalidData.field(
            "invalid_contact",
            "Revise los campos del contacto. / Check the contact's fields.",
            exc.field,
            exc.message,
        ) from exc
    except service.ContactNotFound as exc:
        raise NotFound(
            f"{kind}_not_found", f"No existe ese contacto. / No such contact: {exc}"
        ) from exc
    except service.ContactExists as exc:
        raise Conflict(
            f"{kind}_exists",
            f"Ya existe un contacto con el código {exc}; cámbielo con PATCH. / A contact with code "
            f"{exc} exists; change it with PATCH.",
        ) from exc


# --- Institution contacts -----------------------------------------------------------------------


class ContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution: Text | None = Field(default=None, max_length=40)
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    channel: Text | None = Field(default=None, description="email, webhook, sms")
    address: Text | None = Field(default=None, min_length=3, max_length=500)
    scope: Text | None = Field(default=None, description="regional, national")
    region_ubigeo: Text | None = Field(default=None, max_length=6)
    language: Text | None = Field(default=None, description="es, en")
    min_level: Text | None = Field(default=None, description="warning, high, critical")
    payload_format: Text | None = Field(default=None, description="json, cap (webhooks)")
    categories: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=20, description="vacío: todas / empty: every category"
    )
    active: bool | None = None

    def values(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if "institution" in data:
            data["institution_code"] = data.pop("institution")
        return data


class ContactIn(ContactFields):
    code: Text = Field(min_length=2, max_length=80)


class ContactOut(BaseModel):
    code: str
    institution: str
    name: str
    channel: str
    address: str
    scope: str
    region_ubigeo: str | None
    language: str
    min_level: str
    payload_format: str
    categories: list[str]
    active: bool
    managed_by: str = Field(description="fixture (contacts.yaml) o/or api")


class ContactList(BaseModel):
    items: list[ContactOut]


def contact_out(row: Contact) -> ContactOut:
    return ContactOut(
        code=row.code,
        institution=row.institution_code,
        name=row.name,
        channel=row.channel,
        address=row.address,
        scope=row.scope,
        region_ubigeo=row.region_ubigeo,
        language=row.language,
        min_level=row.min_level,
        payload_format=row.payload_format,
        categories=list(row.categories or []),
        active=row.active,
        managed_by=row.managed_by,
    )


@router.get("/api/v1/contacts", response_model=ContactList, summary="Contactos / Contacts")
def list_contacts(session: SessionDep, _principal: AdminOnly) -> ContactList:
    return ContactList(items=[contact_out(row) for row in service.list_contacts(session)])


@router.post(
    "/api/v1/contacts",
    response_model=ContactOut,
    status_code=status.HTTP_201_CREATED,
    summary="Crear un contacto / Create a contact",
)
def create_contact(session: SessionDep, principal: AdminOnly, body: ContactIn) -> ContactOut:
    fields = body.values()
    code = fields.pop("code")
    with _as_api_errors("contact"):
        row = service.create_contact(session, actor=principal.name, code=code, fields=fields)
    return contact_out(row)


@router.get("/api/v1/contacts/{code}", response_model=ContactOut, summary="Un contacto / A contact")
def get_contact(code: Code, session: SessionDep, _principal: AdminOnly) -> ContactOut:
    with _as_api_errors("contact"):
        return contact_out(service.get_contact(session, code=code))


@router.patch(
    "/api/v1/contacts/{code}",
    response_model=ContactOut,
    summary="Cambiar un contacto / Change a contact",
)
def update_contact(
    code: Code, session: SessionDep, principal: AdminOnly, body: ContactFields
) -> ContactOut:
    with _as_api_errors("contact"):
        row = service.update_contact(
            session, actor=principal.name, code=code, changes=body.values()
        )
    return contact_out(row)


@router.delete(
    "/api/v1/contacts/{code}",
    response_model=ContactOut,
    summary="Desactivar un contacto (su historial queda) / Deactivate a contact (its history stays)",
)
def delete_contact(code: Code, session: SessionDep, principal: AdminOnly) -> ContactOut:
    with _as_api_errors("contact"):
        return contact_out(service.deactivate_contact(session, actor=principal.name, code=code))


# --- Community contacts -------------------------------------------------------------------------


class CommunityContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    community: Text | None = Field(default=None, max_length=80)
    role: Text | None = Field(default=None, description="leader, monitor")
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    phone: Text | None = Field(default=None, min_length=6, max_length=40)
    language: Text | None = Field(default=None, description="es, en")
    active: bool | None = None

    def values(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        if "community" in data:
            data["community_code"] = data.pop("community")
        return data


class CommunityContactIn(CommunityContactFields):
    code: Text = Field(min_length=2, max_length=80)


class CommunityContactOut(BaseModel):
    code: str
    community: str
    role: str
    name: str
    phone: str
    language: str
    active: bool


class CommunityContactList(BaseModel):
    items: list[CommunityContactOut]


def community_contact_out(row: CommunityContact) -> CommunityContactOut:
    return CommunityContactOut(
        code=row.code,
        community=row.community_code,
        role=row.role,
        name=row.name,
        phone=row.phone,
        language=row.language,
        active=row.active,
    )


@router.get(
    "/api/v1/community-contacts",
    response_model=CommunityContactList,
    summary="Líderes y monitores de las comunidades / Communities' leaders and monitors",
)
def list_community_contacts(
    session: SessionDep,
    _principal: AdminOnly,
    community: Annotated[str | None, Query(max_length=80)] = None,
) -> CommunityContactList:
    rows = service.list_community_contacts(session, community=community)
    return CommunityContactList(items=[community_contact_out(row) for row in rows])


@router.post(
    "/api/v1/community-contacts",
    response_model=CommunityContactOut,
    status_code=status.HTTP_201_CREATED,
    summary="Crear un contacto de comunidad / Create a community contact",
)
def create_community_contact(
    session: SessionDep, settings: SettingsDep, principal: AdminOnly, body: CommunityContactIn
) -> CommunityContactOut:
    fields = body.values()
    code = fields.pop("code")
    with _as_api_errors("community_contact"):
        row = service.create_community_contact(
            session, actor=principal.name, secret_key=settings.secret_key, code=code, fields=fields
        )
    return community_contact_out(row)


@router.get(
    "/api/v1/community-contacts/{code}",
    response_model=CommunityContactOut,
    summary="Un contacto de comunidad / A community contact",
)
def get_community_contact(
    code: Code, session: SessionDep, _principal: AdminOnly
) -> CommunityContactOut:
    with _as_api_errors("community_contact"):
        return community_contact_out(service.get_community_contact(session, code=code))


@router.patch(
    "/api/v1/community-contacts/{code}",
    response_model=CommunityContactOut,
    summary="Cambiar un contacto de comunidad / Change a community contact",
)
def update_community_contact(
    code: Code,
    session: SessionDep,
    settings: SettingsDep,
    principal: AdminOnly,
    body: CommunityContactFields,
) -> CommunityContactOut:
    with _as_api_errors("community_contact"):
        row = service.update_community_contact(
            session,
            actor=principal.name,
            secret_key=settings.secret_key,
            code=code,
            changes=body.values(),
        )
    return community_contact_out(row)


@router.delete(
    "/api/v1/community-contacts/{code}",
    response_model=CommunityContactOut,
    summary="Desactivar un contacto de comunidad / Deactivate a community contact",
)
def delete_community_contact(
    code: Code, session: SessionDep, settings: SettingsDep, principal: AdminOnly
) -> CommunityContactOut:
    with _as_api_errors("community_contact"):
        row = service.deactivate_community_contact(
            session, actor=principal.name, secret_key=settings.secret_key, code=code
        )
    return community_contact_out(row)
