"""``ews ingest`` as a user runs it, and the scheduled pull from a loopback HTTP server and a folder."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ews.db import build_engine, build_session_factory, session_scope
from ews.intake.pull import PullError, parse_source
from ews.jobs.entry_points import pull_feeds
from ews.models import DeforestationAlert, FireHotspot, IngestBatch
from ews.settings import Settings
from tests.support.processes import ews_env, run_ews

VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
ROWS = [
    f"-8.{3000 + i},-74.1,330,0.4,0.4,2026-11-20,{i % 2400},N,VIIRS,n,2,290,1,N"
    for i in range(1, 51)
]
AS_OF = datetime(2026, 11, 26, 12, tzinfo=UTC)


def count(settings: Settings, model: type) -> int:
    engine = build_engine(settings)
    try:
        with session_scope(build_session_factory(engine)) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_cli_ingest_prints_the_summary(fresh_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "viirs.csv"
    path.write_text("\n".join([VIIRS, *ROWS, "bad,row"]) + "\n")
    env = ews_env(fresh_settings.database_url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_ews("ingest", *args, env=env)

    first = run("firms", str(path))
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["rows"], summary["inserted"], summary["duplicates"]) == (51, 50, 0)
    assert summary["rejected"][0]["row"] == 52
    assert "insertadas / inserted: 50" in first.stderr
    again = json.loads(run("firms", str(path)).stdout.strip().splitlines()[-1])
    assert (again["inserted"], again["duplicates"]) == (0, 50)
    wrong = run("gfw", str(path))
    assert wrong.returncode == 2
    assert "Formato desconocido" in wrong.stderr
    assert count(fresh_settings, FireHotspot) == 50


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *_args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()
    server.server_close()


def test_pull_from_a_loopback_url_and_a_folder(
    fresh_settings: Settings, tmp_path: Path, http_folder: tuple[str, Path]
) -> None:
    base, served = http_folder
    (served / "viirs.csv").write_text("\n".join([VIIRS, *ROWS]) + "\n")
    drop = tmp_path / "drop"
    drop.mkdir()
    gfw = "latitude,longitude,umd_glad_landsat_alerts__date,umd_glad_landsat_alerts__confidence\n"
    (drop / "a.csv").write_text(gfw + "-8.31,-74.1,2026-11-18,high\n")
    (drop / "b.csv").write_text(gfw + "-8.32,-74.1,2026-11-18,high\n-8.33,-74.1,bad,high\n")
    (drop / "c.csv").write_bytes(b"\x00\x01binary")
    (drop / "notes.txt").write_text("not a feed")
    settings = fresh_settings.model_copy(
        update={
            "feed_pull_sources": [
                f"firms={base}/viirs.csv",
                f"gfw={drop}",
                f"firms={base}/missing.csv",
                "modis=/nowhere",
                f"gfw={tmp_path / 'no-such-folder'}",
            ]
        }
    )
    engine = build_engine(settings)
    factory = build_session_factory(engine)
    try:
        first = pull_feeds(settings=settings, session_factory=factory, as_of=AS_OF)
        url_files = first[f"firms={base}/viirs.csv"]["files"]
        assert [(f["rows"], f["inserted"]) for f in url_files] == [(50, 50)]
        folder = first[f"gfw={drop}"]["files"]
        assert [(Path(f["origin"].split("#")[0]).name, f.get("inserted")) for f in folder] == [
            ("a.csv", 1),
            ("b.csv", 1),
            ("c.csv", None),
        ]
        assert folder[1]["rejected"] == [{"row": 3, "error": folder[1]["rejected"][0]["error"]}]
        assert "binario" in folder[2]["error"]
        assert "404" in first[f"firms={base}/missing.csv"]["error"]
        assert "firms=URL" in first["modis=/nowhere"]["error"]
        assert "no such folder" in first[f"gfw={tmp_path / 'no-such-folder'}"]["error"]
        second = pull_feeds(settings=settings, session_factory=factory, as_of=AS_OF)
        assert [
            (f["inserted"], f["duplicates"]) for f in second[f"firms={base}/viirs.csv"]["files"]
        ] == [(0, 50)]
        assert [Path(f["origin"].split("#")[0]).name for f in second[f"gfw={drop}"]["files"]] == [
            "c.csv"  # the refused file is tried again; loaded files are skipped
        ]
        with session_scope(factory) as session:
            assert session.scalar(select(func.count()).select_from(FireHotspot)) == 50
            assert session.scalar(select(func.count()).select_from(DeforestationAlert)) == 2
            hotspot = session.execute(select(FireHotspot).limit(1)).scalar_one()
            assert hotspot.ingested_at == AS_OF
            assert session.scalar(select(func.count()).select_from(IngestBatch)) == 4
    finally:
        engine.dispose()


def test_parse_source() -> None:
    assert parse_source("GFW = /data/x") == ("gfw", "/data/x")
    for bad in ("firms", "firms=", "nasa=/x"):
        with pytest.raises(PullError):
            parse_source(bad)
