"""The root typer app and what every command shares: settings, engine, console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from ews.db import build_engine, build_session_factory, normalize_url, session_scope
from ews.settings import Settings

# What a database that cannot be reached, opened or read raises, whichever command met it.
DATABASE_ERRORS = (OperationalError, InterfaceError, ProgrammingError)
# How SQLite and PostgreSQL say a table is missing: the database was never initialized.
MISSING_TABLE = ("no such table", "does not exist")
REASON_MAX_CHARS = 240
PROBE_CONNECT_TIMEOUT_S = 10

app = typer.Typer(
    name="ews",
    help=(
        "EWS: alerta temprana para comunidades nativas de la Amazonía peruana / early warning for "
        "native communities of the Peruvian Amazon. Settings come from EWS_* variables."
    ),
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]Configuración inválida / invalid settings:[/red] {error['msg']}")
        raise typer.Exit(2) from exc


@contextmanager
def open_session(settings: Settings, engine: Engine | None = None) -> Iterator[Session]:
    engine = engine or build_engine(settings)
    try:
        with session_scope(build_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def shown_url(database_url: str) -> str:
    """The database URL as it may be printed: no password."""
    try:
        return make_url(normalize_url(database_url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "EWS_DATABASE_URL"


def not_initialized(where: str) -> str:
    return (
        f"La base de datos {where} no está inicializada: ejecute `ews init` primero. / The "
        f"database is not initialized: run `ews init` first."
    )


def database_problem(database_url: str, exc: Exception) -> str | None:
    """One line, Spanish then English, for a database that cannot be reached, opened or is not
    initialized; ``None`` for any other error (a bug, to be seen whole)."""
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:REASON_MAX_CHARS]
    where = shown_url(database_url)
    if any(words in reason for words in MISSING_TABLE):
        return not_initialized(where)
    if isinstance(exc, ProgrammingError):
        return None
    return (
        f"No se puede usar la base de datos {where} ({reason}); revise EWS_DATABASE_URL y que el "
        f"servidor esté en marcha. / Cannot use the database {where}: check EWS_DATABASE_URL and "
        f"that the server is running."
    )


def check_database(settings: Settings) -> None:
    """Before a long-running command starts: the database answers and has been initialized, or the
    command stops with one line saying what to do (never a traceback from a thread later)."""
    extra = (
        {} if settings.is_sqlite else {"connect_args": {"connect_timeout": PROBE_CONNECT_TIMEOUT_S}}
    )
    engine = build_engine(settings, **extra)
    try:
        with engine.connect() as connection:
            initialized = inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()
    if not initialized:
        console.print(
            f"[red]{not_initialized(shown_url(settings.database_url))}[/red]", soft_wrap=True
        )
        raise typer.Exit(2)
