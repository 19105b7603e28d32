"""satellite points by longitude band: an index of ``fire_hotspot`` and one of
``deforestation_alert`` led by the longitude, holding every column an indicator run reads

A computation runs in shards of communities ordered west to east (``indicators.planning.shards``),
so a shard's box is a narrow band of longitude: with these indexes a shard reads the points of its
band from the index alone (SQLite: a covering index; PostgreSQL: an index-only scan once the table
is vacuumed), not every point of the lookback by time and then the table row of each.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_fire_hotspot_band",
        "fire_hotspot",
        [
            "longitude",
            "acquired_at",
            "latitude",
            "instrument",
            "confidence",
            "confidence_pct",
            "id",
        ],
    )
    op.create_index(
        "ix_deforestation_alert_band",
        "deforestation_alert",
        ["longitude", "alert_date", "latitude", "confidence", "area_ha", "dataset", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_deforestation_alert_band", table_name="deforestation_alert")
    op.drop_index("ix_fire_hotspot_band", table_name="fire_hotspot")
