"""Institution contacts and community contacts, managed by admins through the API and the
dashboard. Keyword-only functions; they flush, the request scope commits. Every change is audited
with the fields changed, never an address or a phone in clear (the audit log is read by people who
need not know them): an address shows as changed, a phone as its log pseudonym.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from ews import audit
from ews.auth.pseudonyms import pseudonymize
from ews.intake.sms import canonical_phone
from ews.logs import log_pseudonym
from ews.models import (
    AuditAction,
    CategoryContext,
    Community,
    CommunityContact,
    CommunityContactRole,
    Contact,
    Institution,
)
from ews.reference.loader import MANAGED_BY_API
from indicators.levels import Level

CHANNELS = ("email", "webhook", "sms")
SCOPES = ("regional", "national")
LANGUAGES = ("es", "en")
PAYLOAD_FORMATS = ("json", "cap")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# E.164: a plus, then 8 to 15 digits (spaces and dashes are dropped first).
E164 = re.compile(r"^\+\d{8,15}$")
# A community's contact shows by role, not by name, in the delivery log.
COMMUNITY_ROLE_NAME = case(
    (CommunityContact.role == CommunityContactRole.leader, "líder comunal / community leader"),
    else_="monitor comunal / community monitor",
)
# Columns whose values never go to the audit log in clear.
SECRET_FIELDS = frozenset({"address", "phone"})


class ContactInputError(ValueError):
    """A field the admin must fix; ``field`` names it, ``message`` says why (Spanish / English)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ContactNotFound(LookupError):
    pass


class ContactExists(ValueError):
    pass


def phone_pseudonym(secret_key: str, phone: str) -> str:
    """The pseudonym the SMS intake looks a community contact up by (``contact_pseudonym``)."""
    return pseudonymize(secret_key, f"phone:{canonical_phone(phone)}")


def clean_phone(value: str) -> str:
    phone = canonical_phone(value)
    if not E164.match(phone):
        raise ContactInputError(
            "phone",
            "teléfono no válido: use el formato internacional, p. ej. +51 987 654 321 / "
            "invalid phone: use the international form, e.g. +51 987 654 321",
        )
    return phone


def _one_of(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ContactInputError(
            field, f"use uno de / use one of: {', '.join(allowed)} (recibido / got {value!r})"
        )
    return str(value)


def _check_contact(session: Session, values: dict[str, Any]) -> None:
    """Whole-row checks of an institution contact (after a create or a partial change)."""
    if session.get(Institution, values["institution_code"]) is None:
        raise ContactInputError(
            "institution",
            f"institución desconocida / unknown institution: {values['institution_code']}",
        )
    _one_of("channel", values["channel"], CHANNELS)
    _one_of("scope", values["scope"], SCOPES)
    _one_of("language", values["language"], LANGUAGES)
    _one_of(
        "min_level",
        values["min_level"],
        tuple(level.value for level in Level if level.at_least(Level.warning)),
    )
    _one_of("payload_format", values["payload_format"], PAYLOAD_FORMATS)
    address = values["address"]
    if values["channel"] == "email" and not EMAIL.match(address):
        raise ContactInputError("address", "correo no válido / invalid e-mail address")
    if values["channel"] == "webhook" and not address.startswith(("https://", "http://")):
        raise ContactInputError(
            "address", "un webhook necesita una URL http(s) / a webhook needs an http(s) URL"
        )
    if values["channel"] == "sms":
        values["address"] = clean_phone(address)
    if values["scope"] == "regional":
        if not values.get("region_ubigeo"):
            raise ContactInputError(
                "region_ubigeo",
                "un contacto regional necesita region_ubigeo (p. ej. 25, Ucayali) / a regional "
                "contact needs region_ubigeo (e.g. 25, Ucayali)",
            )
    else:
        values["region_ubigeo"] = None
    known = set(session.scalars(select(CategoryContext.category)))
    unknown = [c for c in values["categories"] if c not in known]
    if unknown:
        raise ContactInputError(
            "categories",
            f"categorías desconocidas / unknown categories: {', '.join(unknown)}; use / use: "
            f"{', '.join(sorted(known))}",
        )


CONTACT_FIELDS = (
    "institution_code",
    "name",
    "channel",
    "address",
    "scope",
    "region_ubigeo",
    "language",
    "min_level",
    "payload_format",
    "categories",
    "active",
)
CONTACT_DEFAULTS: dict[str, Any] = {
    "language": "es",
    "min_level": "warning",
    "payload_format": "json",
    "categories": [],
    "active": True,
    "region_ubigeo": None,
}


def _audit_details(changed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: ("(cambiado / changed)" if key in SECRET_FIELDS else value)
        for key, value in changed.items()
    }


def list_contacts(session: Session) -> list[Contact]:
    return list(session.scalars(select(Contact).order_by(Contact.institution_code, Contact.code)))


def get_contact(session: Session, *, code: str) -> Contact:
    row = session.scalar(select(Contact).where(Contact.code == code))
    if row is None:
        raise ContactNotFound(code)
    return row


def create_contact(
    session: Session, *, actor: str, code: str, fields: Mapping[str, Any]
) -> Contact:
    """A new institution contact, managed through the API from now on. Audited."""
    if not CODE.match(code):
        raise ContactInputError(
            "code",
            "código: minúsculas, cifras, - o _ (2 a 80) / code: lowercase, digits, - or _ (2 to 80)",
        )
    if session.scalar(select(Contact.id).where(Contact.code == code)) is not None:
        raise ContactExists(code)
    values = {
        **CONTACT_DEFAULTS,
        **{k: v for k, v in fields.items() if v is not None or k == "region_ubigeo"},
    }
    missing = [
        name
        for name in ("institution_code", "name", "channel", "address", "scope")
        if not values.get(name)
    ]
    if missing:
        raise ContactInputError(missing[0], "campo obligatorio / required field")
    _check_contact(session, values)
    row = Contact(code=code, managed_by=MANAGED_BY_API, **{k: values[k] for k in CONTACT_FIELDS})
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.contact_created,
        object_type="contact",
        object_id=code,
        details=_audit_details({k: values[k] for k in CONTACT_FIELDS}),
    )
    return row


def update_contact(
    session: Session, *, actor: str, code: str, changes: Mapping[str, Any]
) -> Contact:
    """Change some fields of a contact (from now on ``ews init`` leaves it alone). Audited with
    the fields that changed; no change, no entry."""
    row = get_contact(session, code=code)
    values = {k: getattr(row, k) for k in CONTACT_FIELDS}
    values.update(changes)
    _check_contact(session, values)
    changed = {k: values[k] for k in CONTACT_FIELDS if values[k] != getattr(row, k)}
    if not changed:
        return row
    for key, value in changed.items():
        setattr(row, key, value)
    row.managed_by = MANAGED_BY_API
    session.flush()
    action = _update_action(
        changed, deactivated=AuditAction.contact_deactivated, updated=AuditAction.contact_updated
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="contact",
        object_id=code,
        details=_audit_details(changed),
    )
    return row


def deactivate_contact(session: Session, *, actor: str, code: str) -> Contact:
    """DELETE: the contact stops receiving (its delivery history stays, so the row stays)."""
    row = get_contact(session, code=code)
    if row.active or row.managed_by != MANAGED_BY_API:
        was_active = row.active
        row.active = False
        row.managed_by = MANAGED_BY_API  # a re-run of ews init must not bring it back
        session.flush()
        if was_active:
            audit.record(
                session,
                actor=actor,
                action=AuditAction.contact_deactivated,
                object_type="contact",
                object_id=code,
                details={"active": False},
            )
    return row


# --- Community contacts -------------------------------------------------------------------------

COMMUNITY_FIELDS = ("community_code", "role", "name", "phone", "language", "active")


def list_community_contacts(
    session: Session, *, community: str | None = None
) -> list[CommunityContact]:
    query = select(CommunityContact).order_by(
        CommunityContact.community_code, CommunityContact.code
    )
    if community is not None:
        query = query.where(CommunityContact.community_code == community)
    return list(session.scalars(query))


def get_community_contact(session: Session, *, code: str) -> CommunityContact:
    row = session.scalar(select(CommunityContact).where(CommunityContact.code == code))
    if row is None:
        raise ContactNotFound(code)
    return row


def _check_community_contact(session: Session, values: dict[str, Any]) -> None:
    if session.get(Community, values["community_code"]) is None:
        raise ContactInputError(
            "community", f"comunidad desconocida / unknown community: {values['community_code']}"
        )
    _one_of("role", values["role"], tuple(CommunityContactRole))
    _one_of("language", values["language"], LANGUAGES)
    values["phone"] = clean_phone(values["phone"])


def _community_audit(secret_key: str, changed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: (log_pseudonym(secret_key, value) if key == "phone" else value)
        for key, value in changed.items()
    }


def create_community_contact(
    session: Session, *, actor: str, secret_key: str, code: str, fields: Mapping[str, Any]
) -> CommunityContact:
    """A community's leader or monitor. The phone is stored encrypted, with its pseudonym (to
    recognise an answer by SMS); one phone belongs to one contact. Audited (phone pseudonymized)."""
    if not CODE.match(code):
        raise ContactInputError(
            "code",
            "código: minúsculas, cifras, - o _ (2 a 80) / code: lowercase, digits, - or _ (2 to 80)",
        )
    if session.scalar(select(CommunityContact.id).where(CommunityContact.code == code)) is not None:
        raise ContactExists(code)
    values = {
        "language": "es",
        "active": True,
        **{k: v for k, v in fields.items() if v is not None},
    }
    missing = [name for name in ("community_code", "role", "name", "phone") if not values.get(name)]
    if missing:
        raise ContactInputError(
            missing[0].replace("_code", ""), "campo obligatorio / required field"
        )
    _check_community_contact(session, values)
    pseudonym = phone_pseudonym(secret_key, values["phone"])
    _refuse_shared_phone(session, pseudonym, code)
    row = CommunityContact(
        code=code, phone_pseudonym=pseudonym, **{k: values[k] for k in COMMUNITY_FIELDS}
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=AuditAction.community_contact_created,
        object_type="community_contact",
        object_id=code,
        details=_community_audit(secret_key, {k: values[k] for k in COMMUNITY_FIELDS}),
    )
    return row


def _refuse_shared_phone(session: Session, pseudonym: str, code: str) -> None:
    other = session.scalar(
        select(CommunityContact.code).where(
            CommunityContact.phone_pseudonym == pseudonym, CommunityContact.code != code
        )
    )
    if other is not None:
        raise ContactInputError(
            "phone",
            f"ese teléfono ya es del contacto {other}: una respuesta por SMS debe saber de qué "
            f"comunidad viene / that phone already belongs to contact {other}: an SMS answer must "
            "know its community",
        )


def update_community_contact(
    session: Session, *, actor: str, secret_key: str, code: str, changes: Mapping[str, Any]
) -> CommunityContact:
    row = get_community_contact(session, code=code)
    values = {k: getattr(row, k) for k in COMMUNITY_FIELDS}
    values.update(changes)
    _check_community_contact(session, values)
    changed = {k: values[k] for k in COMMUNITY_FIELDS if values[k] != getattr(row, k)}
    if not changed:
        return row
    if "phone" in changed:
        pseudonym = phone_pseudonym(secret_key, changed["phone"])
        _refuse_shared_phone(session, pseudonym, code)
        row.phone_pseudonym = pseudonym
    for key, value in changed.items():
        setattr(row, key, value)
    session.flush()
    action = _update_action(
        changed,
        deactivated=AuditAction.community_contact_deactivated,
        updated=AuditAction.community_contact_updated,
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="community_contact",
        object_id=code,
        details=_community_audit(secret_key, changed),
    )
    return row


def deactivate_community_contact(
    session: Session, *, actor: str, secret_key: str, code: str
) -> CommunityContact:
    return update_community_contact(
        session, actor=actor, secret_key=secret_key, code=code, changes={"active": False}
    )


def _update_action(
    changed: dict[str, Any], *, deactivated: AuditAction, updated: AuditAction
) -> AuditAction:
    """An update that only switches a contact off is audited as its deactivation."""
    return deactivated if changed.keys() == {"active"} and not changed["active"] else updated
