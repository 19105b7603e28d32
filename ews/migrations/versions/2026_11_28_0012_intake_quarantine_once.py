"""quarantine once, contact addresses encrypted at rest, sign-in failures found fast

- quarantine_row.fingerprint, unique per source: a resent file, SMS or submission is kept once;
- contact.address becomes a Fernet token (ews.crypto), encrypted with the engine's key;
- an index on audit_log (action, object_id, at) for the dashboard's sign-in throttle.

Revision ID: 0012
Revises: 0004
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ews.crypto import cipher_of, decrypt

revision: str = "0012"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTACT = sa.table("contact", sa.column("id", sa.Integer), sa.column("address", sa.Text))


def upgrade() -> None:
    with op.batch_alter_table("quarantine_row", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_quarantine_row_source_fingerprint"), ["source", "fingerprint"]
        )
    op.create_index(
        "ix_audit_log_action_object", "audit_log", ["action", "object_id", "at"], unique=False
    )
    bind = op.get_bind()
    cipher = cipher_of(bind.dialect)  # the key comes from the settings, never from the database
    for contact_id, address in bind.execute(sa.select(CONTACT.c.id, CONTACT.c.address)).all():
        token = cipher.encrypt(address.encode("utf-8")).decode("ascii")
        bind.execute(CONTACT.update().where(CONTACT.c.id == contact_id).values(address=token))


def downgrade() -> None:
    bind = op.get_bind()
    cipher = cipher_of(bind.dialect)
    for contact_id, token in bind.execute(sa.select(CONTACT.c.id, CONTACT.c.address)).all():
        address = decrypt(cipher, token)
        bind.execute(CONTACT.update().where(CONTACT.c.id == contact_id).values(address=address))
    op.drop_index("ix_audit_log_action_object", table_name="audit_log")
    with op.batch_alter_table("quarantine_row", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_quarantine_row_source_fingerprint"), type_="unique")
        batch_op.drop_column("fingerprint")
