"""institutions acting together: per-institution responses and actions (DESIGN section 12)

- ``action_type``: the action catalog of ``fixtures/actions.yaml`` (per recording institution, the
  code, Spanish and English labels, and the institution it is about when another one acts);
- ``alert_response``: one row per alert and routed institution (notified, acknowledged by whom with
  which note, its own reminder and national-escalation marks);
- ``alert_action``: the actions an institution records on an alert routed to it (type, status, due
  date, note, reason when declined, the recording key's name, the overdue reminder mark).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, ews.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "action_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_code", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label_es", sa.String(), nullable=False),
        sa.Column("label_en", sa.String(), nullable=False),
        sa.Column("about_code", sa.String(length=40), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_code"],
            ["institution.code"],
            name=op.f("fk_action_type_institution_code_institution"),
        ),
        sa.ForeignKeyConstraint(
            ["about_code"], ["institution.code"], name=op.f("fk_action_type_about_code_institution")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_type")),
        sa.UniqueConstraint(
            "institution_code", "code", name=op.f("uq_action_type_institution_code_code")
        ),
    )
    op.create_table(
        "alert_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("institution_code", sa.String(length=40), nullable=False),
        _when("notified_at"),
        _when("acknowledged_at"),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _when("last_reminded_at"),
        _when("national_escalated_at"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_alert_response_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["institution_code"],
            ["institution.code"],
            name=op.f("fk_alert_response_institution_code_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_response")),
        sa.UniqueConstraint(
            "alert_id", "institution_code", name=op.f("uq_alert_response_alert_id_institution_code")
        ),
    )
    op.create_index(
        op.f("ix_alert_response_alert_id"), "alert_response", ["alert_id"], unique=False
    )
    op.create_table(
        "alert_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("institution_code", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("last_reminded_at"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_alert_action_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["institution_code"],
            ["institution.code"],
            name=op.f("fk_alert_action_institution_code_institution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_action")),
    )
    op.create_index(op.f("ix_alert_action_alert_id"), "alert_action", ["alert_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_action_alert_id"), table_name="alert_action")
    op.drop_table("alert_action")
    op.drop_index(op.f("ix_alert_response_alert_id"), table_name="alert_response")
    op.drop_table("alert_response")
    op.drop_table("action_type")
