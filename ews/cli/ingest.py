"""``ews ingest firms|gfw FILE``: load a feed file with a progress bar, print the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ews.cli.base import console, load_settings, open_session
from ews.intake.feeds import FeedError, FeedSource, ingest_feed


def ingest(
    source: Annotated[FeedSource, typer.Argument(help="firms | gfw")],
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="archivo CSV / CSV file"),
    ],
) -> None:
    """Carga un archivo FIRMS o GFW / load a FIRMS or GFW file (JSON summary on stdout)."""
    settings = load_settings()
    total = file.stat().st_size
    with (
        file.open("rb") as handle,
        Progress(
            TextColumn(f"[bold]{file.name}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("ingest", total=total)
        try:
            with open_session(settings) as session:
                summary = ingest_feed(
                    session=session,
                    source=source,
                    stream=handle,
                    origin=str(file.resolve()),
                    max_bytes=settings.max_csv_bytes,
                    progress=lambda: progress.update(task, completed=handle.tell()),
                )
        except FeedError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from exc
        progress.update(task, completed=total)
    console.print(
        f"Filas / rows: {summary.rows}, insertadas / inserted: {summary.inserted}, duplicadas / "
        f"duplicates: {summary.duplicates}, rechazadas / rejected: {summary.rejected_total}"
    )
    typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
