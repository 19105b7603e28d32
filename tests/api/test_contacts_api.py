"""Contacts managed without a release (DESIGN section 12): an admin creates, changes and
deactivates an institution's contacts and a community's leaders through the API; every change is
audited without the address or phone in clear; addresses and phones are encrypted at rest; a
re-run of ``ews init`` leaves a contact changed through the API as the admin left it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ews.models import AuditLog, Contact
from ews.reference.loader import load_reference_data
from tests.support.paths import FIXTURES_DIR
from tests.support.web import auth

GUARD = {
    "code": "dp-guardia-sms",
    "institution": "DP",
    "name": "Defensoría - guardia de Ucayali",
    "channel": "sms",
    "address": "+51 961 000 111",
    "scope": "regional",
    "region_ubigeo": "25",
    "min_level": "high",
    "categories": ["defender_safety"],
}


def _audit(db: Session, object_id: str) -> list[AuditLog]:
    db.expire_all()
    return list(
        db.scalars(select(AuditLog).where(AuditLog.object_id == object_id).order_by(AuditLog.id))
    )


def test_an_admin_manages_an_institution_contact_audited_and_encrypted(
    client: TestClient,
    db: Session,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    admin = auth(make_key("admin", name="admin-ana"))
    created = client.post("/api/v1/contacts", headers=admin, json=GUARD)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["address"] == "+51961000111"
    assert body["managed_by"] == "api"
    assert body["categories"] == ["defender_safety"]
    codes = [c["code"] for c in client.get("/api/v1/contacts", headers=admin).json()["items"]]
    assert "dp-guardia-sms" in codes and "minjus-regional-email" in codes

    [raw] = db.execute(text("SELECT address FROM contact WHERE code = 'dp-guardia-sms'")).scalars()
    assert "961000111" not in raw

    changed = client.patch(
        "/api/v1/contacts/dp-guardia-sms", headers=admin, json={"min_level": "critical"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["min_level"] == "critical"
    moved = client.patch(
        "/api/v1/contacts/dp-guardia-sms", headers=admin, json={"address": "962 000 222"}
    )
    assert moved.json()["address"] == "+51962000222"
    same = client.patch(
        "/api/v1/contacts/dp-guardia-sms", headers=admin, json={"min_level": "critical"}
    )
    assert same.status_code == 200
    gone = client.delete("/api/v1/contacts/dp-guardia-sms", headers=admin)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert client.get("/api/v1/contacts/dp-guardia-sms", headers=admin).json()["active"] is False

    entries = _audit(db, "dp-guardia-sms")
    assert [(e.action, e.actor) for e in entries] == [
        ("contact.created", "admin-ana"),
        ("contact.updated", "admin-ana"),
        ("contact.updated", "admin-ana"),
        ("contact.deactivated", "admin-ana"),
    ]  # the PATCH that changed nothing wrote nothing
    assert entries[1].details == {"min_level": "critical"}
    assert entries[2].details == {"address": "(cambiado / changed)"}
    for entry in entries:
        assert "961000111" not in json.dumps(entry.details)
        assert "962000222" not in json.dumps(entry.details)


def test_contact_mistakes_get_answers_a_person_can_act_on(
    client: TestClient,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    admin = auth(make_key("admin"))
    for change, field in (
        ({"institution": "NOPE"}, "institution"),
        ({"channel": "fax"}, "channel"),
        ({"region_ubigeo": None}, "region_ubigeo"),
        ({"categories": ["weather"]}, "categories"),
        ({"address": "12"}, "address"),
        ({"min_level": "none"}, "min_level"),
        ({"code": "Con Espacios"}, "code"),
    ):
        response = client.post("/api/v1/contacts", headers=admin, json={**GUARD, **change})
        assert response.status_code == 422, (change, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
    email = client.post(
        "/api/v1/contacts",
        headers=admin,
        json={**GUARD, "code": "dp-mail", "channel": "email", "address": "no-es-correo"},
    )
    assert email.status_code == 422
    assert email.json()["errors"][0]["field"] == "address"
    assert client.post("/api/v1/contacts", headers=admin, json=GUARD).status_code == 201
    assert client.post("/api/v1/contacts", headers=admin, json=GUARD).status_code == 409
    assert client.get("/api/v1/contacts/no-such", headers=admin).status_code == 404
    assert client.patch("/api/v1/contacts/no-such", headers=admin, json={}).status_code == 404


def test_a_rerun_of_ews_init_keeps_what_the_admin_changed(
    client: TestClient,
    db: Session,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    admin = auth(make_key("admin"))
    response = client.patch(
        "/api/v1/contacts/dp-regional-email",
        headers=admin,
        json={"address": "guardia@dp.example.org", "min_level": "high"},
    )
    assert response.status_code == 200, response.text
    assert client.post("/api/v1/contacts", headers=admin, json=GUARD).status_code == 201
    # A contact of the YAML that nobody touched through the API is still the YAML's.
    db.execute(
        text("UPDATE contact SET min_level = 'critical' WHERE code = 'minam-regional-email'")
    )
    db.commit()

    report = load_reference_data(db, FIXTURES_DIR)
    db.commit()
    db.expire_all()
    rows = {c.code: c for c in db.scalars(select(Contact))}
    assert rows["dp-regional-email"].address == "guardia@dp.example.org"
    assert rows["dp-regional-email"].min_level == "high"
    assert rows["dp-guardia-sms"].active  # not in the YAML, but the admin's: not deactivated
    assert rows["minam-regional-email"].min_level == "warning"
    assert report.kept == {"contact": 1}


def test_an_admin_manages_community_leaders(
    client: TestClient,
    db: Session,
    make_key,  # type: ignore[no-untyped-def]
) -> None:
    admin = auth(make_key("admin"))
    leader = {
        "code": "flor-apu",
        "community": "flor-de-ucayali",
        "role": "leader",
        "name": "Apu de Flor de Ucayali",
        "phone": "961 222 333",
    }
    created = client.post("/api/v1/community-contacts", headers=admin, json=leader)
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == "+51961222333"
    assert created.json()["language"] == "es"
    for change, field in (
        ({"code": "otro", "phone": "+51 961 222 333"}, "phone"),  # one phone, one contact
        ({"code": "otro", "phone": "abc"}, "phone"),
        ({"code": "otro", "role": "chief"}, "role"),
        ({"code": "otro", "community": "nowhere"}, "community"),
    ):
        response = client.post(
            "/api/v1/community-contacts", headers=admin, json={**leader, **change}
        )
        assert response.status_code == 422, (change, response.text)
        assert response.json()["errors"][0]["field"] == field
    listed = client.get("/api/v1/community-contacts?community=flor-de-ucayali", headers=admin)
    assert [c["code"] for c in listed.json()["items"]] == ["flor-apu"]
    patched = client.patch(
        "/api/v1/community-contacts/flor-apu", headers=admin, json={"role": "monitor"}
    )
    assert patched.json()["role"] == "monitor"
    assert (
        client.delete("/api/v1/community-contacts/flor-apu", headers=admin).json()["active"]
        is False
    )
    assert [e.action for e in _audit(db, "flor-apu")] == [
        "community_contact.created",
        "community_contact.updated",
        "community_contact.deactivated",
    ]
