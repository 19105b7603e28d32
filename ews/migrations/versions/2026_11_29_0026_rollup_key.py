"""indicator_rollup keyed by (community_code, day, code): one index instead of four, no foreign key

A computation replaces a shard's rollups (2.25 million rows at national scale) in one transaction,
and each row written cost the upkeep of four indexes (the surrogate key, the unique key, the day and
the community's days) and a foreign-key check that locks the community's row. Every read and
delete of rollups names communities and days (``ews.jobs.indicator_store``), so one primary key
led by the community serves them all. The community reference goes: rollups are derived data,
written only by the computation from the communities it reads, and the computation deletes the
rollups of a community no longer there (``ews.jobs.compute.finish_computation``).

The table is a cache of sums of the input rows: it is dropped and made again empty, and the rollup
state is deleted, so the next computation is a full one that rebuilds every rollup (as 0011 did).

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _measures() -> list[sa.Column]:
    return [
        sa.Column("core_value", sa.Float(), nullable=False),
        sa.Column("buffer_value", sa.Float(), nullable=False),
        sa.Column("inputs", sa.Integer(), nullable=False),
        sa.Column("severe", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.execute("DELETE FROM indicator_rollup_state")
    op.drop_table("indicator_rollup")
    op.create_table(
        "indicator_rollup",
        sa.Column("community_code", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint("community_code", "day", "code", name=op.f("pk_indicator_rollup")),
    )


def downgrade() -> None:
    op.execute("DELETE FROM indicator_rollup_state")
    op.drop_table("indicator_rollup")
    op.create_table(
        "indicator_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("community_code", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        *_measures(),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_indicator_rollup_community_code_community"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_rollup")),
        sa.UniqueConstraint(
            "code",
            "community_code",
            "day",
            name=op.f("uq_indicator_rollup_code_community_code_day"),
        ),
    )
    op.create_index("ix_indicator_rollup_day", "indicator_rollup", ["day"])
    op.create_index(
        "ix_indicator_rollup_community_day", "indicator_rollup", ["community_code", "day"]
    )
