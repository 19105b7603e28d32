"""Load on a real ``ews serve`` (uvicorn) on loopback, SQLite (one process) and PostgreSQL (several
API workers), two ways:

- open loop (issue 17's target): reports POSTed at a fixed arrival rate (100/s for 60 s), each sent
  at its scheduled time whatever the earlier answers, its latency counted from that scheduled time
  (no coordinated omission); a bounded, self-stopping loop. The floor is ``/livez`` at the same
  rate on the same server. Targets: p99 < 100 ms, 0 errors, each error listed with its status and
  body;
- closed loop: 50 clients submitting reports for 30 s (throughput against ``/livez``).

``EWS_BENCH_LOAD_RATE`` and ``EWS_BENCH_LOAD_SECONDS`` change the open loop's rate and length."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from bench.harness import BENCH_KEYS, BenchContext, BenchResult
from ews import migrate
from ews.auth.keys import Role, create_key
from ews.db import build_engine
from ews.reference.loader import load_reference_data
from ews.settings import Settings

CLIENTS = 50
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def server_env(url: str) -> dict[str, str]:
    """The environment of a benchmark's `ews serve`: the caller's, without its EWS_ settings, on
    ``url``, with no scheduler or worker inside and no intake rate limit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EWS_")}
    env.update(
        EWS_DATABASE_URL=url,
        EWS_SECRET_KEY=SECRET,
        EWS_ENCRYPTION_KEY=BENCH_KEYS["encryption_key"],
        EWS_CAP_SENDER=BENCH_KEYS["cap_sender"],
        EWS_ENV="test",
        EWS_EMBEDDED_SCHEDULER="false",
        EWS_EMBEDDED_WORKER="false",
        EWS_INTAKE_RATE_PER_MINUTE="1000000",
        EWS_LOG_LEVEL="WARNING",
    )
    return env


def wait_until_serving(base: str, seconds: float = 60) -> None:
    """Wait for a server started on ``base`` to answer ``/livez`` (``RuntimeError`` after
    ``seconds``)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(url: str) -> str:
    settings = Settings(
        _env_file=None, env="test", database_url=url, secret_key=SECRET, **BENCH_KEYS
    )  # type: ignore[call-arg]
    engine = build_engine(settings)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session, settings.fixtures_dir)
        _row, token = create_key(
            session, role=Role.monitor, name="bench", community_code="flor-de-ucayali"
        )
        session.commit()
    engine.dispose()
    return token


def _report() -> dict[str, object]:
    observed = datetime.now(UTC) - timedelta(hours=1)
    return {
        "id": str(uuid.uuid4()),
        "community": "flor-de-ucayali",
        "threat_type": "all_quiet",
        "severity": 1,
        "observed_at": observed.isoformat(),
        "latitude": -8.3,
        "longitude": -74.1,
        "description": "Patrullaje sin novedad (benchmark)",
    }


async def _load(base: str, token: str, seconds: float, path: str) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    if path == "/livez":
                        response = await client.get(path)
                        ok = response.status_code == 200
                    else:
                        response = await client.post(path, json=_report())
                        ok = response.status_code == 201
                    if not ok:
                        print(f"closed-loop error: {response.status_code} {response.text[:300]}")
                except httpx.HTTPError as exc:
                    ok = False
                    print(f"closed-loop error: {type(exc).__name__} {exc}"[:300])
                latencies.append(time.perf_counter() - start)
                errors += 0 if ok else 1

        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return len(latencies), errors, latencies


OPEN_RATE = float(os.environ.get("EWS_BENCH_LOAD_RATE", 100))
OPEN_SECONDS = float(os.environ.get("EWS_BENCH_LOAD_SECONDS", 60))
CLOSED_LOOP = os.environ.get("EWS_BENCH_LOAD_CLOSED", "1") != "0"
OPEN_TIMEOUT_S = 10.0  # a request still unanswered after this counts as an error
# The open loop's connections, like that many phones at once: enough for 100 requests/s at up to
# half a second each. A request finding them all busy waits for one, and that wait is in its
# latency (counted from its scheduled time). httpx's pool slows down with its size, and a pool of
# thousands made the load generator, not the service, the bottleneck.
OPEN_CONNECTIONS = int(os.environ.get("EWS_BENCH_LOAD_CONNECTIONS", 64))


async def _open_loop(
    base: str, token: str, rate: float, seconds: float, path: str
) -> tuple[list[float], list[str]]:
    """Send ``rate * seconds`` requests, request ``i`` at ``start + i / rate``; latency from the
    scheduled time. Returns the latencies and one line per error (status and body)."""
    bodies = [_report() for _ in range(int(rate * seconds))]
    latencies: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(
        max_connections=OPEN_CONNECTIONS, max_keepalive_connections=OPEN_CONNECTIONS
    )
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=OPEN_TIMEOUT_S
    ) as client:
        start = time.perf_counter() + 0.2

        async def one(i: int, body: dict[str, object]) -> None:
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                if path == "/livez":
                    response = await client.get(path)
                    ok = response.status_code == 200
                else:
                    response = await client.post(path, json=body)
                    ok = response.status_code == 201
                if not ok:
                    errors.append(f"{response.status_code} {response.text[:300]}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {exc}"[:300])
            latencies.append(time.perf_counter() - scheduled)

        await asyncio.gather(*(one(i, body) for i, body in enumerate(bodies)))
    return latencies, errors


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(ctx: BenchContext) -> list[BenchResult]:
    seconds = 5.0 if ctx.quick else 30.0
    results: list[BenchResult] = []
    for engine in ctx.engines():
        with ctx.database(engine) as url:
            token = _prepare(url)
            workers = 1 if engine == "sqlite" else 4
            port = _free_port()
            server_log = ctx.work_dir / f"serve-{engine}.log"
            env = server_env(url)
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ews",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=server_log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until_serving(base)
                rate, open_seconds = OPEN_RATE, (10.0 if ctx.quick else OPEN_SECONDS)
                # Warm-up (first connections, the first report's code paths), not measured.
                asyncio.run(_open_loop(base, token, rate, 2, "/api/v1/reports"))
                open_floor, _floor_errs = asyncio.run(
                    _open_loop(base, token, rate, open_seconds / 3, "/livez")
                )
                open_lat, open_errors = asyncio.run(
                    _open_loop(base, token, rate, open_seconds, "/api/v1/reports")
                )
                if CLOSED_LOOP:
                    floor_n, floor_errors, floor_lat = asyncio.run(
                        _load(base, token, seconds, "/livez")
                    )
                    n, errors, lat = asyncio.run(_load(base, token, seconds, "/api/v1/reports"))
            finally:
                server.terminate()
                server.wait(timeout=30)
            open_label = (
                f"load, open loop: POST /reports at {rate:g}/s for {open_seconds:g} s "
                f"({workers} worker{'s' if workers > 1 else ''})"
            )
            open_p99 = _percentile(open_lat, 0.99) * 1000
            for message in open_errors[:20]:
                print(f"{engine} open-loop error: {message}", file=sys.stderr)
            if open_errors:
                print(server_log.read_text()[-5000:], file=sys.stderr)
            results += [
                BenchResult(
                    open_label,
                    engine,
                    "p50 ms",
                    _percentile(open_lat, 0.5) * 1000,
                    floor=_percentile(open_floor, 0.5) * 1000,
                    higher_is_better=False,
                ),
                BenchResult(
                    open_label,
                    engine,
                    "p99 ms",
                    open_p99,
                    floor=_percentile(open_floor, 0.99) * 1000,
                    higher_is_better=False,
                    target="< 100 ms",
                    passed=open_p99 < 100,
                ),
                BenchResult(
                    open_label,
                    engine,
                    "max ms",
                    max(open_lat) * 1000,
                    floor=max(open_floor) * 1000,
                    higher_is_better=False,
                ),
                BenchResult(
                    open_label,
                    engine,
                    "errors",
                    len(open_errors),
                    target="0",
                    passed=not open_errors,
                    extra={
                        "requests": len(open_lat),
                        **{f"error_{i + 1}": m for i, m in enumerate(open_errors[:5])},
                    },
                ),
            ]
            if not CLOSED_LOOP:
                continue
            label = f"load: {CLIENTS} clients POST /reports ({workers} worker{'s' if workers > 1 else ''})"
            p99 = _percentile(lat, 0.99) * 1000
            results += [
                BenchResult(
                    label,
                    engine,
                    "req/s",
                    n / seconds,
                    floor=floor_n / seconds,
                    target=">= 0.3 of /livez",
                    passed=(n / floor_n) >= 0.3 if floor_n else None,
                ),
                BenchResult(
                    label,
                    engine,
                    "p50 ms",
                    _percentile(lat, 0.5) * 1000,
                    floor=_percentile(floor_lat, 0.5) * 1000,
                    higher_is_better=False,
                ),
                BenchResult(
                    label,
                    engine,
                    "p99 ms",
                    p99,
                    floor=_percentile(floor_lat, 0.99) * 1000,
                    higher_is_better=False,
                    target="< 100 ms",
                    passed=p99 < 100,
                ),
                BenchResult(
                    label,
                    engine,
                    "errors",
                    errors,
                    target="0",
                    passed=errors == 0,
                    extra={"floor_errors": floor_errors},
                ),
            ]
    return results
