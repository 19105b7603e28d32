"""Alembic environment, for both ways in.

- ``ews init`` (``ews.migrate.upgrade``) hands us a live connection in ``config.attributes``.
- The stock ``alembic`` command (``alembic.ini`` at the repository's root) hands us nothing: the
  engine is built from the EWS settings (``EWS_DATABASE_URL`` or ``.env``), as every ``ews``
  command does, so ``alembic upgrade head``, ``check``, ``history`` and ``revision
  --autogenerate`` work on the same database. ``--sql`` (offline) renders for that URL.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from ews.db import build_engine, normalize_url
from ews.models import Base
from ews.settings import Settings

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = build_engine(Settings())
    try:
        with engine.begin() as connection:
            _configure(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    url = normalize_url(Settings().database_url)
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
