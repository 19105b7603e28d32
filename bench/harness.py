"""What every benchmark shares: databases to run on, results with their floor, peak memory."""

from __future__ import annotations

import importlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ews.db import normalize_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# What every benchmark's settings need outside development (a Fernet key, a CAP sender).
BENCH_KEYS = {
    "encryption_key": "YmVuY2gtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMhISE=",
    "cap_sender": "bench@ews.example.org",
}
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class BenchResult:
    """One line of the table: a measured figure, the floor measured in the same run, the ratio."""

    benchmark: str  # e.g. "ingest FIRMS 1M rows"
    engine: str  # sqlite | postgresql | -
    metric: str  # e.g. "rows/s"
    value: float
    floor: float | None = None  # the same work done the plainest way, same run
    higher_is_better: bool = True
    target: str = ""  # e.g. ">= 0.5 of floor"
    passed: bool | None = None
    extra: dict[str, float | str] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.floor in (None, 0) or self.value == 0:
            return None
        assert self.floor is not None
        return self.value / self.floor if self.higher_is_better else self.floor / self.value


@dataclass
class BenchContext:
    work_dir: Path
    postgres_url: str | None
    quick: bool = False

    @contextmanager
    def database(self, engine: str) -> Iterator[str]:
        """A fresh, empty database URL on ``engine`` (dropped afterwards)."""
        if engine == "sqlite":
            path = self.work_dir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
            yield f"sqlite:///{path}"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        if self.postgres_url is None:
            msg = "no PostgreSQL for benchmarks"
            raise RuntimeError(msg)
        admin_url = make_url(normalize_url(self.postgres_url))
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"ews_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    def engines(self) -> list[str]:
        """SQLite, and PostgreSQL if there is one; ``EWS_BENCH_ENGINES`` (e.g. ``postgresql``)
        keeps only those named."""
        engines = ["sqlite", "postgresql"] if self.postgres_url else ["sqlite"]
        wanted = os.environ.get("EWS_BENCH_ENGINES", "").replace(" ", "")
        return [e for e in engines if e in wanted.split(",")] if wanted else engines


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 1e6


class PeakMemory:
    """Samples this process's resident memory every 5 ms; ``peak_mb`` is the highest seen."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self.start_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb())
            time.sleep(0.005)

    def __enter__(self) -> PeakMemory:
        self.start_mb = self.peak_mb = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    elapsed: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start


def run_module(name: str, ctx: BenchContext) -> list[BenchResult]:
    """Run ``bench/<name>.py`` (called in a fresh process by ``bench.__main__``)."""
    module = importlib.import_module(f"bench.{name}")
    results: list[BenchResult] = module.run(ctx)
    return results
