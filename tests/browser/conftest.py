"""Fixtures of the browser tests: one headless Chromium per module, the service on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session

from ews.api.app import create_app
from ews.settings import Settings
from tests.support.browser import LAUNCH_ARGS, LiveServer, require_chromium
from tests.support.serving import loopback_socket, serving, url_of


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def live_server(fresh_settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    """The service on a free loopback port as a newcomer runs it (development, no SMTP relay): its
    links point at that port and its mail is kept in a folder of the test's own."""
    sock = loopback_socket()
    settings = fresh_settings.model_copy(
        update={"base_url": url_of(sock), "mail_dir": tmp_path / "mail", "env": "development"}
    )
    app = create_app(settings)
    with serving(app, sock) as url, Session(app.state.engine) as session:
        yield LiveServer(url=url, settings=settings, session=session)
    app.state.engine.dispose()
