"""The root typer app and what every command shares: settings, engine, console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ews.db import build_engine, build_session_factory, session_scope
from ews.settings import Settings

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
