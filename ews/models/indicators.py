"""Stored indicator series and the claim table for scheduled job ticks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ews.models.base import Base


class IndicatorValue(Base):
    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("code", "community_code", "window_end"),
        Index("ix_indicator_value_community_code_end", "community_code", "code", "window_end"),
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


class IndicatorRollup(Base):
    """What one community's input rows added to one indicator on one local day (Lima calendar), so a
    run after new rows sums windows from these instead of re-reading every feed row. Built with the
    rules :class:`IndicatorRollupState` names."""

    __tablename__ = "indicator_rollup"
    __table_args__ = (
        UniqueConstraint("code", "community_code", "day"),
        Index("ix_indicator_rollup_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"))
    day: Mapped[int] = mapped_column(Integer)  # days since 1970-01-01 in Lima's calendar
    core_value: Mapped[float] = mapped_column(Float)
    buffer_value: Mapped[float] = mapped_column(Float)
    inputs: Mapped[int] = mapped_column(Integer)
    severe: Mapped[int] = mapped_column(Integer)


class IndicatorRollupState(Base):
    """What the stored rollups hold: the rows received up to ``watermark``, under the rules whose
    hash is ``rules_hash``. Written in the same transaction as the rollups (one row, ``name`` =
    ``rollups``)."""

    __tablename__ = "indicator_rollup_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    rules_hash: Mapped[str] = mapped_column(String(16))
    watermark: Mapped[datetime]
    updated_at: Mapped[datetime]


class JobRun(Base):
    """One claimed tick of a named job: unique (job, tick), so two schedulers never run it twice."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "tick"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    tick: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))  # running | succeeded | failed
    runner: Mapped[str] = mapped_column(String(120))  # host:pid of the claiming process
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]]
