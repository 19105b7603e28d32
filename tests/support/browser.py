"""What the browser tests share: finding Chromium, a live service on loopback (its fixture is in
``tests/browser/conftest.py``), a watch on every request and console error, screenshots.

Without Chromium the browser tests skip with one line saying so; with ``EWS_REQUIRE_BROWSER=1`` (set
by ``.ci/run``) they fail instead, so CI never passes on skipped browser tests.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from ews.auth.keys import Role, create_key
from ews.settings import Settings
from tests.support.paths import REPO

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """``EWS_CHROMIUM`` if set, else the first Chromium or Chrome on the PATH (Debian's
    ``/usr/bin/chromium`` among them), else the browser Playwright downloaded, if any."""
    explicit = os.environ.get("EWS_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    with sync_playwright() as playwright:
        bundled = playwright.chromium.executable_path
    return bundled if bundled and Path(bundled).exists() else None


def require_chromium() -> str:
    found = find_chromium()
    if found:
        return found
    reason = (
        "no Chromium found (apt-get install chromium, or set EWS_CHROMIUM=/path/to/chromium): "
        "browser tests skipped"
    )
    if os.environ.get("EWS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"EWS_REQUIRE_BROWSER=1 and {reason.replace(' skipped', ' cannot run')}")
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    settings: Settings
    session: Session


@dataclass
class Watch:
    """Every request a context makes and every console error its pages log."""

    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("page", self.page)

    def page(self, page: Page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def assert_clean(self) -> None:
        foreign = [url for url in self.requests if not url.startswith(self.base)]
        assert self.requests, foreign
        assert not foreign, foreign
        assert not self.errors, self.errors


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in ``test-artifacts/`` (``make screenshots`` copies them to
    ``docs/screenshots/``)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --- The monitor's phone on /report, and the analyst's dashboard -----------------------------

FLOR = "flor-de-ucayali"
FLOR_NAME = "Comunidad Nativa Flor de Ucayali"
# The size of a phone; Lima's clock and language.
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
PERU: dict[str, Any] = {"locale": "es-PE", "timezone_id": "America/Lima"}


def new_key(server: LiveServer, role: str, community: str | None = None) -> str:
    """A key of ``role`` (a monitor's for ``community``), committed so the service sees it."""
    _row, key = create_key(
        server.session, role=Role(role), name=f"{role} prueba", community_code=community
    )
    server.session.commit()
    return key


def phone(
    browser: Browser,
    server: LiveServer,
    watch: Watch,
    *,
    at: tuple[float, float] | None = None,
) -> BrowserContext:
    """A monitor's phone: small screen, Lima, es-PE; with ``at`` (latitude, longitude) the
    position is given (and can be moved with ``move``)."""
    where: dict[str, Any] = {}
    if at is not None:
        where = {
            "geolocation": {"latitude": at[0], "longitude": at[1], "accuracy": 10},
            "permissions": ["geolocation"],
        }
    context = browser.new_context(base_url=server.url, **PHONE, **PERU, **where)
    watch.attach(context)
    return context


def move(context: BrowserContext, lat: float, lon: float) -> None:
    context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 10})


def open_report(context: BrowserContext, key: str, community_name: str = FLOR_NAME) -> Page:
    """``/report`` opened with signal, the monitor's key entered and checked, and the service
    worker ready to serve the page without signal."""
    page = context.new_page()
    page.goto("/report")
    page.fill("#key", key)
    page.click("#key-form button")
    expect(page.locator("#community-name")).to_have_text(community_name)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    return page


def lose_signal(context: BrowserContext, page: Page) -> None:
    """No signal at all; the page opened again, served by the service worker."""
    context.set_offline(True)
    page.reload()
    expect(page.locator("#net")).to_have_text("Sin señal")


def mark_waiting(page: Page, queue: str) -> None:
    """Every item of a ``localStorage`` queue marked waiting again, as after a lost answer."""
    page.evaluate(
        f"localStorage.setItem('{queue}', JSON.stringify(JSON.parse(localStorage.getItem("
        f"'{queue}')).map(i => ({{...i, status: 'waiting'}}))))"
    )


def queued_photos(page: Page) -> int:
    """How many photos still wait in the phone's IndexedDB."""
    return int(
        page.evaluate(
            "new Promise(r => { const o = indexedDB.open('ews-report', 1); o.onsuccess = () => "
            "{ const q = o.result.transaction('photos').objectStore('photos').count(); "
            "q.onsuccess = () => r(q.result); }; })"
        )
    )


def sign_in_dashboard(page: Page, key: str) -> None:
    page.goto("/dashboard")
    page.fill("#key", key)
    page.click("form[action='/dashboard/login'] button")
    expect(page.locator("form[action='/dashboard/login']")).to_have_count(0)


def run_pipeline(context: BrowserContext, key: str) -> None:
    ran = context.request.post(
        "/api/v1/jobs/pipeline/run", data={}, headers={"Authorization": f"Bearer {key}"}
    )
    assert ran.ok and ran.json()["status"] == "succeeded", ran.text()
