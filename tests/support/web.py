"""Calling the service as its users do: API key headers and the dashboard sign-in."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

# The dashboard's forms refuse a POST from another site; the test client's own origin.
ORIGIN = {"Origin": "http://testserver"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_token(html: str) -> str:
    """The anti-forgery token a dashboard form carries."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries an anti-forgery token"
    return found.group(1)


def submit_sign_in(client: TestClient, key: str) -> httpx.Response:
    """The sign-in form, filled with ``key`` and sent; the answer, redirects not followed."""
    form = client.get("/dashboard/login")
    return client.post(
        "/dashboard/login",
        data={"key": key, "csrf": csrf_token(form.text)},
        headers=ORIGIN,
        follow_redirects=False,
    )


def sign_in(client: TestClient, key: str) -> None:
    """Signs ``client`` in to the dashboard with ``key``."""
    response = submit_sign_in(client, key)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
