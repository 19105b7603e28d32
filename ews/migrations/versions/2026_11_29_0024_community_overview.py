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
    with op.batch_alter_table("community") as batch:
        batch.add_column(sa.Column("overview", JSON, nullable=True))
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
    with op.batch_alter_table("community") as batch:
        batch.drop_column("overview")
