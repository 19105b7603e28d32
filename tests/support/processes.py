"""Child processes: the environment an ``ews`` command runs with in the tests, and free ports."""

from __future__ import annotations

import os
import socket

from tests.support.settings import TEST_CAP_SENDER, TEST_ENCRYPTION_KEY, TEST_SECRET


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
