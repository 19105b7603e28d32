"""Stored indicator series and the claim table for scheduled job ticks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base


class JobStatus(StrEnum):
    """A job tick's status: ``job_run.status`` stores running, succeeded or failed; a tick another
    process had claimed is skipped (never stored)."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


class IndicatorValue(Base):
    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("code", "community_code", "window_end"),
        Index("ix_indicator_value_community_code_end", "community_code", "code", "window_end"),
        Index("ix_indicator_value_window_end", "window_end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(20))  # none | warning | high | critical
    baseline: Mapped[float | None] = mapped_column(Float)
    inputs: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime]
    algorithm_version: Mapped[str] = mapped_column(String(20))
    # Composite contributions, evidence ids and other per-indicator detail.
    details: Mapped[dict[str, Any]]
    # Grows whenever the row's number, level or details change (a new day's row that equals the day
    # before keeps its revision): an alert acts on values newer than the revisions it has seen.
    revision: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class IndicatorRollup(Base):
    """What one community's input rows added to one indicator on one local day (Lima calendar), so a
    run after new rows sums windows from these instead of re-reading every feed row. Built with the
    rules :class:`IndicatorRollupState` names.

    Keyed by community first: every read and delete names communities and days. Derived data with
    no reference to ``community`` (a foreign-key check locked the community's row for each of the
    millions of rollups a national run writes); the computation deletes the rollups of a community
    no longer there."""

    __tablename__ = "indicator_rollup"

    community_code: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970-01-01, Lima
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    core_value: Mapped[float] = mapped_column(Float)
    buffer_value: Mapped[float] = mapped_column(Float)
    inputs: Mapped[int] = mapped_column(Integer)
    severe: Mapped[int] = mapped_column(Integer)


class IndicatorRollupState(Base):
    """The rules the stored rollups were built with (their hash). Written in the same transaction
    as the rollups (one row, ``name`` = ``rollups``)."""

    __tablename__ = "indicator_rollup_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    rules_hash: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class PendingWork(Base):
    """A local day (Lima calendar) whose input rows changed and whose rollups wait for the next
    computation. Written by triggers on ``report``, ``fire_hotspot`` and ``deforestation_alert`` in
    the very transaction that inserts, edits or deletes the rows; the computation deletes the rows
    it read, in its own transaction. No clock decides what a computation counts."""

    __tablename__ = "pending_work"
    __table_args__ = (Index("ix_pending_work_day", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[int] = mapped_column(Integer)  # days since 1970-01-01 in Lima's calendar
    source: Mapped[str] = mapped_column(String(40))  # the table whose rows changed


class Counter(Base):
    """Named counters that only grow: ``indicator_revision`` (the last revision given to an
    indicator value), ``computations_started`` and ``computations_done`` (computations of the
    indicators: started before their snapshot, done at their commit)."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class JobRun(Base):
    """One claimed tick of a named job: unique (job, tick), so two schedulers never run it twice."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "tick"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    tick: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # a JobStatus (never skipped)
    runner: Mapped[str] = mapped_column(String(120))  # host:pid of the claiming process
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]]
    # A shard of a shared computation (job ``compute-indicators/shard-NNNN``), or a run not yet
    # planned: until when its process holds it (renewed while it works; another process takes
    # it over once it has passed).
    lease_until: Mapped[datetime | None]
