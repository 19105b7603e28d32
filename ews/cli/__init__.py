"""The ``ews`` command line: one typer app, one module per group of commands."""

from __future__ import annotations

from ews.cli import delivery, demo, encryption, ingest, jobs, keys, service
from ews.cli.base import app

app.add_typer(keys.app, name="keys")
app.add_typer(encryption.app, name="encryption")
service.register(app)
ingest.register(app)
delivery.register(app)
jobs.register(app)
demo.register(app)

__all__ = ["app"]
