"""The command line as a user runs it: real processes on a fresh SQLite file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_CAP_SENDER, TEST_ENCRYPTION_KEY, TEST_SECRET


def run_ews(
    *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ews", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EWS_")}
    env.update(
        EWS_DATABASE_URL=f"sqlite:///{tmp_path / 'ews.sqlite3'}",
        EWS_SECRET_KEY=TEST_SECRET,
        EWS_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
        EWS_CAP_SENDER=TEST_CAP_SENDER,
        EWS_ENV="test",
        EWS_EMBEDDED_SCHEDULER="false",
        EWS_EMBEDDED_WORKER="false",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_explains_each_command(cli_env: dict[str, str]) -> None:
    out = run_ews("--help", env=cli_env).stdout
    for command in ("init", "serve", "keys"):
        assert command in out
    assert "create" in run_ews("keys", "--help", env=cli_env).stdout


def test_init_twice_changes_nothing_the_second_time(cli_env: dict[str, str]) -> None:
    first = run_ews("init", env=cli_env)
    second = run_ews("init", env=cli_env)
    assert "inserted: 0" not in first.stderr.replace("\n", " ")
    flat = " ".join(second.stderr.split())
    assert "inserted: 0" in flat and "updated: 0" in flat


def test_keys_create_prints_the_secret_alone_on_the_last_line(cli_env: dict[str, str]) -> None:
    run_ews("init", env=cli_env)
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
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("ews_") and " " not in last
    listing = run_ews("keys", "list", env=cli_env).stdout
    assert "Monitor 1" in listing and last.split("_", 2)[2] not in listing
    refused = run_ews(
        "keys", "create", "--role", "monitor", "--name", "x", env=cli_env, check=False
    )
    assert refused.returncode == 2 and "--community" in refused.stderr


def test_serve_answers_with_the_reference_data(cli_env: dict[str, str]) -> None:
    run_ews("init", env=cli_env)
    token = run_ews(
        "keys", "create", "--role", "analyst", "--name", "Ana", env=cli_env
    ).stdout.split()[-1]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ews", "serve", "--port", str(port)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        institutions = httpx.get(f"{base}/api/v1/reference/institutions", headers=headers).json()
        assert {"MINJUS", "DP", "MINAM", "DEVIDA"} <= {i["code"] for i in institutions["items"]}
        geo = httpx.get(f"{base}/api/v1/reference/communities", headers=headers).json()
        assert geo["type"] == "FeatureCollection"
        factsheet = httpx.get(f"{base}/api/v1/reference/factsheet", headers=headers).json()
        assert len(factsheet["working_groups"]) == 7
        run_ews("keys", "revoke", "1", env=cli_env)
        assert httpx.get(f"{base}/api/v1/reference/factsheet", headers=headers).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
