"""daily digests: ``institution_digest`` (one per institution and Lima day) and outbox messages of
a digest (``outbox_message.digest_id``; ``alert_id`` and ``event_id`` nullable, exactly one of the
event and the digest set)

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-29 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ews.models.base

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Exactly one of an event and a digest (as ``ews.models.outbox.EVENT_OR_DIGEST`` says today).
EVENT_OR_DIGEST = "(event_id IS NULL) <> (digest_id IS NULL)"


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, ews.models.base.UTCDateTime(timezone=True), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        nullable=False,
    )


# SQLite's batch mode reflects the live outbox table rather than restating it (no ``copy_from``):
# other revisions of the same days change this table too (community contacts), and a restated
# table would drop their columns whichever order the revisions are chained in.


def upgrade() -> None:
    op.create_table(
        "institution_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _when("prepared_at", nullable=False),
        _when("since", nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        _json("counts"),
        sa.ForeignKeyConstraint(
            ["institution_code"],
            ["institution.code"],
            name=op.f("fk_institution_digest_institution_code_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution_digest")),
        sa.UniqueConstraint(
            "institution_code", "day", name=op.f("uq_institution_digest_institution_code_day")
        ),
    )
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("event_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_digest_id_institution_digest"),
            "institution_digest",
            ["digest_id"],
            ["id"],
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_outbox_message_digest_id_contact_id"), ["digest_id", "contact_id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_outbox_message_event_or_digest"), EVENT_OR_DIGEST
        )


def downgrade() -> None:
    # A digest's messages have no place before this revision: they go first.
    op.execute("DELETE FROM outbox_message WHERE digest_id IS NOT NULL")
    with op.batch_alter_table("outbox_message") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_message_event_or_digest"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("uq_outbox_message_digest_id_contact_id"), type_="unique"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_digest_id_institution_digest"), type_="foreignkey"
        )
        batch_op.drop_column("digest_id")
        batch_op.alter_column("event_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("alert_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("institution_digest")
