"""Engines and sessions. Built from settings on demand; nothing connects at import."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ews.crypto import attach_cipher, build_cipher
from ews.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 15_000
SNAPSHOT_ATTEMPTS = 5
T = TypeVar("T")
logger = logging.getLogger(__name__)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, foreign keys, temporary storage in memory, and transactions we begin
    ourselves (not pysqlite's legacy mode).

    Every transaction starts with ``BEGIN IMMEDIATE`` unless the connection asks for
    ``sqlite_begin="DEFERRED"``: a writer takes the lock up front, so a read-then-write never fails
    half-way with "database is locked". Writers of this process also queue on a lock of the engine
    before asking SQLite: SQLite's own busy handler polls with growing sleeps, so dozens of threads
    waiting on it starve each other (seconds of latency under load), while a queue hands the lock
    over at once. Other processes still meet SQLite's busy timeout.
    """
    write_lock = threading.Lock()
    timeout_s = SQLITE_BUSY_TIMEOUT_MS / 1000

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Every write of an input row fires a trigger (pending work), so each INSERT keeps a
        # statement journal; in memory it costs a fifth of the insert, on disk nearly as much again.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "IMMEDIATE" and write_lock.acquire(timeout=timeout_s):
            # Without the lock after the timeout, BEGIN below meets SQLite's busy timeout as before.
            conn.info["ews_write_lock"] = True
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        if conn.info.pop("ews_write_lock", False):
            write_lock.release()

    # Released as the transaction ends (just before COMMIT/ROLLBACK is sent, which takes
    # milliseconds; a writer that starts meanwhile waits that long in SQLite's busy handler).
    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (``postgresql://`` included)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(settings: Settings, **kwargs: Any) -> Engine:
    """The engine the settings name, with the cipher of its encrypted columns (``ews.crypto``)."""
    engine = _create_engine(settings, **kwargs)
    attach_cipher(engine, build_cipher(settings.encryption_keys))
    return engine


def _create_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = normalize_url(settings.database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Enough connections for every request let in at once plus the embedded jobs, so none
        # waits for a connection while holding a thread (SQLite connections are cheap).
        kwargs.setdefault("pool_size", settings.max_concurrent_requests + 8)
        kwargs.setdefault("max_overflow", 8)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", settings.max_concurrent_requests)
    return create_engine(url, **kwargs)


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(
    factory: sessionmaker[Session], *, commit_despite: tuple[type[BaseException], ...] = ()
) -> Iterator[Session]:
    """One unit of work: commit once at the end, roll back on any error.

    ``commit_despite``: errors that end the unit with its work standing (a refused submission the
    handler kept in quarantine): the session commits, then the error goes on.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except commit_despite:
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def begin_read_only(session: Session) -> None:
    """Begin the session's transaction as a read: on SQLite ``BEGIN DEFERRED``, so it neither takes
    nor waits for the writer's lock (see ``_configure_sqlite``). Call it before the first query."""
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})


@contextmanager
def read_only_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reads only (``begin_read_only``), closed at the end without a commit."""
    with factory() as session:
        begin_read_only(session)
        yield session


def in_snapshot(
    factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = SNAPSHOT_ATTEMPTS,
) -> T:
    """Run ``work`` in one transaction whose reads all see one snapshot of the data, and commit.

    PostgreSQL: ``REPEATABLE READ``. A transaction that updates a row another one changed after
    its snapshot is refused (SQLSTATE 40001) and is run again, from a new snapshot. SQLite:
    ``BEGIN IMMEDIATE`` already makes the transaction the only writer, so its reads agree.
    Sessions bound to a connection that is already in a transaction (the tests' savepoints) keep
    that transaction's isolation.
    """
    for attempt in range(1, attempts + 1):
        session = factory()
        try:
            bind = session.get_bind()
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            result = work(session)
            session.commit()
            return result
        except DBAPIError as exc:
            session.rollback()
            if getattr(exc.orig, "sqlstate", None) != "40001" or attempt == attempts:
                raise
            logger.info("snapshot met a concurrent update; running it again (%d)", attempt)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    raise AssertionError("unreachable")  # pragma: no cover
