"""``/dashboard/contacts``: an admin signs in and manages an institution's contact and a
community's leader with the page's forms (anti-forgery token, same origin); mistakes come back in
words; analysts and institutions do not get the page; every change is audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import AuditLog, CommunityContact, Contact
from tests.support.web import ORIGIN, csrf_token, sign_in


def test_an_admin_manages_contacts_on_the_dashboard(
    client: TestClient,
    db: Session,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(client, make_key("admin", name="admin-web"))
    page = client.get("/dashboard/contacts")
    assert page.status_code == 200
    assert 'id="contact-form"' in page.text and 'id="community-contact-form"' in page.text
    assert "minjus-regional-email" in page.text
    token = csrf_token(page.text)

    refused = client.post(
        "/dashboard/contacts", data={"code": "x-forged", "csrf": "nope"}, headers=ORIGIN
    )
    assert refused.status_code == 403

    wrong = client.post(
        "/dashboard/contacts",
        data={
            "code": "dp-guardia",
            "institution": "DP",
            "name": "DP guardia",
            "channel": "sms",
            "address": "no es un teléfono",
            "scope": "national",
            "csrf": token,
        },
        headers=ORIGIN,
    )
    assert wrong.status_code == 422
    assert "teléfono no válido" in wrong.text

    created = client.post(
        "/dashboard/contacts",
        data={
            "code": "dp-guardia",
            "institution": "DP",
            "name": "DP guardia",
            "channel": "sms",
            "address": "+51 961 000 111",
            "scope": "national",
            "categories": "defender_safety",
            "csrf": token,
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    changed = client.post(
        "/dashboard/contacts",
        data={"code": "dp-guardia", "min_level": "critical", "csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert changed.status_code == 303
    leader = client.post(
        "/dashboard/community-contacts",
        data={
            "code": "flor-apu",
            "community": "flor-de-ucayali",
            "role": "leader",
            "name": "Apu",
            "phone": "961 222 333",
            "csrf": token,
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert leader.status_code == 303, leader.text
    off = client.post(
        "/dashboard/community-contacts/flor-apu/deactivate",
        data={"csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert off.status_code == 303

    db.expire_all()
    contact = db.scalars(select(Contact).where(Contact.code == "dp-guardia")).one()
    assert (contact.address, contact.min_level, contact.categories) == (
        "+51961000111",
        "critical",
        ["defender_safety"],
    )
    member = db.scalars(select(CommunityContact).where(CommunityContact.code == "flor-apu")).one()
    assert member.phone == "+51961222333" and not member.active
    actions = [
        (a.action, a.object_id)
        for a in db.scalars(
            select(AuditLog).where(AuditLog.actor == "admin-web").order_by(AuditLog.id)
        )
        if a.action != "dashboard.signed_in"
    ]
    assert actions == [
        ("contact.created", "dp-guardia"),
        ("contact.updated", "dp-guardia"),
        ("community_contact.created", "flor-apu"),
        ("community_contact.deactivated", "flor-apu"),
    ]


def test_only_admins_get_the_contacts_page(
    client: TestClient,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    sign_in(client, make_key("analyst"))
    assert client.get("/dashboard/contacts").status_code == 403
    assert 'href="/dashboard/contacts"' not in client.get("/dashboard").text
