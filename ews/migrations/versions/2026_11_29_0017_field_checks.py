"""field checks and verdicts: satellite points verified on the ground

- ``field_check``: one satellite point (``source`` firms|gfw, ``point_id``) per community whose
  territory or approach zone it falls in, with the local day it counts on;
- ``field_verdict``: one verdict per check, keyed by the phone's UUID;
- triggers that leave the check's local day in ``pending_work`` when a verdict is written, so the
  next computation recomputes that day (as the triggers of 0011 do for reports and feed rows).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = ("insert", "update", "delete")


def _create_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION pending_work_field_verdict() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    INSERT INTO pending_work (day, source)
                    SELECT DISTINCT c.day, 'field_verdict'
                    FROM new_rows AS n JOIN field_check AS c ON c.id = n.check_id;
                END IF;
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    INSERT INTO pending_work (day, source)
                    SELECT DISTINCT c.day, 'field_verdict'
                    FROM old_rows AS o JOIN field_check AS c ON c.id = o.check_id;
                END IF;
                RETURN NULL;
            END $$;
            """
        )
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER pending_work_field_verdict_{event.lower()} AFTER {event} "
                f"ON field_verdict REFERENCING {tables} FOR EACH STATEMENT "
                "EXECUTE FUNCTION pending_work_field_verdict()"
            )
        return
    # SQLite: row triggers; one writer at a time, so a day already pending is not marked again.
    for event, images in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        statements = "".join(
            "INSERT INTO pending_work (day, source) SELECT c.day, 'field_verdict' "  # noqa: S608
            f"FROM field_check AS c WHERE c.id = {image}.check_id AND NOT EXISTS "
            "(SELECT 1 FROM pending_work AS p WHERE p.day = c.day); "
            for image in images
        )
        op.execute(
            f"CREATE TRIGGER pending_work_field_verdict_{event.lower()} AFTER {event} "
            f"ON field_verdict BEGIN {statements}END"
        )


def _drop_triggers() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for event in EVENTS:
        name = f"pending_work_field_verdict_{event}"
        op.execute(
            f"DROP TRIGGER IF EXISTS {name} ON field_verdict"
            if postgresql
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS pending_work_field_verdict()")


def upgrade() -> None:
    op.create_table(
        "field_check",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("community_code", sa.String(length=80), nullable=False),
        sa.Column("zone", sa.String(length=10), nullable=False),
        sa.Column("seen_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("created_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_field_check_community_code_community"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_check")),
        sa.UniqueConstraint(
            "source",
            "point_id",
            "community_code",
            name=op.f("uq_field_check_source_point_id_community_code"),
        ),
    )
    op.create_index(
        "ix_field_check_community_seen",
        "field_check",
        ["community_code", "seen_at"],
        unique=False,
    )
    op.create_table(
        "field_verdict",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("check_id", sa.String(length=36), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reporter_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["field_check.id"],
            name=op.f("fk_field_verdict_check_id_field_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_verdict")),
        sa.UniqueConstraint("check_id", name=op.f("uq_field_verdict_check_id")),
    )
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_table("field_verdict")
    op.drop_index("ix_field_check_community_seen", table_name="field_check")
    op.drop_table("field_check")
