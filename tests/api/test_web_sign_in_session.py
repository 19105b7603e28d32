"""Sign-in to the dashboard through the ASGI app (both engines): the session cookie and what it
holds, refused keys, anti-forgery checks on sign-in and sign-out, revoked keys, forged or expired
cookies. Too many tries are in ``test_sign_in_throttle.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ews.auth.keys import Role, create_key, revoke_key
from ews.web.session import SESSION_COOKIE, issue_session
from tests.support.settings import TEST_SECRET
from tests.support.web import ORIGIN, csrf_token, sign_in, submit_sign_in


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/dashboard", "/dashboard/communities/flor-de-ucayali", "/dashboard/reference"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"


def test_sign_in_sets_a_strict_httponly_cookie_without_the_key(
    client: TestClient, make_key
) -> None:
    key = make_key("analyst", name="Ana Analista")
    form = client.get("/dashboard/login")
    assert 'type="password"' in form.text
    response = client.post(
        "/dashboard/login",
        data={"key": key, "csrf": csrf_token(form.text)},
        headers=ORIGIN,
        follow_redirects=False,
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/dashboard" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    secret_part = key.split("_", 2)[2]
    assert key not in value
    assert secret_part not in value
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Ana Analista" in page.text


def test_wrong_key_and_monitor_key_are_refused(client: TestClient, make_key) -> None:
    wrong = submit_sign_in(client, "ews_nope_nope")
    assert wrong.status_code == 401
    assert "Clave inválida o revocada." in wrong.text
    monitor = make_key("monitor", community="flor-de-ucayali")
    refused = submit_sign_in(client, monitor)
    assert refused.status_code == 401
    assert "Los monitores usan la página de reporte" in refused.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_sign_in_from_another_site_or_without_token_is_refused(
    client: TestClient, make_key
) -> None:
    key = make_key("analyst")
    form = client.get("/dashboard/login")
    token = csrf_token(form.text)
    foreign = client.post(
        "/dashboard/login",
        data={"key": key, "csrf": token},
        headers={"Origin": "https://evil.example.org"},
        follow_redirects=False,
    )
    assert foreign.status_code == 400
    missing = client.post(
        "/dashboard/login", data={"key": key}, headers=ORIGIN, follow_redirects=False
    )
    assert missing.status_code == 400
    assert SESSION_COOKIE not in client.cookies


def test_revoking_the_key_ends_the_session(client: TestClient, db: Session) -> None:
    row, key = create_key(db, role=Role.analyst, name="Temporal")
    db.commit()
    sign_in(client, key)
    assert client.get("/dashboard").status_code == 200
    revoke_key(db, key_id=row.id)
    db.commit()
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"


def test_forged_or_expired_cookies_are_refused(client: TestClient, db: Session) -> None:
    row, _key = create_key(db, role=Role.admin, name="Admin")
    db.commit()
    expired = issue_session(
        TEST_SECRET, key_id=row.id, now=datetime.now(UTC) - timedelta(days=2), lifetime_s=3600
    )
    forged = issue_session(
        "another-secret-of-enough-length-000000000",
        key_id=row.id,
        now=datetime.now(UTC),
        lifetime_s=3600,
    )
    valid = issue_session(TEST_SECRET, key_id=row.id, now=datetime.now(UTC), lifetime_s=3600)
    for value, expected in ((expired, 303), (forged, 303), (valid, 200)):
        client.cookies.set(SESSION_COOKIE, value, path="/dashboard")
        assert client.get("/dashboard", follow_redirects=False).status_code == expected
        client.cookies.clear()


def test_sign_out_needs_the_session_token(client: TestClient, make_key) -> None:
    sign_in(client, make_key("analyst"))
    page = client.get("/dashboard")
    refused = client.post(
        "/dashboard/logout", data={"csrf": "forged"}, headers=ORIGIN, follow_redirects=False
    )
    assert refused.status_code == 403
    assert client.get("/dashboard").status_code == 200
    done = client.post(
        "/dashboard/logout",
        data={"csrf": csrf_token(page.text)},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303
