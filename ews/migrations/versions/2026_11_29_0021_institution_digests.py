"""daily digests: ``institution_digest`` (one per institution and Lima day) and outbox messages of
a digest (``outbox_message.digest_id``; ``alert_id`` and ``event_id`` nullable, exactly one of the
event and the digest set)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 04:20:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ews.models.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Exactly one of an event and a digest (as ``ews.models.outbox.EVENT_OR_DIGEST`` says today).
EVENT_OR_DIGEST = "(event_id IS NULL) <> (digest_id IS NULL)"
# Revision 0020's rule: an institution's contact or a community's contact.
ONE_RECIPIENT = "(contact_id IS NULL) <> (community_contact_id IS NULL)"


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, ews.models.base.UTCDateTime(timezone=True), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
        nullable=False,
    )


def _outbox(*, with_digests: bool) -> sa.Table:
    """The outbox table before (or after) this revision, so SQLite's batch mode needs no live
    database to reflect it (``alembic upgrade --sql``)."""
    metadata = sa.MetaData(naming_convention=ews.models.base.NAMING_CONVENTION)
    sa.Table("alert", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("alert_event", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("contact", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("community_contact", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("institution", metadata, sa.Column("code", sa.String(length=40), primary_key=True))
    sa.Table("institution_digest", metadata, sa.Column("id", sa.Integer(), primary_key=True))
    digests = (
        [
            sa.Column(
                "digest_id", sa.Integer(), sa.ForeignKey("institution_digest.id"), nullable=True
            ),
            sa.UniqueConstraint("digest_id", "contact_id"),
            sa.CheckConstraint(EVENT_OR_DIGEST, name="event_or_digest"),
        ]
        if with_digests
        else []
    )
    return sa.Table(
        "outbox_message",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=with_digests),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("alert_event.id"), nullable=with_digests),
        # Revision 0020: an institution's contact or a community's contact, exactly one.
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id"), nullable=True),
        sa.Column(
            "community_contact_id",
            sa.Integer(),
            sa.ForeignKey("community_contact.id"),
            nullable=True,
        ),
        sa.Column(
            "institution_code",
            sa.String(length=40),
            sa.ForeignKey("institution.code"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        _when("claimed_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("created_at", nullable=False),
        _when("sent_at"),
        _json("payload"),
        sa.UniqueConstraint("event_id", "contact_id"),
        sa.UniqueConstraint("event_id", "community_contact_id"),
        sa.CheckConstraint(ONE_RECIPIENT, name="one_recipient"),
        sa.Index("ix_outbox_message_alert_id", "alert_id"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        *digests,
    )


def _batch_outbox(*, with_digests: bool) -> Any:
    """SQLite's batch mode on the outbox table. Online it reflects the live table rather than
    restating it: other revisions of the same days change this table too (community contacts), and
    a restated table would drop their columns. Offline (``alembic upgrade --sql``) there is no table
    to reflect, so it is restated as this revision knows it (:func:`_outbox`)."""
    if op.get_context().as_sql:
        return op.batch_alter_table("outbox_message", copy_from=_outbox(with_digests=with_digests))
    return op.batch_alter_table("outbox_message")


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
    with _batch_outbox(with_digests=False) as batch_op:
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
    with _batch_outbox(with_digests=True) as batch_op:
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
