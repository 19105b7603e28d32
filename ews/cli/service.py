"""``ews init`` and ``ews serve``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from ews import migrate
from ews.api.app import BackgroundStarter, create_app
from ews.cli.base import check_database, console, load_settings, open_session
from ews.db import build_engine
from ews.delivery.channels import mail_destination
from ews.delivery.worker import embedded_worker
from ews.jobs.scheduler import build_scheduler
from ews.logs import configure_logging
from ews.reference.loader import FixtureError, load_reference_data
from ews.settings import Settings


def init() -> None:
    """Migra la base de datos y carga los datos de referencia (idempotente).
    / Migrate the database and load the reference data (idempotent)."""
    settings = load_settings()
    configure_logging(settings)
    engine = build_engine(settings)
    migrate.upgrade(engine)
    try:
        with open_session(settings, engine) as session:
            report = load_reference_data(session, settings.fixtures_dir)
    except FixtureError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f"Base de datos lista / database ready. Insertadas / inserted: "
        f"{sum(report.inserted.values())}, actualizadas / updated: {sum(report.updated.values())}, "
        f"retiradas / removed: {sum(report.removed.values())}, sin cambios / unchanged: "
        f"{sum(report.unchanged.values())}, contactos gestionados por la API, sin tocar / contacts "
        f"managed through the API, left alone: {sum(report.kept.values())}."
    )


def serve(
    host: Annotated[str, typer.Option(help="Dirección / address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto / port")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Procesos de la API (PostgreSQL) / API processes (PostgreSQL)")
    ] = 1,
) -> None:
    """Sirve la API y las páginas (y, en el modo embebido, el planificador y el repartidor).
    / Serve the API and pages (and, embedded, the scheduler and the delivery worker)."""
    settings = load_settings().served_at(host, port)
    configure_logging(settings)
    if workers > 1 and settings.is_sqlite:
        console.print(
            "[red]Varios procesos requieren PostgreSQL / several workers need PostgreSQL[/red]"
        )
        raise typer.Exit(2)
    check_database(settings)
    console.print(f"Enlaces / links: {settings.base_url}", soft_wrap=True)
    console.print(mail_destination(settings), soft_wrap=True)
    if workers > 1:
        # Each worker process reads its settings from the environment: hand it the links' address.
        os.environ["EWS_BASE_URL"] = settings.base_url
        uvicorn.run(
            "ews.api.asgi:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
        )
        return
    app = create_app(settings, background=embedded_background(settings))
    uvicorn.run(app, host=host, port=port, log_config=None)


def embedded_background(settings: Settings) -> list[BackgroundStarter]:
    """The scheduler and worker that run inside ``ews serve`` in the embedded default."""
    starters: list[BackgroundStarter] = []
    if settings.embedded_worker:
        starters.append(embedded_worker(settings))
    if settings.embedded_scheduler:
        starters.append(_start_scheduler)
    return starters


def _start_scheduler(app: FastAPI) -> Callable[[], None]:
    scheduler = build_scheduler(app.state.settings, app.state.session_factory)
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)

    return stop


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
