"""contacts managed through the API; community contacts who hear back (DESIGN section 12)

- ``contact.categories`` (JSON list; empty: every category of its institution) and
  ``contact.managed_by`` (``fixture`` | ``api``: ``ews init`` leaves ``api`` rows alone);
- ``community_contact``: a community's leaders and monitors, phone encrypted (Fernet token) with a
  keyed-HMAC pseudonym to find the sender of an SMS;
- ``outbox_message``: ``contact_id`` and ``institution_code`` nullable, ``community_contact_id``
  added, exactly one recipient.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import ews.crypto
import ews.models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_RECIPIENT = "(contact_id IS NULL) <> (community_contact_id IS NULL)"


def _outbox_before() -> sa.Table:
    """The outbox table as revision 0019 left it, so SQLite's batch mode needs no live database to
    reflect it (``alembic upgrade --sql``)."""
    metadata = sa.MetaData(naming_convention=ews.models.base.NAMING_CONVENTION)
    for name in ("alert", "alert_event", "contact"):
        sa.Table(name, metadata, sa.Column("id", sa.Integer(), primary_key=True))
    sa.Table("institution", metadata, sa.Column("code", sa.String(length=40), primary_key=True))

    def when(name: str, *, nullable: bool = True) -> sa.Column[object]:
        return sa.Column(name, ews.models.base.UTCDateTime(timezone=True), nullable=nullable)

    return sa.Table(
        "outbox_message",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("alert_id", sa.Integer(), sa.ForeignKey("alert.id"), nullable=False),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("alert_event.id"), nullable=False),
        sa.Column("contact_id", sa.Integer(), sa.ForeignKey("contact.id"), nullable=False),
        sa.Column(
            "institution_code",
            sa.String(length=40),
            sa.ForeignKey("institution.code"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        when("next_attempt_at", nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        when("claimed_until"),
        sa.Column("last_error", sa.Text(), nullable=True),
        when("created_at", nullable=False),
        when("sent_at"),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.UniqueConstraint("event_id", "contact_id"),
        sa.Index("ix_outbox_message_alert_id", "alert_id"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of ``contact`` would need a live table to reflect.
    op.add_column(
        "contact",
        sa.Column(
            "categories",
            ews.models.base.JSONType,
            nullable=False,
            server_default=sa.text("'[]'"),
        ),
    )
    op.add_column(
        "contact",
        sa.Column("managed_by", sa.String(length=10), nullable=False, server_default="fixture"),
    )
    op.create_table(
        "community_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("community_code", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("phone", ews.crypto.EncryptedText(), nullable=False),
        sa.Column("phone_pseudonym", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["community.code"],
            name=op.f("fk_community_contact_community_code_community"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_contact")),
        sa.UniqueConstraint("code", name=op.f("uq_community_contact_code")),
    )
    op.create_index(
        op.f("ix_community_contact_community_code"), "community_contact", ["community_code"]
    )
    op.create_index(
        op.f("ix_community_contact_phone_pseudonym"), "community_contact", ["phone_pseudonym"]
    )
    copy_from = _outbox_before() if op.get_context().as_sql else None
    with op.batch_alter_table("outbox_message", copy_from=copy_from) as batch:
        batch.alter_column("contact_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("institution_code", existing_type=sa.String(length=40), nullable=True)
        batch.add_column(sa.Column("community_contact_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_message_community_contact_id_community_contact"),
            "community_contact",
            ["community_contact_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_outbox_message_event_id_community_contact_id"),
            ["event_id", "community_contact_id"],
        )
        batch.create_check_constraint("one_recipient", ONE_RECIPIENT)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_message WHERE community_contact_id IS NOT NULL")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_constraint(op.f("ck_outbox_message_one_recipient"), type_="check")
        batch.drop_constraint(
            op.f("uq_outbox_message_event_id_community_contact_id"), type_="unique"
        )
        batch.drop_constraint(
            op.f("fk_outbox_message_community_contact_id_community_contact"), type_="foreignkey"
        )
        batch.drop_column("community_contact_id")
        batch.alter_column("institution_code", existing_type=sa.String(length=40), nullable=False)
        batch.alter_column("contact_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_community_contact_phone_pseudonym"), table_name="community_contact")
    op.drop_index(op.f("ix_community_contact_community_code"), table_name="community_contact")
    op.drop_table("community_contact")
    op.drop_column("contact", "managed_by")  # SQLite 3.35+ drops a column in place
    op.drop_column("contact", "categories")
