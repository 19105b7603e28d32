"""quarantine once, contact addresses encrypted at rest, sign-in failures found fast

- quarantine_row.fingerprint, unique per source: a resent file, SMS or submission is kept once;
- contact.address becomes a Fernet token (ews.crypto), encrypted with the engine's key;
- an index on audit_log (action, object_id, at) for the dashboard's sign-in throttle.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from ews.crypto import cipher_of, decrypt

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTACT = sa.table("contact", sa.column("id", sa.Integer), sa.column("address", sa.Text))


def upgrade() -> None:
    op.add_column("quarantine_row", sa.Column("fingerprint", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_quarantine_row_source_fingerprint",
        "quarantine_row",
        ["source", "fingerprint"],
        unique=True,
    )
    op.create_index(
        "ix_audit_log_action_object", "audit_log", ["action", "object_id", "at"], unique=False
    )
    if context.is_offline_mode():
        # Rendered SQL (`alembic upgrade --sql`) cannot read rows: existing contacts must be
        # encrypted online (`ews init` or `alembic upgrade head` against the database).
        op.execute(
            "-- contact.address: existing rows are encrypted only by an online upgrade (ews init)"
        )
        return
    bind = op.get_bind()
    cipher = cipher_of(bind.dialect)  # the key comes from the settings, never from the database
    for contact_id, address in bind.execute(sa.select(CONTACT.c.id, CONTACT.c.address)).all():
        token = cipher.encrypt(address.encode("utf-8")).decode("ascii")
        bind.execute(CONTACT.update().where(CONTACT.c.id == contact_id).values(address=token))


def downgrade() -> None:
    if context.is_offline_mode():
        msg = "decrypting contact addresses needs the database: downgrade online"
        raise RuntimeError(msg)
    bind = op.get_bind()
    cipher = cipher_of(bind.dialect)
    for contact_id, token in bind.execute(sa.select(CONTACT.c.id, CONTACT.c.address)).all():
        address = decrypt(cipher, token)
        bind.execute(CONTACT.update().where(CONTACT.c.id == contact_id).values(address=address))
    op.drop_index("ix_audit_log_action_object", table_name="audit_log")
    op.drop_index("uq_quarantine_row_source_fingerprint", table_name="quarantine_row")
    with op.batch_alter_table("quarantine_row", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
