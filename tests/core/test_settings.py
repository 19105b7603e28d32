from __future__ import annotations

import pytest
from pydantic import ValidationError

from ews.settings import Settings


def test_defaults_point_at_a_local_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EWS_DATABASE_URL", "EWS_ENV", "EWS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "sqlite:///./var/ews.sqlite3"
    assert settings.env == "development"


def test_environment_variables_use_the_ews_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EWS_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("EWS_SMTP_PORT", "2525")
    monkeypatch.setenv("EWS_SMTP_FROM", "alertas@example.org")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_from) == (
        "mail.example.org",
        2525,
        "alertas@example.org",
    )


@pytest.mark.parametrize("secret", ["changeme", "dev-insecure-secret-change-me", "short"])
@pytest.mark.parametrize("env", ["production", "test"])
def test_placeholder_secret_is_refused_outside_development(secret: str, env: str) -> None:
    with pytest.raises(ValidationError, match="EWS_SECRET_KEY"):
        Settings(_env_file=None, env=env, secret_key=secret)  # type: ignore[call-arg]


def test_placeholder_secret_is_accepted_in_development() -> None:
    settings = Settings(_env_file=None, env="development", secret_key="changeme")  # type: ignore[call-arg]
    assert settings.secret_key == "changeme"


def test_importing_the_app_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken environment only fails when settings are built, never at import."""
    import importlib

    monkeypatch.setenv("EWS_SMTP_PORT", "not-a-number")
    for module in ("ews.api.app", "ews.cli", "ews.db", "ews.models"):
        importlib.reload(importlib.import_module(module))
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
