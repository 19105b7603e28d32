"""community overview shape: each territory simplified for the national landing map

- ``community.overview``: the boundary simplified (``indicators.geometry.overview_shape``: 0.01°
  tolerance, 0.001° grid, a Point for a territory smaller than that), recomputed by the model
  whenever the boundary is written; filled here for the communities already loaded.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 04:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from indicators.geometry import overview_shape

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # A plain ADD COLUMN on both engines: a batch rebuild of ``community`` on SQLite trips the
    # foreign keys of every table that points at it.
    op.add_column("community", sa.Column("overview", JSON, nullable=True))
    if op.get_context().as_sql:
        return  # offline: no rows to read; the landing map simplifies a missing shape itself
    bind = op.get_bind()
    community = sa.table(
        "community",
        sa.column("code", sa.String),
        sa.column("boundary", JSON),
        sa.column("overview", JSON),
    )
    rows = bind.execute(sa.select(community.c.code, community.c.boundary)).all()
    for code, boundary in rows:
        if isinstance(boundary, str):
            boundary = json.loads(boundary)
        bind.execute(
            community.update()
            .where(community.c.code == code)
            .values(overview=overview_shape(boundary))
        )


def downgrade() -> None:
    op.drop_column("community", "overview")  # SQLite 3.35+ drops a column in place
