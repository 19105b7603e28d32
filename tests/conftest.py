"""Test fixtures: every database test runs on SQLite and, when EWS_TEST_POSTGRES_URL is set, on
PostgreSQL. Each engine gets one fresh database, migrated and loaded once; each test runs inside a
transaction that is rolled back (``db``), or on a database of its own when it needs real commits
(``fresh_settings``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ews import migrate
from ews.api.app import create_app
from ews.auth.keys import Role, create_key
from ews.db import build_engine, normalize_url
from ews.reference.loader import load_reference_data
from ews.settings import Settings
from tests.browser_support import browser, live_server  # noqa: F401 - fixtures of the browser tests

POSTGRES_URL = os.environ.get("EWS_TEST_POSTGRES_URL")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# A Fernet key for the tests' contact addresses (32 bytes, urlsafe base64), and the CAP sender.
TEST_ENCRYPTION_KEY = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE="
TEST_CAP_SENDER = "pruebas@ews.example.org"
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


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


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    if not POSTGRES_URL:
        yield None
        return
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.drop_all()


def _new_database_url(engine_name: str, postgres: PostgresDatabases | None, tmp_dir: Path) -> str:
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


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_engine(
    engine_name: str,
    postgres_databases: PostgresDatabases | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Engine]:
    url = _new_database_url(engine_name, postgres_databases, tmp_path_factory.mktemp("db"))
    engine = prepare_database(make_settings(url))
    yield engine
    engine.dispose()


@pytest.fixture
def settings(migrated_engine: Engine) -> Settings:
    return make_settings(migrated_engine.url.render_as_string(hide_password=False))


@pytest.fixture
def connection(migrated_engine: Engine) -> Iterator[object]:
    with migrated_engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    """Sessions that share the test's connection: their commits are savepoints, rolled back after."""
    return sessionmaker(
        bind=connection,  # type: ignore[arg-type]
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def app(settings: Settings, migrated_engine: Engine, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return create_app(settings, engine=migrated_engine, session_factory=session_factory)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


KeyMaker = Callable[..., str]


@pytest.fixture
def make_key(db: Session) -> KeyMaker:
    """``make_key("monitor", community="flor-de-ucayali")`` returns the key's token."""

    def _make(
        role: str,
        *,
        name: str | None = None,
        community: str | None = None,
        institution: str | None = None,
    ) -> str:
        _row, token = create_key(
            db,
            role=Role(role),
            name=name or f"{role}-{uuid.uuid4().hex[:6]}",
            community_code=community,
            institution_code=institution,
        )
        db.commit()
        return token

    return _make


@pytest.fixture
def fresh_settings(
    engine_name: str,
    postgres_databases: PostgresDatabases | None,
    tmp_path: Path,
) -> Iterator[Settings]:
    """Settings for a database of this test's own, migrated and loaded, for tests that need real
    commits seen by other connections or processes."""
    url = _new_database_url(engine_name, postgres_databases, tmp_path)
    settings = make_settings(url)
    prepare_database(settings).dispose()
    yield settings
