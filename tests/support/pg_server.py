"""A PostgreSQL server of the test's own (initdb in a temp folder, its own port), for fault tests
that stop and restart the server without touching the shared one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.processes import free_port
from tests.support.wait import wait_until


def _bin_dir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    if not root.exists():
        found = shutil.which("pg_ctl")
        return Path(found).parent if found else None
    versions = sorted(root.iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else 0)
    return versions[-1] / "bin" if versions else None


class OwnPostgres:
    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None or not (bin_dir / "initdb").exists():
            msg = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
            raise RuntimeError(msg)
        self.bin = bin_dir
        # Its own folder under /tmp: the postgres user cannot enter pytest's root-only tmp_path.
        self.base = Path(tempfile.mkdtemp(prefix="ews-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self._as_postgres:
            shutil.chown(self.base, user="postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.base / "log"),
            "-w",
            "start",
        )
        self.wait_ready()

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def wait_ready(self, timeout: float = 30) -> None:
        engine = create_engine(self.url)

        def answers() -> bool:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True

        try:
            wait_until(answers, timeout=timeout, interval=0.2, ignoring=(Exception,))
        finally:
            engine.dispose()

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
