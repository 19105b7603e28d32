"""``ews worker`` (the delivery worker as its own process) and ``ews webhook-secret``."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from sqlalchemy import select

from ews.cli.base import check_database, console, load_settings, open_session
from ews.db import build_engine, build_session_factory
from ews.delivery.channels import mail_destination, webhook_secret
from ews.delivery.worker import run_worker
from ews.jobs.entry_points import deliver_notifications
from ews.logs import configure_logging
from ews.models import Contact


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Una pasada y salir / one pass, then exit")
    ] = False,
) -> None:
    """Reparte las notificaciones pendientes (correo, webhook, SMS) hasta recibir SIGTERM.
    / Deliver queued notifications (e-mail, webhook, SMS) until SIGTERM."""
    settings = load_settings()
    configure_logging(settings)
    check_database(settings)
    console.print(mail_destination(settings), soft_wrap=True)
    engine = build_engine(settings)
    factory = build_session_factory(engine)
    try:
        if once:
            summary = deliver_notifications(settings=settings, session_factory=factory)
            console.print(f"Reparto / delivery: {summary}")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_args: stop.set())
        run_worker(settings=settings, session_factory=factory, stop=stop)
    finally:
        engine.dispose()


def show_webhook_secret(
    contact: Annotated[str, typer.Argument(help="Código del contacto / contact code")],
) -> None:
    """Muestra el secreto con que un receptor de webhooks verifica las firmas (última línea).
    / Print the secret a webhook receiver verifies signatures with (last line)."""
    settings = load_settings()
    with open_session(settings) as session:
        row = session.scalar(select(Contact).where(Contact.code == contact))
    if row is None:
        console.print(f"[red]Contacto desconocido / unknown contact: {contact}[/red]")
        raise typer.Exit(2)
    if row.channel != "webhook":
        console.print(f"[yellow]{contact} no es un webhook / is not a webhook ({row.channel})[/]")
    console.print(
        "Standard Webhooks: webhook-signature = v1,base64(HMAC-SHA256(id.timestamp.body))"
    )
    print(webhook_secret(settings, row.code))


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("webhook-secret")(show_webhook_secret)
