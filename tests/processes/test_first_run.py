"""A newcomer's first hour, as real processes: a database that cannot be used says so in one line,
the stock ``alembic`` command works, ``/docs`` needs no internet, and ``ews serve --port P`` in
development links to port P and keeps its mail in ``var/mail`` instead of sending it."""

from __future__ import annotations

import mailbox
import re
import subprocess
import sys
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from indicators import CATALOG
from tests.support.paths import REPO
from tests.support.processes import EWS, clean_env, free_port, run_ews
from tests.support.settings import PostgresDatabases, new_database_url
from tests.support.wait import wait_until
from tests.support.web import auth

ALEMBIC = Path(sys.executable).parent / "alembic"


@pytest.mark.parametrize(
    "command", [["init"], ["keys", "list"], ["serve", "--port", "0"], ["worker"]]
)
def test_an_unreachable_database_is_one_line_not_a_traceback(
    command: list[str], tmp_path: Path
) -> None:
    url = f"postgresql://ews:secret@127.0.0.1:{free_port()}/ews"  # nothing listens there
    result = run_ews(*command, env=clean_env(EWS_DATABASE_URL=url), cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr
    assert lines[0].startswith("No se puede usar la base de datos postgresql")
    assert "Connection refused" in lines[0]
    assert "EWS_DATABASE_URL" in lines[0]


def test_a_database_never_initialized_asks_for_ews_init(tmp_path: Path) -> None:
    env = clean_env(EWS_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    for command in (["keys", "list"], ["serve", "--port", str(free_port())]):
        result = run_ews(*command, env=env, cwd=tmp_path, timeout=60)
        assert result.returncode in (1, 2), result.stderr
        assert result.stderr.strip().splitlines() == [
            f"La base de datos sqlite:///{tmp_path / 'empty.sqlite3'} no está inicializada: "
            "ejecute `ews init` primero. / The database is not initialized: run `ews init` first."
        ]


@pytest.fixture
def empty_database_url(
    engine_name: str, postgres_databases: PostgresDatabases | None, tmp_path: Path
) -> str:
    return new_database_url(engine_name, postgres_databases, tmp_path)


def test_the_stock_alembic_command_migrates_checks_and_lists(empty_database_url: str) -> None:
    env = clean_env(EWS_DATABASE_URL=empty_database_url)

    def alembic(*args: str) -> str:
        done = subprocess.run(
            [str(ALEMBIC), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    assert "Running upgrade  -> 0001" in alembic("upgrade", "head")
    assert "No new upgrade operations detected" in alembic("check")
    history = alembic("history")
    assert "<base> -> 0001" in history
    assert "(head)" in history
    assert "(head)" in alembic("current")
    assert "CREATE TABLE" in alembic("upgrade", "head", "--sql")


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page.text)
    sources += re.findall(r"url: ['\"]([^'\"]+)['\"]", page.text)
    assert sources, sources
    assert not [s for s in sources if "://" in s], sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.content, source
    assert "swagger-ui-bundle.js" in page.text
    assert client.get("/openapi.json").json()["info"]["title"].startswith("EWS")


def test_the_root_opens_the_dashboard(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


def _caught(folder: Path) -> list[EmailMessage]:
    box = mailbox.Maildir(folder, factory=None, create=False)
    found = []
    for key in box.iterkeys():
        with box.get_file(key) as handle:
            mail = message_from_bytes(handle.read(), policy=default)
        assert isinstance(mail, EmailMessage)
        found.append(mail)
    return found


def test_serve_on_another_port_links_to_it_and_keeps_its_mail(tmp_path: Path) -> None:
    """Development defaults (no EWS_ settings but the database): the demo's alerts are mailed into
    var/mail, never to a server; every link in mail, CAP and Atom points at the port served."""
    env = clean_env(EWS_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'ews.sqlite3'}")
    assert run_ews("init", env=env, cwd=tmp_path).returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # `ews demo` evaluates its alerts itself, and a CAP message is written once, when its event is:
    # the demo is told the address the service will answer at (the server below is not).
    small = ["--communities", "2", "--reports", "200", "--hotspots", "400", "--alerts", "300"]
    demo_env = {**env, "EWS_BASE_URL": base}
    demo = run_ews("demo", *small, "--series-days", "2", env=demo_env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    key = run_ews("keys", "create", "--role", "analyst", "--name", "Ana", env=env, cwd=tmp_path)
    token = key.stdout.split()[-1]
    server = subprocess.Popen(
        [*EWS, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    folder = tmp_path / "var" / "mail"
    try:

        def mail_caught() -> bool:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            return (folder / "new").is_dir() and any((folder / "new").iterdir())

        wait_until(mail_caught, timeout=120, interval=0.2, message="no mail was caught")
        mails = _caught(folder)
        assert mails
        assert all(m["Subject"].startswith("SIMULACRO") for m in mails)
        for mail in mails:
            links = re.findall(r"https?://\S+", mail.get_content())
            assert links
            # An alert's page, or (a long daily digest) the institution's queue on the dashboard.
            assert all(link.startswith(f"{base}/dashboard") for link in links), links
        alerts = httpx.get(f"{base}/api/v1/alerts", headers=auth(token), timeout=10).json()
        alert_id = alerts["items"][0]["id"]
        cap = etree.fromstring(
            httpx.get(
                f"{base}/api/v1/alerts/{alert_id}/cap", headers=auth(token), timeout=10
            ).content
        )
        webs = [e.text for e in cap.iter("{urn:oasis:names:tc:emergency:cap:1.2}web")]
        assert webs
        assert all(w and w.startswith(base) for w in webs)
        atom = httpx.get(f"{base}/api/v1/alerts/feed.atom", headers=auth(token), timeout=10).text
        assert f"{base}/api/v1/alerts/{alert_id}" in atom
        assert ":8000" not in atom
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    head = err.splitlines()[:2]
    assert head[0] == f"Enlaces / links: {base}"
    assert head[1].startswith("Correo / mail: sin servidor SMTP (EWS_SMTP_HOST), no sale nada")
    assert str(folder) in head[1]
    assert f"{base}/dashboard/mail" in head[1]


def test_run_job_says_in_words_what_it_did(tmp_path: Path) -> None:
    env = clean_env(EWS_DATABASE_URL=f"sqlite:///{tmp_path / 'ews.sqlite3'}")
    assert run_ews("init", env=env, cwd=tmp_path).returncode == 0
    args = ["run-job", "compute-indicators", "--as-of", "2026-11-26T08:00:00-05:00"]
    first = run_ews(*args, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    said = [line for line in first.stderr.splitlines() if line.startswith("compute-indicators")]
    n = len(CATALOG)  # one value per indicator for the one community
    assert said == [
        f"compute-indicators (26/11/2026 08:00 hora de Lima / Lima time): {n} valores nuevos, "
        f"0 actualizados, 0 sin cambios / {n} new values, 0 updated, 0 unchanged"
    ]
    again = run_ews(*args, env=env, cwd=tmp_path)
    assert "Nada cambió" in again.stderr
    assert "Nothing changed" in again.stderr


def test_run_job_send_digests_once_a_day_in_words(tmp_path: Path) -> None:
    env = clean_env(EWS_DATABASE_URL=f"sqlite:///{tmp_path / 'ews.sqlite3'}")
    assert run_ews("init", env=env, cwd=tmp_path).returncode == 0
    args = ["run-job", "send-digests", "--as-of", "2026-11-26T07:00:00-05:00"]
    first = run_ews(*args, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    # Nothing is open on a new installation: no mail, and the day is done for every institution.
    assert "resumen del día 2026-11-26: 0 correos en cola para ninguna institución" in first.stderr
    again = run_ews(*args, env=env, cwd=tmp_path)
    assert "ya enviado hoy: DEVIDA, DP, MINAM, MINJUS" in again.stderr
