"""docker-compose.yml cannot run here (no Docker engine), so check what can be checked: it parses,
its EWS_* variables are settings the code reads, and its commands exist in the CLI."""

from __future__ import annotations

import re

import yaml
from typer.main import get_command

from ews.cli import app as cli_app
from ews.settings import Settings
from tests.support.paths import REPO


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def ews_services(data: dict) -> dict[str, dict]:
    return {name: s for name, s in data["services"].items() if s.get("image") == "ews:latest"}


def test_compose_has_postgres_with_a_volume_and_a_health_check() -> None:
    db = compose()["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_every_ews_variable_in_compose_is_a_setting() -> None:
    fields = {f"EWS_{name.upper()}" for name in Settings.model_fields}
    for name, service in ews_services(compose()).items():
        for variable in service["environment"]:
            if variable.startswith("EWS_"):
                assert variable in fields, f"{name}: {variable} is not read by Settings"


def test_every_example_variable_is_a_setting_or_a_compose_variable() -> None:
    fields = {f"EWS_{name.upper()}" for name in Settings.model_fields}
    text = (REPO / ".env.example").read_text()
    for variable in re.findall(r"^([A-Z_]+)=", text, flags=re.M):
        assert variable in fields or variable in (REPO / "docker-compose.yml").read_text()


def test_every_compose_command_exists_in_the_cli() -> None:
    click_app = get_command(cli_app)
    for name, service in ews_services(compose()).items():
        command = service["command"]
        assert command[0] == "ews", name
        commands = click_app.commands  # type: ignore[attr-defined]
        assert command[1] in commands, f"{name}: {command}"
        # Parsing the options for real fails on an option the command does not have.
        commands[command[1]].make_context(command[1], list(command[2:]))


def test_the_api_waits_for_the_database_and_the_migration() -> None:
    api = compose()["services"]["api"]
    assert api["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert api["depends_on"]["db"]["condition"] == "service_healthy"


def test_photos_live_on_a_named_volume_where_the_settings_put_them() -> None:
    data = compose()
    assert "photos" in data["volumes"]
    for name in ("api", "scheduler"):
        service = data["services"][name]
        assert "photos:/app/var/photos" in service["volumes"], name
        assert service["environment"]["EWS_PHOTOS_DIR"] == "/app/var/photos", name
