"""quarantine once: a fingerprint per quarantined item, unique per source

Revision ID: 0012
Revises: 0004
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine_row", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_quarantine_row_source_fingerprint"), ["source", "fingerprint"]
        )


def downgrade() -> None:
    with op.batch_alter_table("quarantine_row", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_quarantine_row_source_fingerprint"), type_="unique")
        batch_op.drop_column("fingerprint")
