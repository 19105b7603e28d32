"""Calling the service as its users do: API key headers and the dashboard sign-in."""

from __future__ import annotations

import json
import re
from typing import Any

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


def overview_places(html: str) -> dict[str, list[Any]]:
    """The landing map's communities as the page ships them to its script: code -> [code, name,
    level, open alerts, x, y, path]."""
    found = re.search(r'<script type="application/json" id="overview-data">(.*?)</script>', html)
    assert found, "the landing page carries no map data"
    return {place[0]: place for place in json.loads(found.group(1))["c"]}


def overview_levels(html: str) -> dict[str, str]:
    """code -> the colour (level) each community has on the landing map."""
    return {code: place[2] for code, place in overview_places(html).items()}
