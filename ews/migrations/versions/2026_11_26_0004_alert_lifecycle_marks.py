"""alert lifecycle marks: level_since and evaluated_through

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("level_since", ews.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "evaluated_through", ews.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("evaluated_through")
        batch_op.drop_column("level_since")
