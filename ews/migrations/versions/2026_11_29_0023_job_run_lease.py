"""job_run.lease_until: the shards of a computation are claimed as job_run rows (job
``compute-indicators/shard-NNNN``, the run's tick); the process computing one renews its lease, and
another process takes over a shard whose lease ran out (DESIGN section 13); an index of the
rollups by community (a shard reads and replaces its communities' rollups)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", ews.models.base.UTCDateTime(), nullable=True))
    # A shard reads, replaces and compares the rollups of its communities.
    op.create_index(
        "ix_indicator_rollup_community_day", "indicator_rollup", ["community_code", "day"]
    )


def downgrade() -> None:
    op.drop_index("ix_indicator_rollup_community_day", table_name="indicator_rollup")
    with op.batch_alter_table("job_run", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
