"""The README, run: a newcomer's commands, as written, against the service ``make run`` starts.

In a folder of its own (the repository's ``Makefile``, ``pyproject.toml``, ``.venv`` and
``samples/`` linked in, nothing else), the test runs ``make run PORT=<free port>``, waits for the
service, then runs every ``sh`` block of README.md in order in one bash, as a reader pastes them:
variables made by one block are there for the next. The only change made to a block is the port,
``8000`` -> the one served. ``curl`` answers that are not 2xx fail the test (``--fail-with-body``),
and so does any command that exits non-zero. A block the test cannot run (Docker, a PostgreSQL of
your own, ``make test`` itself) is marked just above it with ``<!-- readme-test: skip REASON -->``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.paths import REPO
from tests.support.processes import clean_env, free_port
from tests.support.wait import wait_until

README = REPO / "README.md"
SKIP_MARK = re.compile(r"<!-- readme-test: skip (?P<reason>.+?) -->\s*$")
FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")
LINKED = ("Makefile", "pyproject.toml", "alembic.ini", ".venv", "samples")
CURL_STRICT = 'curl() { command curl --silent --show-error --fail-with-body "$@"; echo; }'


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    code: str
    skip: str | None  # the reason, when the README says the test does not run it


def shell_blocks(text: str) -> list[Block]:
    """Every ```sh block of ``text`` with its line and, if marked, why it is not run."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if fence is None or not fence.group("lang"):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if fence.group("lang") == "sh":
            previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
            mark = SKIP_MARK.match(previous.strip())
            blocks.append(
                Block(index + 1, "\n".join(lines[index + 1 : end]), mark and mark["reason"])
            )
        index = end + 1
    return blocks


def test_the_readme_blocks_are_found_and_every_skip_says_why() -> None:
    blocks = shell_blocks(README.read_text())
    run = [b for b in blocks if b.skip is None]
    assert len(run) >= 6, "the README's API, intake, alerts, jobs and delivery blocks are run"
    # A block is skipped for a reason a reader can check, never to hide a command that fails.
    assert all(len(b.skip or "") > 20 for b in blocks if b.skip is not None)
    assert len(blocks) - len(run) <= 4


@dataclass
class Service:
    folder: Path
    port: int
    env: dict[str, str]


def _venv_is_current() -> bool:
    stamp = REPO / ".venv" / ".installed-stamp"
    return stamp.exists() and stamp.stat().st_mtime >= (REPO / "pyproject.toml").stat().st_mtime


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    for tool in ("bash", "curl", "make"):
        if shutil.which(tool) is None:
            pytest.skip(f"the README test needs {tool}, which is not installed")
    if not _venv_is_current():
        pytest.skip("the README test runs the repository's .venv: run it through `make test`")
    for name in LINKED:
        (tmp_path / name).symlink_to(REPO / name)
    env = clean_env()
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    port = free_port()
    log = (tmp_path / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_alerts(port, tmp_path, env, process)
        yield Service(folder=tmp_path, port=port, env=env)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def _wait_for_alerts(
    port: int, folder: Path, env: dict[str, str], process: subprocess.Popen[bytes]
) -> None:
    """Until the service answers and its start-up run has raised the demo's alerts (what a reader
    meets a few seconds after `make run`)."""
    base = f"http://127.0.0.1:{port}"
    token: str | None = None

    def alerts_raised() -> bool:
        nonlocal token
        assert process.poll() is None, (folder / "make-run.log").read_text()[-3000:]
        if httpx.get(f"{base}/healthz", timeout=2).status_code != 200:
            return False
        if token is None:
            token = _key(folder, env)
        answer = httpx.get(
            f"{base}/api/v1/alerts?status=open&community=demo-0001&limit=1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        return answer.status_code == 200 and bool(answer.json()["items"])

    try:
        wait_until(alerts_raised, timeout=240, interval=0.5, ignoring=(httpx.TransportError,))
    except AssertionError as exc:
        raise AssertionError((folder / "make-run.log").read_text()[-3000:]) from exc


def _key(folder: Path, env: dict[str, str]) -> str:
    made = subprocess.run(
        [".venv/bin/ews", "keys", "create", "--role", "analyst", "--name", "readme-test"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return made.stdout.strip().splitlines()[-1]


def test_every_readme_command_works_as_written(service: Service) -> None:
    blocks = [b for b in shell_blocks(README.read_text()) if b.skip is None]
    script = ["set -euo pipefail", CURL_STRICT]
    for block in blocks:
        code = block.code.replace(":8000", f":{service.port}")
        script += [f"echo '=== README.md line {block.line}' >&2", code]
    done = subprocess.run(
        ["bash", "-x", "-c", "\n".join(script)],
        cwd=service.folder,
        env={**service.env, "PS4": "+ "},
        capture_output=True,
        text=True,
        timeout=600,
    )
    where = [line for line in done.stderr.splitlines() if line.startswith("=== README.md")]
    assert done.returncode == 0, (
        f"{where[-1] if where else 'README'} failed (exit {done.returncode}):\n"
        f"{done.stderr[-4000:]}\n--- stdout ---\n{done.stdout[-2000:]}"
    )
    assert len(where) == len(blocks)
    # What the blocks made is there: the feed file loaded with its bad row named, and the mail of
    # the demo's drill kept in the folder (never sent), saying SIMULACRO first.
    assert '"rejected": [{"row": 13' in done.stdout.replace("\n", "")
    assert (service.folder / "indicators.csv").stat().st_size > 0
    caught = [p.read_text() for p in (service.folder / "var" / "mail" / "new").iterdir()]
    drills = [mail for mail in caught if "Demo 0001" in mail]
    assert drills
    assert all("Subject: SIMULACRO - [EWS]" in mail for mail in drills)
