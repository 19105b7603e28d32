"""community.monitored_since: the local day monitoring began, where patrol silence starts

A community that has reported keeps its silence as before (its first report's day); one that never
reported is watched from the day of this migration, so an enrolled community is not reported as a
long monitoring gap on the day it joins.

Revision ID: 0013
Revises: 0012b
Create Date: 2026-11-28 23:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op

revision: str = "0013"
down_revision: str | None = "0012b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMA = ZoneInfo("America/Lima")
COMMUNITY = sa.table(
    "community", sa.column("code", sa.String), sa.column("monitored_since", sa.Date)
)
REPORT = sa.table(
    "report", sa.column("community_code", sa.String), sa.column("observed_at", sa.DateTime)
)


def upgrade() -> None:
    op.add_column("community", sa.Column("monitored_since", sa.Date(), nullable=True))
    today = datetime.now(UTC).astimezone(LIMA).date()
    if context.is_offline_mode():
        op.execute(COMMUNITY.update().values(monitored_since=today))
        return
    bind = op.get_bind()
    first = dict(
        bind.execute(
            sa.select(REPORT.c.community_code, sa.func.min(REPORT.c.observed_at)).group_by(
                REPORT.c.community_code
            )
        ).all()
    )
    for (code,) in bind.execute(sa.select(COMMUNITY.c.code)).all():
        moment = first.get(code)
        if isinstance(moment, str):  # SQLite answers min() over a datetime as text
            moment = datetime.fromisoformat(moment)
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        day = moment.astimezone(LIMA).date() if moment is not None else today
        bind.execute(COMMUNITY.update().where(COMMUNITY.c.code == code).values(monitored_since=day))


def downgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("monitored_since")
