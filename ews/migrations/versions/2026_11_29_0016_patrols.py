"""patrols: the walks behind the reports, with their tracks (DESIGN section 11)

- ``patrol``: id (the client's UUID), community, start, end, monitors, the track (GeoJSON
  MultiLineString), its point count and geodesic length, the sender's pseudonym (never a name),
  source and source reference (a Kobo instanceID), content hash;
- pending-work triggers on ``patrol`` like those of migration 0011: a patrol marks the local day
  (Lima) of its ``ended_at`` pending, so the next computation counts it the same day.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ews.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = ("insert", "update", "delete")
# The local day (Lima, UTC-5 all year) of ended_at, as migration 0011 computes it.
POSTGRESQL_DAY = "floor((extract(epoch FROM ended_at) - 18000) / 86400)::integer"


def _sqlite_day(image: str) -> str:
    return f"CAST(julianday(substr({image}.ended_at, 1, 19), '-5 hours') - 2440587.5 AS INTEGER)"


def _create_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION pending_work_patrol() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    INSERT INTO pending_work (day, source)
                    SELECT DISTINCT {POSTGRESQL_DAY}, 'patrol' FROM new_rows;
                END IF;
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    INSERT INTO pending_work (day, source)
                    SELECT DISTINCT {POSTGRESQL_DAY}, 'patrol' FROM old_rows;
                END IF;
                RETURN NULL;
            END $$;
            """  # noqa: S608 - a fixed statement, nothing from input
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER pending_work_patrol_{event.lower()} AFTER {event} ON patrol "
                f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION pending_work_patrol()"
            )
        return
    for event, images in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        statements = "".join(
            "INSERT INTO pending_work (day, source) SELECT d.day, 'patrol' FROM "  # noqa: S608
            f"(SELECT {_sqlite_day(image)} AS day) AS d WHERE NOT EXISTS "
            "(SELECT 1 FROM pending_work AS p WHERE p.day = d.day); "
            for image in images
        )
        op.execute(
            f"CREATE TRIGGER pending_work_patrol_{event.lower()} AFTER {event} ON patrol "
            f"BEGIN {statements}END"
        )


def _drop_triggers() -> None:
    postgresql_engine = op.get_context().dialect.name == "postgresql"
    for event in EVENTS:
        name = f"pending_work_patrol_{event}"
        op.execute(
            f"DROP TRIGGER IF EXISTS {name} ON patrol"
            if postgresql_engine
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgresql_engine:
        op.execute("DROP FUNCTION IF EXISTS pending_work_patrol()")


def upgrade() -> None:
    op.create_table(
        "patrol",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("community_code", sa.String(length=80), nullable=False),
        sa.Column("started_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("monitors", sa.Integer(), nullable=False),
        sa.Column(
            "track",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("length_km", sa.Float(), nullable=False),
        sa.Column("received_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitter_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"], ["community.code"], name=op.f("fk_patrol_community_code_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol")),
        sa.UniqueConstraint("source", "source_ref", name=op.f("uq_patrol_source_source_ref")),
    )
    op.create_index(
        "ix_patrol_community_ended", "patrol", ["community_code", "ended_at"], unique=False
    )
    op.create_index("ix_patrol_ended_at", "patrol", ["ended_at"], unique=False)
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_index("ix_patrol_ended_at", table_name="patrol")
    op.drop_index("ix_patrol_community_ended", table_name="patrol")
    op.drop_table("patrol")
