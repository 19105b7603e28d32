"""Delivery throughput: 10,000 queued notifications (1,000 with ``--quick``) to a local SMTP sink
and to a local webhook receiver, with one and with two worker processes, against the floor of the
same channel client sending the same (pre-rendered) messages in a bare loop, in the same run.

The sinks run in processes of their own, so they do not share the workers' interpreter.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bench.harness import BENCH_KEYS, BenchContext, BenchResult
from ews import migrate
from ews.db import build_engine, build_session_factory, session_scope
from ews.delivery.channels import build_channels
from ews.delivery.render import ReferenceCache, render_rows
from ews.jobs.entry_points import deliver_notifications
from ews.models import Alert, AlertEvent, Contact, OutboxMessage
from ews.reference.loader import load_reference_data
from ews.settings import Settings

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
CONTACTS_PER_CHANNEL = 8
TARGET = ">= 0.5 of floor"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- sinks (own processes) ---------------------------------------------------------------------


def _smtp_sink(port: int, count: Synchronized[int], ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _webhook_sink(port: int, count: Synchronized[int], ready: Any, stop: Any) -> None:
    import uvicorn

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        with count.get_lock():
            count.value += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        server.should_exit = True
        await task

    asyncio.run(main())


# --- workers and the floor (own processes) -----------------------------------------------------


def _worker(settings: Settings, go: Any, results: Any) -> None:
    engine = build_engine(settings)
    factory = build_session_factory(engine)
    go.wait()
    summary = deliver_notifications(settings=settings, session_factory=factory)
    results.put(summary)
    engine.dispose()


def _floor(settings: Settings, channel: str, go: Any, results: Any) -> None:
    """The same client, the same messages, rendered beforehand, sent in a bare loop."""
    engine = build_engine(settings)
    factory = build_session_factory(engine)
    with session_scope(factory) as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)))
        rendered = render_rows(
            session, settings=settings, rows=rows, cache=ReferenceCache.load(session)
        )
    engine.dispose()
    sender = build_channels(settings)[channel]
    messages = list(rendered.values())
    go.wait()
    started = time.perf_counter()
    sent = 0
    for message in messages:
        assert not isinstance(message, Exception)
        sent += sender.send(message).sent
    results.put({"sent": sent, "elapsed": time.perf_counter() - started})
    sender.close()


def _timed(target: Any, args_for: list[tuple[Any, ...]]) -> tuple[float, list[dict[str, Any]]]:
    ctx = mp.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, go, results)) for args in args_for]
    for proc in procs:
        proc.start()
    time.sleep(3.0)  # let the processes import and connect before the clock starts
    started = time.perf_counter()
    go.set()
    answers = [results.get(timeout=1800) for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return elapsed, answers


# --- data --------------------------------------------------------------------------------------


def _queue(session: Session, count: int, webhook_url: str) -> None:
    """``count`` pending e-mails and ``count`` pending webhooks, on the fixtures' contacts."""
    emails = list(session.scalars(select(Contact).where(Contact.channel == "email")))
    hooks = [
        Contact(
            code=f"bench-webhook-{i}",
            institution_code=emails[i % len(emails)].institution_code,
            name=f"bench webhook {i}",
            channel="webhook",
            address=webhook_url,
            scope="regional",
            region_ubigeo="25",
        )
        for i in range(CONTACTS_PER_CHANNEL)
    ]
    session.add_all(hooks)
    session.flush()
    now = datetime.now(UTC) - timedelta(minutes=5)
    evidence = {
        "indicators": [{"code": "defender_threats", "value": 2, "level": "critical"}],
        "reports": ["r1", "r2"],
    }
    for contacts in (emails[:CONTACTS_PER_CHANNEL], hooks):
        for start in range(0, count, len(contacts) * 100):
            alert = Alert(
                fingerprint=f"bench:{contacts[0].channel}:{start}",
                community_code="flor-de-ucayali",
                category="defender_safety",
                level="critical",
                status="open",
                routed_to=["MINJUS", "DP"],
                opened_at=now,
                updated_at=now,
                evidence=evidence,
                context={},
            )
            session.add(alert)
            session.flush()
            events = [
                AlertEvent(
                    alert_id=alert.id,
                    kind="raised",
                    level="critical",
                    at=now,
                    actor="system",
                    details={},
                )
                for _ in range(100)
            ]
            session.add_all(events)
            session.flush()
            made = 0
            for event in events:
                for contact in contacts:
                    if start + made >= count:
                        break
                    session.add(
                        OutboxMessage(
                            alert_id=alert.id,
                            event_id=event.id,
                            contact_id=contact.id,
                            institution_code=contact.institution_code,
                            channel=contact.channel,
                            next_attempt_at=now,
                            payload={},
                        )
                    )
                    made += 1
            session.flush()


def _reset(settings: Settings, channel: str) -> None:
    engine = build_engine(settings)
    with session_scope(build_session_factory(engine)) as session:
        session.execute(
            update(OutboxMessage).values(
                status="pending",
                attempts=0,
                sent_at=None,
                claimed_by=None,
                claimed_until=None,
                next_attempt_at=datetime.now(UTC) - timedelta(minutes=1),
            )
        )
        session.execute(
            update(OutboxMessage).where(OutboxMessage.channel != channel).values(status="sent")
        )
    engine.dispose()


def _count_sent(settings: Settings, channel: str) -> int:
    engine = build_engine(settings)
    with session_scope(build_session_factory(engine)) as session:
        rows = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.channel == channel)
        ).all()
    engine.dispose()
    return sum(1 for status in rows if status == "sent")


def run(ctx: BenchContext) -> list[BenchResult]:
    count = 1_000 if ctx.quick else 10_000
    spawn = mp.get_context("spawn")
    smtp_port, web_port = _free_port(), _free_port()
    counters = {"email": spawn.Value("i", 0), "webhook": spawn.Value("i", 0)}
    stop = spawn.Event()
    sinks = []
    for target, port, channel in (
        (_smtp_sink, smtp_port, "email"),
        (_webhook_sink, web_port, "webhook"),
    ):
        ready = spawn.Event()
        proc = spawn.Process(target=target, args=(port, counters[channel], ready, stop))
        proc.start()
        ready.wait(30)
        sinks.append(proc)
    results: list[BenchResult] = []
    try:
        for engine_name in ctx.engines():
            with ctx.database(engine_name) as url:
                settings = Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    env="test",
                    database_url=url,
                    secret_key=SECRET,
                    **BENCH_KEYS,
                    smtp_port=smtp_port,
                    webhook_allow_private=True,
                    embedded_scheduler=False,
                    embedded_worker=False,
                )
                engine = build_engine(settings)
                migrate.upgrade(engine)
                with session_scope(build_session_factory(engine)) as session:
                    load_reference_data(session, settings.fixtures_dir)
                    _queue(session, count, f"http://127.0.0.1:{web_port}/hook")
                engine.dispose()
                for channel in ("email", "webhook"):
                    for workers in (1, 2):
                        _reset(settings, channel)
                        # The floor right before each run: the machine's load drifts.
                        _elapsed, [floor] = _timed(_floor, [(settings, channel)])
                        floor_rate = floor["sent"] / floor["elapsed"]
                        counters[channel].value = 0
                        elapsed, summaries = _timed(_worker, [(settings,)] * workers)
                        sent = _count_sent(settings, channel)
                        rate = sent / elapsed
                        ratio = rate / floor_rate
                        results.append(
                            BenchResult(
                                benchmark=f"deliver {count:,} {channel}, {workers} worker(s)",
                                engine=engine_name,
                                metric="messages/s",
                                value=rate,
                                floor=floor_rate,
                                target=TARGET,
                                passed=ratio >= 0.5 and sent == count,
                                extra={
                                    "sent": sent,
                                    "received_by_sink": counters[channel].value,
                                    "claimed": sum(s["claimed"] for s in summaries),
                                    "seconds": round(elapsed, 2),
                                },
                            )
                        )
    finally:
        stop.set()
        for proc in sinks:
            proc.join(10)
    return results
