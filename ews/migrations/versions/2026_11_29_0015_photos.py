"""photo and photo_fetch: photos kept as evidence of reports, and Kobo attachments to fetch

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photo",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_bytes", sa.Integer(), nullable=False),
        sa.Column("stored_sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(length=64), nullable=False),
        sa.Column("kept_time_and_place", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("received_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_photo_report_id_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
        sa.UniqueConstraint("report_id", "sha256", name=op.f("uq_photo_report_id_sha256")),
    )
    op.create_index(op.f("ix_photo_report_id"), "photo", ["report_id"], unique=False)
    op.create_table(
        "photo_fetch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("keep_time_and_place", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", ews.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", ews.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("photo_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", ews.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_photo_fetch_report_id_report")
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photo.id"], name=op.f("fk_photo_fetch_photo_id_photo")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_fetch")),
        sa.UniqueConstraint("report_id", "url", name=op.f("uq_photo_fetch_report_id_url")),
    )
    op.create_index(op.f("ix_photo_fetch_report_id"), "photo_fetch", ["report_id"], unique=False)
    op.create_index(op.f("ix_photo_fetch_status"), "photo_fetch", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_photo_fetch_status"), table_name="photo_fetch")
    op.drop_index(op.f("ix_photo_fetch_report_id"), table_name="photo_fetch")
    op.drop_table("photo_fetch")
    op.drop_index(op.f("ix_photo_report_id"), table_name="photo")
    op.drop_table("photo")
