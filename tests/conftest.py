"""Fixtures: every database test runs on SQLite and, when EWS_TEST_POSTGRES_URL is set, on
PostgreSQL. Each engine gets one fresh database, migrated and loaded once; each test runs inside a
transaction that is rolled back (``db``), or on a database of its own when it needs real commits
(``fresh_settings``). What the fixtures build on is in ``tests/support``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ews.api.app import create_app
from ews.auth.keys import Role, create_key
from ews.settings import Settings
from tests.support.delivery import SmtpServer
from tests.support.settings import (
    ENGINES,
    POSTGRES_URL,
    PostgresDatabases,
    make_settings,
    new_database_url,
    prepare_database,
)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    if not POSTGRES_URL:
        yield None
        return
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_engine(
    engine_name: str,
    postgres_databases: PostgresDatabases | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Engine]:
    url = new_database_url(engine_name, postgres_databases, tmp_path_factory.mktemp("db"))
    engine = prepare_database(make_settings(url))
    yield engine
    engine.dispose()


@pytest.fixture
def settings(migrated_engine: Engine, tmp_path: Path) -> Settings:
    # Photos a test stores land in its own folder, never in the repository's var/.
    return make_settings(
        migrated_engine.url.render_as_string(hide_password=False), photos_dir=tmp_path / "photos"
    )


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


@pytest.fixture
def make_key(db: Session) -> Callable[..., str]:
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
    url = new_database_url(engine_name, postgres_databases, tmp_path)
    settings = make_settings(url, photos_dir=tmp_path / "photos")
    prepare_database(settings).dispose()
    yield settings


@pytest.fixture
def edge_client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A client that gets the server's own exceptions as 500 answers, so that a failure shows the
    input that caused it."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that keeps every mail it accepts."""
    server = SmtpServer().start()
    yield server
    server.stop()
