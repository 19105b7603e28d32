"""pending work, value revisions and alert marks: freshness by change, not by the clock

- ``pending_work``: the local days whose input rows changed, written by triggers on ``report``,
  ``fire_hotspot`` and ``deforestation_alert`` in the writing transaction itself, consumed by the
  next computation (replaces the settle time and the received-at watermark);
- ``counter``: the last value revision given, and the computations started and done;
- ``indicator_value.revision`` (and an index on ``window_end``);
- ``alert.seen_revision``, ``alert.hold_until`` and ``alert.below_warning_since`` (replacing
  ``evaluated_through`` and ``below_warning_count``), and an index on (``fingerprint``, ``id``).

Existing values get revision 1 and existing alerts have seen it; alerts that were below warning
start their auto-resolve time now; the rollup state is dropped so the next computation is a full
one (rows received since the last watermark have no pending work).

Revision ID: 0011
Revises: 0004
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0011"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, kind): the column whose local day (Lima, UTC-5 all year) a row counts on.
MARKED = (
    ("report", "observed_at", "timestamp"),
    ("fire_hotspot", "acquired_at", "timestamp"),
    ("deforestation_alert", "alert_date", "date"),
)


def _postgresql_day(column: str, kind: str) -> str:
    if kind == "date":
        return f"({column} - DATE '1970-01-01')"
    return f"floor((extract(epoch FROM {column}) - 18000) / 86400)::integer"


def _sqlite_day(column: str, kind: str) -> str:
    # Whole seconds only: julianday() keeps milliseconds, so 23:59:59.9999 would round to the next day.
    if kind == "date":
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
    return f"CAST(julianday(substr({column}, 1, 19), '-5 hours') - 2440587.5 AS INTEGER)"


def _create_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table, column, kind in MARKED:
            day = _postgresql_day(column, kind)
            op.execute(
                f"""
                CREATE FUNCTION pending_work_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP IN ('INSERT', 'UPDATE') THEN
                        INSERT INTO pending_work (day, source)
                        SELECT DISTINCT {day}, '{table}' FROM new_rows;
                    END IF;
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN
                        INSERT INTO pending_work (day, source)
                        SELECT DISTINCT {day}, '{table}' FROM old_rows;
                    END IF;
                    RETURN NULL;
                END $$;
                """  # noqa: S608 - table and column names come from MARKED, never from input
            )
            # One statement-level trigger per event (a trigger with transition tables has one).
            for event, tables in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            ):
                op.execute(
                    f"CREATE TRIGGER pending_work_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {tables} FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION pending_work_{table}()"
                )
        return
    # SQLite: row triggers. One writer at a time, so a day already pending is not marked again
    # (no computation can take the marker between the check and this transaction's commit).
    for table, column, kind in MARKED:
        for event, images in (
            ("INSERT", ("NEW",)),
            ("UPDATE", ("OLD", "NEW")),
            ("DELETE", ("OLD",)),
        ):
            statements = "".join(
                f"INSERT INTO pending_work (day, source) SELECT d.day, '{table}' FROM "  # noqa: S608
                f"(SELECT {_sqlite_day(f'{image}.{column}', kind)} AS day) AS d WHERE NOT EXISTS "
                f"(SELECT 1 FROM pending_work AS p WHERE p.day = d.day); "
                for image in images
            )
            op.execute(
                f"CREATE TRIGGER pending_work_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {statements}END"
            )


def _drop_triggers() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table, _column, _kind in MARKED:
        for event in ("insert", "update", "delete"):
            name = f"pending_work_{table}_{event}"
            op.execute(
                f"DROP TRIGGER IF EXISTS {name} ON {table}"
                if postgresql
                else f"DROP TRIGGER IF EXISTS {name}"
            )
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS pending_work_{table}()")


def upgrade() -> None:
    op.create_table(
        "pending_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_work")),
    )
    op.create_index("ix_pending_work_day", "pending_work", ["day"], unique=False)
    counter = op.create_table(
        "counter",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )
    op.add_column(
        "indicator_value",
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute("UPDATE indicator_value SET revision = 1")
    # The first and last day with values, and a day's values, are read by every computation.
    op.create_index(
        "ix_indicator_value_window_end", "indicator_value", ["window_end"], unique=False
    )
    # Plain SQL, so the migration also renders offline (`alembic upgrade --sql`).
    op.execute(
        "INSERT INTO counter (name, value) SELECT 'indicator_revision', CASE WHEN EXISTS "
        "(SELECT 1 FROM indicator_value) THEN 1 ELSE 0 END"
    )
    op.bulk_insert(
        counter,
        [{"name": "computations_started", "value": 0}, {"name": "computations_done", "value": 0}],
    )
    op.add_column(
        "alert",
        sa.Column("below_warning_since", ews.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("alert", sa.Column("seen_revision", sa.BigInteger(), nullable=True))
    op.add_column("alert", sa.Column("hold_until", sa.BigInteger(), nullable=True))
    op.execute("UPDATE alert SET seen_revision = 1")
    op.create_index("ix_alert_fingerprint_id", "alert", ["fingerprint", "id"], unique=False)
    op.execute(
        sa.text(
            "UPDATE alert SET below_warning_since = :now "
            "WHERE below_warning_count > 0 AND status <> 'resolved'"
        ).bindparams(
            sa.bindparam("now", ews.models.base.utcnow(), type_=ews.models.base.UTCDateTime())
        )
    )
    # SQLite (3.35+) drops a plain column in place; no table copy, so no index or trigger is lost.
    op.drop_column("alert", "evaluated_through")
    op.drop_column("alert", "below_warning_count")
    op.execute("DELETE FROM indicator_rollup_state")
    op.drop_column("indicator_rollup_state", "watermark")
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.add_column(
        "indicator_rollup_state",
        sa.Column(
            "watermark",
            ews.models.base.UTCDateTime(timezone=True),
            nullable=False,
            server_default="1970-01-01 00:00:00",
        ),
    )
    op.add_column(
        "alert",
        sa.Column("below_warning_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "alert",
        sa.Column("evaluated_through", ews.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.drop_index("ix_alert_fingerprint_id", table_name="alert")
    op.drop_column("alert", "hold_until")
    op.drop_column("alert", "seen_revision")
    op.drop_column("alert", "below_warning_since")
    op.drop_index("ix_indicator_value_window_end", table_name="indicator_value")
    op.drop_column("indicator_value", "revision")
    op.drop_table("counter")
    op.drop_index("ix_pending_work_day", table_name="pending_work")
    op.drop_table("pending_work")
