"""audit actions in one tense, the past: alert.acknowledge becomes alert.acknowledged

The audit log is append-only (triggers refuse UPDATE): the rename lifts the update trigger for the
one statement and puts it back. Plain SQL, so ``alembic upgrade --sql`` renders it too.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (before, after): the imperative actions the service wrote, in the past tense of the others.
RENAMED = (
    ("alert.acknowledge", "alert.acknowledged"),
    ("alert.resolve", "alert.resolved"),
    ("silence.create", "silence.created"),
    ("silence.expire", "silence.expired"),
)
AUDIT_LOG = sa.table("audit_log", sa.column("action", sa.String))
SQLITE_NO_UPDATE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)


def _rename(pairs: Sequence[tuple[str, str]]) -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    if postgresql:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    for old, new in pairs:
        op.execute(AUDIT_LOG.update().where(AUDIT_LOG.c.action == old).values(action=new))
    if postgresql:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
    else:
        op.execute(SQLITE_NO_UPDATE)


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename([(new, old) for old, new in RENAMED])
