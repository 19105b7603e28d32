"""cap_message: the CAP 1.2 message of each notified alert event, stored when the event is written

Revision ID: 0012b
Revises: 0012
Create Date: 2026-11-28 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0012b"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cap_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("sent", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("msg_type", sa.String(length=10), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_cap_message_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["alert_event.id"], name=op.f("fk_cap_message_event_id_alert_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cap_message")),
        sa.UniqueConstraint("event_id", name=op.f("uq_cap_message_event_id")),
        sa.UniqueConstraint("identifier", name=op.f("uq_cap_message_identifier")),
    )
    with op.batch_alter_table("cap_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cap_message_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cap_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cap_message_alert_id"))
    op.drop_table("cap_message")
