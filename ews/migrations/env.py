"""Alembic environment. ``ews.migrate`` hands us a live connection; nothing reads the environment."""

from __future__ import annotations

from alembic import context

from ews.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - the CLI always passes one
        msg = "run migrations through `ews init` (ews.migrate.upgrade), which passes a connection"
        raise RuntimeError(msg)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
