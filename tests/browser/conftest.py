"""Fixtures of the browser tests: one headless Chromium per module, the service on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session

from ews.api.app import create_app
from ews.settings import Settings
from tests.support.browser import LAUNCH_ARGS, LiveServer, require_chromium
from tests.support.wait import wait_until


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
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = fresh_settings.model_copy(
        update={"base_url": url, "mail_dir": tmp_path / "mail", "env": "development"}
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, ws="none", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(
        lambda: server.started, timeout=20, interval=0.05, message="the service did not start"
    )
    with Session(app.state.engine) as session:
        yield LiveServer(url=url, settings=settings, session=session)
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()
    app.state.engine.dispose()
