"""Settings for the tests and the databases they run on: ``make_settings`` with test secrets, a
throwaway PostgreSQL database per need, and a database migrated and loaded with the fixtures."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ews import migrate
from ews.db import build_engine, normalize_url
from ews.reference.loader import load_reference_data
from ews.settings import Settings
from tests.support.paths import FIXTURES_DIR

POSTGRES_URL = os.environ.get("EWS_TEST_POSTGRES_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# A Fernet key for the tests' contact addresses (32 bytes, urlsafe base64), and the CAP sender.
TEST_ENCRYPTION_KEY = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE="
TEST_CAP_SENDER = "pruebas@ews.example.org"
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "encryption_key": TEST_ENCRYPTION_KEY,
        "cap_sender": TEST_CAP_SENDER,
        "embedded_scheduler": False,
        "embedded_worker": False,
        "base_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class PostgresDatabases:
    """Creates and drops throwaway databases on the server EWS_TEST_POSTGRES_URL names."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalize_url(url))
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> str:
        name = f"ews_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def new_database_url(engine_name: str, postgres: PostgresDatabases | None, tmp_dir: Path) -> str:
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_dir / f'ews-{uuid.uuid4().hex[:8]}.sqlite3'}"
    if postgres is None:
        pytest.skip("EWS_TEST_POSTGRES_URL no está definido / is not set: PostgreSQL half skipped")
    return postgres.create()


def prepare_database(settings: Settings) -> Engine:
    """Migrate to head and load the reference fixtures, committed."""
    engine = build_engine(settings)
    migrate.upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session, FIXTURES_DIR)
        session.commit()
    return engine
