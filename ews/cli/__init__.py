"""The ``ews`` command line: one typer app, one module per group of commands."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from ews.cli import communities, delivery, demo, encryption, ingest, jobs, keys, service
from ews.cli.base import DATABASE_ERRORS, app, console, database_problem
from ews.settings import Settings

app.add_typer(keys.app, name="keys")
app.add_typer(encryption.app, name="encryption")
app.add_typer(communities.app, name="communities")
service.register(app)
ingest.register(app)
delivery.register(app)
jobs.register(app)
demo.register(app)


def main() -> None:
    """The ``ews`` command: a database that cannot be reached ends it with one line, not a
    traceback."""
    try:
        app()
    except DATABASE_ERRORS as exc:
        line = database_problem(_database_url(), exc)
        if line is None:
            raise
        console.print(f"[red]{line}[/red]", soft_wrap=True)
        sys.exit(1)


def _database_url() -> str:
    try:
        return Settings().database_url
    except ValidationError:
        return "EWS_DATABASE_URL"


__all__ = ["app", "main"]
