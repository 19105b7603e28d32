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

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright
from sqlalchemy.orm import Session

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
