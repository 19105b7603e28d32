"""The service in a thread of the test's own process, on a loopback port, as uvicorn serves it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.wait import wait_until


def loopback_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1 (its URL can go into the settings before the
    app is built)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def serving(app: FastAPI, sock: socket.socket) -> Iterator[str]:
    """``app`` served on ``sock`` until the block ends; yields its base URL once it has started."""
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, ws="none", lifespan="on", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: server.started, timeout=20, interval=0.05, message="the service did not start"
        )
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
