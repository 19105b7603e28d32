"""Ingest a generated FIRMS VIIRS file through the code path of ``ews ingest`` (``ingest_feed`` in
one ``open_session`` transaction), against the floor measured in the same run on the same data:
the file read with the csv module, converted without checks, and written the plainest way (SQLite:
one ``executemany`` in one transaction into a table with the same unique key and nothing else;
PostgreSQL: ``COPY`` into ``fire_hotspot``). ``EWS_BENCH_INGEST_ROWS`` sets the file's rows.
Peak memory is measured on the full file and on a file a quarter its size: flat means the two
peaks match."""

from __future__ import annotations

import csv
import multiprocessing
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.harness import BenchContext, BenchResult, timer
from ews import migrate
from ews.cli.base import open_session
from ews.db import build_engine, normalize_url
from ews.intake.feeds import FeedSource, ingest_feed
from ews.models.base import utcnow
from ews.settings import Settings

HEADER = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight\n"
)
CONFIDENCE = {"l": "low", "n": "nominal", "h": "high"}
COLUMNS = (
    "instrument, satellite, acquired_at, latitude, longitude, lat_e4, lon_e4, confidence, "
    "confidence_pct, brightness, frp, daynight, version, ingested_at, batch_id, synthetic"
)


def generate(path: Path, rows: int) -> Path:
    """Distinct detections over Ucayali; ``acq_time`` without leading zeros as FIRMS writes it."""
    with path.open("w", newline="") as out:
        out.write(HEADER)
        for i in range(rows):
            lat = -8.0 - (i % 40_000) * 1e-4
            lon = -74.0 - (i // 40_000) * 1e-3
            day = 1 + (i % 28)
            hhmm = (i * 7) % 24 * 100 + (i * 13) % 60
            conf = "lnh"[i % 3]
            out.write(
                f"{lat:.5f},{lon:.5f},{300 + i % 70}.5,0.39,0.36,2026-10-{day:02d},{hhmm},N,VIIRS,"
                f"{conf},2.0NRT,290.1,{i % 50}.2,{'DN'[i % 2]}\n"
            )
    return path


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]


def _migrated(url: str) -> Settings:
    settings = _settings(url)
    engine = build_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    return settings


def _child(work: Callable[..., float], args: tuple[Any, ...], out: Any) -> None:
    seconds = work(*args)
    out.send((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def in_child(work: Callable[..., float], *args: Any) -> tuple[float, float]:
    """Run ``work`` in a forked process, like a CLI run: its seconds and its peak RSS in MB (the
    kernel's high-water mark, so no sampling thread competes with the work for the GIL)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, args, send))
    process.start()
    seconds, peak_mb = receive.recv()
    process.join()
    if process.exitcode != 0:
        msg = f"benchmark child failed ({process.exitcode})"
        raise RuntimeError(msg)
    return float(seconds), float(peak_mb)


def ingest_path(url: str, path: Path) -> float:
    """Seconds to load ``path`` the way ``ews ingest`` does (one session, one commit)."""
    settings = _migrated(url)
    with timer() as elapsed, path.open("rb") as handle, open_session(settings) as session:
        summary = ingest_feed(
            session=session, source=FeedSource.firms, stream=handle, origin=str(path)
        )
    assert summary.rejected_total == 0, summary.rejected[:3]
    return elapsed[0]


# The SQLite floor: the same columns and the same unique key as ``fire_hotspot``, nothing else (no
# pending-work triggers, no other index).
SQLITE_FLOOR_TABLE = (
    "CREATE TABLE floor_hotspot (id INTEGER PRIMARY KEY, instrument VARCHAR, satellite VARCHAR, "
    "acquired_at DATETIME, latitude FLOAT, longitude FLOAT, lat_e4 INTEGER, lon_e4 INTEGER, "
    "confidence VARCHAR, confidence_pct INTEGER, brightness FLOAT, frp FLOAT, daynight VARCHAR, "
    "version VARCHAR, ingested_at DATETIME, batch_id VARCHAR, synthetic BOOLEAN, "
    "UNIQUE (satellite, instrument, acquired_at, lat_e4, lon_e4))"
)


def _plain_rows(path: Path, sqlite: bool) -> Any:
    stamp = utcnow().replace(tzinfo=None).isoformat(sep=" ") if sqlite else utcnow()
    suffix = ".000000" if sqlite else "+00"
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for r in reader:
            lat, lon, t = float(r[0]), float(r[1]), r[6].zfill(4)
            yield (
                r[8], r[7], f"{r[5]} {t[:2]}:{t[2:]}:00{suffix}", lat, lon, round(lat * 1e4),
                round(lon * 1e4), CONFIDENCE[r[9]], None, float(r[2]), float(r[12]), r[13],
                r[10], stamp, "floor", False,
            )  # fmt: skip


def floor(engine_name: str, url: str, path: Path) -> float:
    """Seconds for the plainest load of the same file."""
    _migrated(url)
    if engine_name == "sqlite":
        import sqlite3

        database = url.removeprefix("sqlite:///")
        setup = sqlite3.connect(database, isolation_level=None)
        setup.execute(SQLITE_FLOOR_TABLE)
        setup.close()
        with timer() as elapsed:
            connection = sqlite3.connect(database, isolation_level=None)
            connection.execute("BEGIN")
            connection.executemany(
                f"INSERT INTO floor_hotspot ({COLUMNS}) VALUES ({', '.join('?' * 16)})",
                list(_plain_rows(path, sqlite=True)),
            )
            connection.execute("COMMIT")
            connection.close()
        return elapsed[0]
    engine = create_engine(normalize_url(url))
    with timer() as elapsed, engine.begin() as connection:
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY fire_hotspot ({COLUMNS}) FROM STDIN") as copy:
            for row in _plain_rows(path, sqlite=False):
                copy.write_row(row)
    engine.dispose()
    return elapsed[0]


def _count(url: str, table: str = "fire_hotspot") -> int:
    engine = create_engine(normalize_url(url))
    with engine.connect() as connection:
        rows = int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return rows


def run(ctx: BenchContext) -> list[BenchResult]:
    rows = int(os.environ.get("EWS_BENCH_INGEST_ROWS", 100_000 if ctx.quick else 1_000_000))
    full = generate(ctx.work_dir / f"viirs-{rows}.csv", rows)
    quarter = generate(ctx.work_dir / f"viirs-{rows // 4}.csv", rows // 4)
    label = f"ingest FIRMS VIIRS {rows:,} rows"
    results: list[BenchResult] = []
    for engine_name in ctx.engines():
        with ctx.database(engine_name) as url:
            _seconds, quarter_peak = in_child(ingest_path, url, quarter)
        with ctx.database(engine_name) as url:
            seconds, peak = in_child(ingest_path, url, full)
            assert _count(url) == rows
        with ctx.database(engine_name) as url:
            floor_seconds, floor_peak = in_child(floor, engine_name, url, full)
            floor_table = "floor_hotspot" if engine_name == "sqlite" else "fire_hotspot"
            assert _count(url, floor_table) == rows
        got = {"seconds": seconds, "peak": peak, "quarter_peak": quarter_peak}
        rate, floor_rate = rows / got["seconds"], rows / floor_seconds
        results.append(
            BenchResult(
                benchmark=label,
                engine=engine_name,
                metric="rows/s",
                value=rate,
                floor=floor_rate,
                target=">= 0.7 of floor",
                passed=rate / floor_rate >= 0.7,
                extra={
                    "seconds": round(got["seconds"], 2),
                    "floor_seconds": round(floor_seconds, 2),
                    "floor_peak_mb": round(floor_peak, 1),
                },
            )
        )
        growth = got["peak"] - got["quarter_peak"]
        results.append(
            BenchResult(
                benchmark=label,
                engine=engine_name,
                metric="peak RSS MB",
                value=got["peak"],
                higher_is_better=False,
                target=f"< 400 MB, flat (1/4 file: {got['quarter_peak']:.0f} MB)",
                passed=got["peak"] < 400 and growth < 0.1 * got["quarter_peak"] + 10,
                extra={
                    "quarter_file_peak_mb": round(got["quarter_peak"], 1),
                    "growth_mb": round(growth, 1),
                },
            )
        )
    return results
