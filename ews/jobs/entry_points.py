"""The entry point of every scheduled job, each ``job(*, settings, session_factory, as_of) -> dict``
(its summary): it opens the transactions and calls the service, which lives with its domain. The
registry (:mod:`ews.jobs.registry`) names them."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ews.alerting import community
from ews.alerting.evaluation import evaluate
from ews.db import in_snapshot, session_scope
from ews.delivery.channels import build_channels
from ews.delivery.digests import send_digests as queue_digests
from ews.delivery.worker import deliver_pass
from ews.intake.pull import pull_source
from ews.jobs.compute import (
    compute_shard,
    finish_computation,
    plan_computation,
    start_computation,
    summarize,
)
from ews.models.base import utcnow
from ews.settings import Settings


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees what is dropped):
    an evaluation holds tens of thousands of small objects with no cycles among them, and the
    collector's passes over them cost about a third of a steady run. Whatever cycles it leaves
    are collected once the collector runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compute_indicators(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Job: every indicator for every community as of ``as_of`` (plus the earlier days whose rows
    changed), in this process, shard after shard (each its own transaction). Answers the mode and
    counts of rows inserted, updated, unchanged. (A scheduled or API run goes through
    :mod:`ews.jobs.shared_runs` instead, where several processes share the shards.)"""
    computation = start_computation(session_factory)
    work = in_snapshot(
        session_factory,
        lambda session: plan_computation(
            session,
            as_of=as_of,
            computation=computation,
            computed_at=utcnow(),
            shard_size=settings.shard_size,
        ),
    )
    parts = []
    try:
        for index in range(len(work.shards)):
            parts.append(
                in_snapshot(session_factory, lambda s, i=index: compute_shard(s, work, i))  # type: ignore[misc]
            )
    except BaseException:
        with session_scope(session_factory) as session:
            finish_computation(session, work, failed=True)
        raise
    with session_scope(session_factory) as session:
        finish_computation(session, work)
    summary = summarize(work, parts)
    summary["as_of"] = as_of.isoformat()
    return summary


def evaluate_alerts(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime | None
) -> dict[str, Any]:
    """Job: one transaction for the whole evaluation; answers a summary."""
    now = as_of or utcnow()
    with collector_paused(), session_scope(session_factory) as session:
        return evaluate(session, settings=settings, now=now)


def tell_communities(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime | None
) -> dict[str, Any]:
    """Job: queue for each community what it has not yet been told about its alerts (one
    transaction; :mod:`ews.alerting.community`). Answers ``{"alerts_told", "messages"}``."""
    now = as_of or utcnow()
    with session_scope(session_factory) as session:
        return community.tell_communities(session, now=now).as_dict()


def deliver_notifications(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime | None = None
) -> dict[str, Any]:
    """Job: deliver every message due at ``as_of`` (default now); the pass's clock runs on from
    ``as_of``. Answers ``{"claimed", "sent", "retried", "dead", "taken_back"}``."""
    start_at = as_of or utcnow()
    started = time.monotonic()

    def clock() -> datetime:
        return start_at + timedelta(seconds=time.monotonic() - started)

    channels = build_channels(settings)
    try:
        summary = deliver_pass(
            settings=settings, session_factory=session_factory, channels=channels, clock=clock
        )
    finally:
        for channel in channels.values():
            channel.close()
    return summary.as_dict()


def pull_feeds(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Job: pull every configured source, each file its own transaction;
    ``{entry: {"files": [...]} or {"error": ...}}``."""
    return {
        entry: pull_source(entry, settings=settings, session_factory=session_factory, as_of=as_of)
        for entry in settings.feed_pull_sources
    }


def send_digests(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime | None = None
) -> dict[str, Any]:
    """Job: queue each institution's daily digest for the Lima day of ``as_of`` (default now), once
    per institution and day however often it runs; the delivery worker sends them. Answers
    ``{"day", "queued", "institutions": {code: queued | nothing | already}}``."""
    return queue_digests(session_factory, settings=settings, now=as_of or utcnow())
