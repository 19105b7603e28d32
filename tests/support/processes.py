"""Child processes: ``ews`` commands run as a user runs them, the environment they run with in the
tests, a wait for a service to answer, and free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.settings import TEST_CAP_SENDER, TEST_ENCRYPTION_KEY, TEST_SECRET
from tests.support.wait import wait_until

# ``ews`` as the tests start it: this interpreter's, so the child runs the code under test.
EWS = (sys.executable, "-m", "ews")


def clean_env(**variables: str) -> dict[str, str]:
    """This machine's environment without any ``EWS_`` variable (a developer's own settings must not
    reach the child), plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EWS_")}
    env.update(variables)
    return env


def ews_env(
    database_url: str, *, secret_key: str = TEST_SECRET, **variables: str
) -> dict[str, str]:
    """``clean_env`` with the settings every ``ews`` process of the tests needs (``EWS_ENV=test``,
    the database, the secret and encryption keys, the CAP sender), plus ``variables`` such as
    ``EWS_SMTP_PORT="2525"``."""
    return clean_env(
        EWS_ENV="test",
        EWS_DATABASE_URL=database_url,
        EWS_SECRET_KEY=secret_key,
        EWS_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
        EWS_CAP_SENDER=TEST_CAP_SENDER,
        **variables,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_ews(
    *args: str,
    env: dict[str, str],
    cwd: Path | None = None,
    timeout: float = 180,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``ews ARGS`` run to its end, its output captured as text."""
    return subprocess.run(
        [*EWS, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def wait_for_service(base_url: str, path: str = "/healthz", *, timeout: float = 30) -> None:
    """Until ``GET base_url + path`` answers 200 (a connection refused counts as "not yet")."""
    wait_until(
        lambda: httpx.get(f"{base_url}{path}", timeout=1).status_code == 200,
        timeout=timeout,
        interval=0.2,
        ignoring=(httpx.TransportError,),
        message=f"{base_url} did not start",
    )
