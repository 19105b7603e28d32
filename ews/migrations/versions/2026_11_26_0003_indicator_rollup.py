"""indicator rollup: per community, indicator and local day, and what the rollups hold

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("community_code", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("core_value", sa.Float(), nullable=False),
        sa.Column("buffer_value", sa.Float(), nullable=False),
        sa.Column("inputs", sa.Integer(), nullable=False),
        sa.Column("severe", sa.Integer(), nullable=False),
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
    with op.batch_alter_table("indicator_rollup", schema=None) as batch_op:
        batch_op.create_index("ix_indicator_rollup_day", ["day"], unique=False)
    op.create_table(
        "indicator_rollup_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("rules_hash", sa.String(length=16), nullable=False),
        sa.Column("watermark", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_indicator_rollup_state")),
    )


def downgrade() -> None:
    op.drop_table("indicator_rollup_state")
    with op.batch_alter_table("indicator_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_rollup_day")
    op.drop_table("indicator_rollup")
