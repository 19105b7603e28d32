"""Prometheus metrics, every name starting with ``ews_``.

The figures are read from the database at scrape time, not counted in memory: with several API
processes, a scheduler and delivery workers, only the database sees everything, and the figures
survive restarts. Each scrape runs a handful of aggregate queries over small or indexed tables.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ews.db import read_only_session
from ews.models import (
    Alert,
    IndicatorValue,
    IngestBatch,
    JobRun,
    OutboxMessage,
    OutboxStatus,
    QuarantineRow,
    Report,
)


class DatabaseCollector(Collector):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[Metric]:
        with read_only_session(self.session_factory) as session:
            yield from _intake(session)
            yield from _jobs(session)
            yield from _alerts(session)
            yield from _outbox(session)


def _intake(session: Session) -> Iterator[Metric]:
    reports = CounterMetricFamily(
        "ews_reports_received", "Patrol reports taken in, by source.", labels=["source"]
    )
    for source, count in session.execute(
        select(Report.source, func.count()).group_by(Report.source)
    ):
        reports.add_metric([source], count)
    yield reports

    rows = CounterMetricFamily(
        "ews_feed_rows", "Feed rows read, by source and outcome.", labels=["source", "outcome"]
    )
    totals = select(
        IngestBatch.source,
        func.coalesce(func.sum(IngestBatch.inserted), 0),
        func.coalesce(func.sum(IngestBatch.duplicates), 0),
        func.coalesce(func.sum(IngestBatch.rejected), 0),
    ).group_by(IngestBatch.source)
    for source, inserted, duplicates, rejected in session.execute(totals):
        rows.add_metric([source, "inserted"], inserted)
        rows.add_metric([source, "duplicate"], duplicates)
        rows.add_metric([source, "rejected"], rejected)
    yield rows

    quarantined = GaugeMetricFamily(
        "ews_quarantined_rows", "Rejected rows kept for review, by source.", labels=["source"]
    )
    query = select(QuarantineRow.source, func.count()).group_by(QuarantineRow.source)
    for source, count in session.execute(query):
        quarantined.add_metric([source], count)
    yield quarantined


def _jobs(session: Session) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "ews_job_runs", "Scheduled job ticks run, by status.", labels=["job", "status"]
    )
    seconds = CounterMetricFamily(
        "ews_job_duration_seconds", "Time spent in finished job runs.", labels=["job"]
    )
    query = select(
        JobRun.job, JobRun.status, func.count(), func.coalesce(func.sum(JobRun.duration_s), 0.0)
    )
    per_job: dict[str, float] = {}
    for job, status, count, duration in session.execute(query.group_by(JobRun.job, JobRun.status)):
        runs.add_metric([job, status], count)
        per_job[job] = per_job.get(job, 0.0) + float(duration or 0.0)
    for job, duration in per_job.items():
        seconds.add_metric([job], duration)
    yield runs
    yield seconds
    values = GaugeMetricFamily("ews_indicator_values", "Indicator values stored.")
    values.add_metric(
        [], session.execute(select(func.count()).select_from(IndicatorValue)).scalar_one()
    )
    yield values


def _alerts(session: Session) -> Iterator[Metric]:
    alerts = GaugeMetricFamily(
        "ews_alerts", "Alerts by level and status.", labels=["level", "status"]
    )
    query = select(Alert.level, Alert.status, func.count()).group_by(Alert.level, Alert.status)
    for level, status, count in session.execute(query):
        alerts.add_metric([level, status], count)
    yield alerts


def _outbox(session: Session) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "ews_outbox_messages",
        "Outbox messages by status (pending and sending are the depth).",
        labels=["status", "channel"],
    )
    retries = CounterMetricFamily(
        "ews_delivery_retries",
        "Delivery attempts that failed and were retried.",
        labels=["channel"],
    )
    query = select(
        OutboxMessage.status,
        OutboxMessage.channel,
        func.count(),
        func.coalesce(func.sum(OutboxMessage.attempts), 0),
    ).group_by(OutboxMessage.status, OutboxMessage.channel)
    retried: dict[str, int] = {}
    for status, channel, count, attempts in session.execute(query):
        depth.add_metric([status, channel], count)
        # A sent message needed `attempts - 1` retries; a dead or pending one `attempts` failures.
        failed = int(attempts) - (count if status == OutboxStatus.sent else 0)
        retried[channel] = retried.get(channel, 0) + max(failed, 0)
    for channel, count in retried.items():
        retries.add_metric([channel], count)
    yield depth
    yield retries


def build_registry(session_factory: sessionmaker[Session]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(session_factory))
    return registry
