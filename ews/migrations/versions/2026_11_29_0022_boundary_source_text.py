"""boundary source as text: an imported boundary names its file, layer and import time

``community.boundary_source`` was ``VARCHAR(40)`` (``illustrative``); an imported boundary records
``<file> · capa <layer> · <time> UTC`` (``ews communities import``), longer than 40 characters.
PostgreSQL changes the type in place. SQLite cannot alter a column's type, and rebuilding
``community`` (referenced by every table that names a community) would trip its foreign keys, so
the column is added anew, filled, the old one dropped and the new one renamed (SQLite 3.35+).

Revision ID: 0022
Revises: 0018
Create Date: 2026-11-29 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_retype(declared: str, copy: str) -> None:
    op.execute(
        f"ALTER TABLE community ADD COLUMN boundary_source_new {declared} NOT NULL DEFAULT ''"
    )
    op.execute(f"UPDATE community SET boundary_source_new = {copy}")  # noqa: S608 (constants)
    op.execute("ALTER TABLE community DROP COLUMN boundary_source")
    op.execute("ALTER TABLE community RENAME COLUMN boundary_source_new TO boundary_source")


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "community",
            "boundary_source",
            type_=sa.Text(),
            existing_type=sa.String(length=40),
            existing_nullable=False,
        )
    else:
        _sqlite_retype("TEXT", "boundary_source")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("UPDATE community SET boundary_source = left(boundary_source, 40)")
        op.alter_column(
            "community",
            "boundary_source",
            type_=sa.String(length=40),
            existing_type=sa.Text(),
            existing_nullable=False,
        )
    else:
        _sqlite_retype("VARCHAR(40)", "substr(boundary_source, 1, 40)")
