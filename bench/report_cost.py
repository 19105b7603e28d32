"""What one ``POST /api/v1/reports`` costs the API: CPU per report and database statements per
report, on SQLite and PostgreSQL (issue 17's open loop needs the CPU small on 2 shared cores).

- ``server``: a real ``ews serve`` (one process) on loopback; ``N`` reports sent one after the
  other on one keep-alive connection (the load generator's body), the server process's CPU time
  (user + system, every thread, from ``/proc``) read before and after; ``/livez`` the same way as
  the floor.
- ``statements``: the app in this process (``TestClient``); every round trip the API's engine
  makes for one report, counted: statements, the pool's pings, the transaction's BEGIN and COMMIT
  (psycopg sends BEGIN on its own), the background listeners included.
- ``profile``: the app in this process with its thread pool run inline, under cProfile (top
  functions by cumulative time).

Usage: ``.venv/bin/python -m bench.report_cost [server|statements|profile] [--engine sqlite|
postgresql] [-n N]``. PostgreSQL: a throwaway database on ``EWS_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), dropped afterwards."""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench.bench_load import (
    SECRET,
    _free_port,
    _prepare,
    _report,
    server_env,
    wait_until_serving,
)
from bench.harness import BENCH_KEYS, DEFAULT_POSTGRES_URL, BenchContext
from ews.settings import Settings

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _cpu_per_request(
    pid: int, client: httpx.Client, n: int, path: str, spy: str | None = None
) -> float:
    """CPU ms of the server per request over ``n`` requests (after 50 not counted); ``spy``: a
    file for py-spy's samples of the server meanwhile (collapsed stacks, if py-spy is installed)."""

    def send() -> None:
        if path == "/livez":
            assert client.get(path).status_code == 200
        else:
            response = client.post(path, json=_report())
            assert response.status_code == 201, response.text

    for _ in range(50):
        send()
    time.sleep(0.3)  # the warm-up's background listeners finish
    sampler = None
    if spy:
        command = ["py-spy", "record", "-p", str(pid), "-o", spy, "-f", "raw", "-r", "250", "--gil"]
        sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    before = _cpu_seconds(pid)
    for _ in range(n):
        send()
    time.sleep(0.3)
    spent = (_cpu_seconds(pid) - before) * 1000 / n
    if sampler is not None:
        sampler.send_signal(2)  # SIGINT: py-spy writes its file and stops
        sampler.wait(timeout=60)
    return spent


def server(url: str, n: int, spy: str | None = None) -> None:
    token = _prepare(url)
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ews", "serve", "--port", str(port)],
            env=server_env(url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                livez = _cpu_per_request(process.pid, client, n, "/livez")
                report = _cpu_per_request(process.pid, client, n, "/api/v1/reports", spy)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"server CPU per request, {n} requests: report {report:.2f} ms, /livez {livez:.2f} ms")


def _app_client(url: str) -> tuple[Any, str]:
    from fastapi.testclient import TestClient

    from ews.api.app import create_app

    token = _prepare(url)
    settings = Settings(
        _env_file=None,
        env="test",
        database_url=url,
        secret_key=SECRET,
        intake_rate_per_minute=1_000_000,
        embedded_scheduler=False,
        embedded_worker=False,
        **BENCH_KEYS,
    )  # type: ignore[call-arg]
    app = create_app(settings)
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    return client, app


def statements(url: str, n: int, _spy: str | None = None) -> None:
    client, app = _app_client(url)
    engine = app.state.engine
    counts: Counter[str] = Counter()
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        counts["statements"] += 1
        seen.append(" ".join(sql.split())[:110])

    @event.listens_for(engine, "begin")
    def _begin(_conn: Any) -> None:
        counts["begin"] += 1

    @event.listens_for(engine, "commit")
    def _commit(_conn: Any) -> None:
        counts["commit"] += 1

    @event.listens_for(engine, "rollback")
    def _rollback(_conn: Any) -> None:
        counts["rollback"] += 1

    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        counts["ping"] += 1
        return bool(ping(dbapi_connection))

    engine.dialect.do_ping = counted_ping
    with client:
        for _ in range(20):  # warm-up
            assert client.post("/api/v1/reports", json=_report()).status_code == 201
        counts.clear()
        seen.clear()
        for _ in range(n):
            assert client.post("/api/v1/reports", json=_report()).status_code == 201
        print(f"per report ({n} reports, {engine.dialect.name}):")
        for name in ("statements", "ping", "begin", "commit", "rollback"):
            print(f"  {name}: {counts[name] / n:g}")
        print("  one report's statements:")
        for sql in seen[: len(seen) // n]:
            print(f"    {sql}")


@contextmanager
def _inline_threads() -> Iterator[None]:
    """Run what Starlette sends to its thread pool in the calling thread (for cProfile)."""
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def run_sync(func: Any, *args: Any, **_kwargs: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original


def profile(url: str, n: int, _spy: str | None = None) -> None:
    import asyncio

    client, app = _app_client(url)
    client.close()
    token = client.headers["Authorization"]

    async def post_all(count: int) -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"Authorization": token}
        ) as http:
            start = time.process_time()
            for _ in range(count):
                response = await http.post("/api/v1/reports", json=_report())
                assert response.status_code == 201, response.text
            return (time.process_time() - start) * 1000 / count

    with _inline_threads():
        asyncio.run(post_all(50))
        profiler = cProfile.Profile(time.process_time)  # CPU, not waits
        profiler.enable()
        asyncio.run(post_all(n))
        profiler.disable()
        plain = asyncio.run(post_all(n))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(70)
    stats.sort_stats("tottime").print_stats(40)
    print(out.getvalue())
    print(f"in-process CPU per report (no profiler, ASGI transport): {plain:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["server", "statements", "profile"])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--spy", help="server: py-spy's samples of the reports to this file")
    args = parser.parse_args()
    postgres_url = os.environ.get("EWS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    with tempfile.TemporaryDirectory() as work:
        ctx = BenchContext(work_dir=Path(work), postgres_url=postgres_url)
        with ctx.database(args.engine) as url:
            {"server": server, "statements": statements, "profile": profile}[args.mode](
                url, args.n, args.spy
            )


if __name__ == "__main__":
    main()
