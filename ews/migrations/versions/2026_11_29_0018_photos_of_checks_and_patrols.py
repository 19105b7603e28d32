"""photo: of a report, a field check or a patrol (exactly one)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ews.models.base

# Exactly one of the photo's owners is set (as ``ews.models.photos.PHOTO_OF_ONE`` says today).
PHOTO_OF_ONE = (
    "(CASE WHEN report_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN check_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN patrol_id IS NULL THEN 0 ELSE 1 END) = 1"
)

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _photo(*, of_checks_and_patrols: bool) -> sa.Table:
    """The photo table as it stands before (or after) this revision, so SQLite's batch mode
    needs no live database to reflect it (``alembic upgrade --sql``)."""
    owners = (
        [
            sa.Column("check_id", sa.String(length=36), sa.ForeignKey("field_check.id")),
            sa.Column("patrol_id", sa.String(length=36), sa.ForeignKey("patrol.id")),
            sa.UniqueConstraint("check_id", "sha256"),
            sa.UniqueConstraint("patrol_id", "sha256"),
            sa.CheckConstraint(PHOTO_OF_ONE, name="of_one"),
            sa.Index("ix_photo_check_id", "check_id"),
            sa.Index("ix_photo_patrol_id", "patrol_id"),
        ]
        if of_checks_and_patrols
        else []
    )
    metadata = sa.MetaData(naming_convention=ews.models.base.NAMING_CONVENTION)
    sa.Table("report", metadata, sa.Column("id", sa.String(length=36), primary_key=True))
    sa.Table("field_check", metadata, sa.Column("id", sa.String(length=36), primary_key=True))
    sa.Table("patrol", metadata, sa.Column("id", sa.String(length=36), primary_key=True))
    return sa.Table(
        "photo",
        metadata,
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column(
            "report_id",
            sa.String(length=36),
            sa.ForeignKey("report.id"),
            nullable=of_checks_and_patrols,
        ),
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
        sa.UniqueConstraint("report_id", "sha256"),
        sa.Index("ix_photo_report_id", "report_id"),
        *owners,
    )


def _set_fetches_aside() -> bool:
    """SQLite rebuilds the table (copy, drop, rename), and dropping ``photo`` while
    ``photo_fetch`` rows point at it fails their foreign key: those rows wait in a temporary table
    meanwhile (:func:`_bring_fetches_back`). PostgreSQL alters the table in place."""
    if op.get_context().dialect.name != "sqlite":
        return False
    op.execute("CREATE TEMPORARY TABLE photo_fetch_aside AS SELECT * FROM photo_fetch")
    op.execute("DELETE FROM photo_fetch")
    return True


def _bring_fetches_back() -> None:
    op.execute("INSERT INTO photo_fetch SELECT * FROM photo_fetch_aside")
    op.execute("DROP TABLE photo_fetch_aside")


def upgrade() -> None:
    aside = _set_fetches_aside()
    with op.batch_alter_table("photo", copy_from=_photo(of_checks_and_patrols=False)) as batch_op:
        batch_op.alter_column("report_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.add_column(sa.Column("check_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("patrol_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_photo_check_id_field_check"), "field_check", ["check_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_photo_patrol_id_patrol"), "patrol", ["patrol_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_photo_check_id"), ["check_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photo_patrol_id"), ["patrol_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_photo_check_id_sha256"), ["check_id", "sha256"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_photo_patrol_id_sha256"), ["patrol_id", "sha256"]
        )
        batch_op.create_check_constraint(batch_op.f("ck_photo_of_one"), PHOTO_OF_ONE)
    if aside:
        _bring_fetches_back()


def downgrade() -> None:
    # Photos of checks and patrols have no place before this revision: they go first.
    op.execute("DELETE FROM photo WHERE report_id IS NULL")
    aside = _set_fetches_aside()
    with op.batch_alter_table("photo", copy_from=_photo(of_checks_and_patrols=True)) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_photo_of_one"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_photo_patrol_id_sha256"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_photo_check_id_sha256"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_photo_patrol_id"))
        batch_op.drop_index(batch_op.f("ix_photo_check_id"))
        batch_op.drop_constraint(batch_op.f("fk_photo_patrol_id_patrol"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_photo_check_id_field_check"), type_="foreignkey")
        batch_op.drop_column("patrol_id")
        batch_op.drop_column("check_id")
        batch_op.alter_column("report_id", existing_type=sa.String(length=36), nullable=False)
    if aside:
        _bring_fetches_back()
