"""The command line as a user runs it: real processes on a fresh SQLite file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.processes import EWS, ews_env, free_port, run_ews, wait_for_service


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    return ews_env(
        f"sqlite:///{tmp_path / 'ews.sqlite3'}",
        EWS_EMBEDDED_SCHEDULER="false",
        EWS_EMBEDDED_WORKER="false",
    )


def test_help_explains_each_command(cli_env: dict[str, str]) -> None:
    out = run_ews("--help", env=cli_env, check=True).stdout
    for command in ("init", "serve", "keys"):
        assert command in out
    assert "create" in run_ews("keys", "--help", env=cli_env, check=True).stdout


def test_init_twice_changes_nothing_the_second_time(cli_env: dict[str, str]) -> None:
    first = run_ews("init", env=cli_env, check=True)
    second = run_ews("init", env=cli_env, check=True)
    assert "inserted: 0" not in first.stderr.replace("\n", " ")
    flat = " ".join(second.stderr.split())
    assert "inserted: 0" in flat
    assert "updated: 0" in flat


def test_keys_create_prints_the_secret_alone_on_the_last_line(cli_env: dict[str, str]) -> None:
    run_ews("init", env=cli_env, check=True)
    result = run_ews(
        "keys",
        "create",
        "--role",
        "monitor",
        "--name",
        "Monitor 1",
        "--community",
        "flor-de-ucayali",
        env=cli_env,
        check=True,
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("ews_")
    assert " " not in last
    listing = run_ews("keys", "list", env=cli_env, check=True).stdout
    assert "Monitor 1" in listing
    assert last.split("_", 2)[2] not in listing
    refused = run_ews(
        "keys", "create", "--role", "monitor", "--name", "x", env=cli_env, check=False
    )
    assert refused.returncode == 2
    assert "--community" in refused.stderr


def test_serve_answers_with_the_reference_data(cli_env: dict[str, str]) -> None:
    run_ews("init", env=cli_env, check=True)
    token = run_ews(
        "keys", "create", "--role", "analyst", "--name", "Ana", env=cli_env, check=True
    ).stdout.split()[-1]
    port = free_port()
    server = subprocess.Popen(
        [*EWS, "serve", "--port", str(port)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_service(base)
        headers = {"Authorization": f"Bearer {token}"}
        institutions = httpx.get(f"{base}/api/v1/reference/institutions", headers=headers).json()
        assert {"MINJUS", "DP", "MINAM", "DEVIDA"} <= {i["code"] for i in institutions["items"]}
        geo = httpx.get(f"{base}/api/v1/reference/communities", headers=headers).json()
        assert geo["type"] == "FeatureCollection"
        factsheet = httpx.get(f"{base}/api/v1/reference/factsheet", headers=headers).json()
        assert len(factsheet["working_groups"]) == 7
        run_ews("keys", "revoke", "1", env=cli_env, check=True)
        assert httpx.get(f"{base}/api/v1/reference/factsheet", headers=headers).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
