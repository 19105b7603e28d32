"""``ews run-job NAME [--as-of]`` and ``ews scheduler``."""

from __future__ import annotations

import json
import signal
from datetime import datetime
from types import FrameType
from typing import Annotated

import typer

from ews.cli.base import check_database, console, load_settings
from ews.db import build_engine, build_session_factory
from ews.jobs import UnknownJobError, job_names, run_job
from ews.jobs.scheduler import build_scheduler
from ews.logs import configure_logging
from ews.models.base import utcnow


def parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            "use ISO 8601 con zona horaria, p. ej. 2026-11-26T08:00:00-05:00 / "
            "use ISO 8601 with an offset"
        ) from exc
    if moment.tzinfo is None:
        raise typer.BadParameter("falta la zona horaria, p. ej. -05:00 / the offset is missing")
    return moment


def run_job_command(
    name: Annotated[str, typer.Argument(help="compute-indicators, evaluate-alerts, ..., pipeline")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Momento de cálculo ISO 8601 / moment to compute for"),
    ] = None,
) -> None:
    """Ejecuta un trabajo ahora / run a job now (recorded in job_run)."""
    settings = load_settings()
    configure_logging(settings)
    moment = parse_as_of(as_of)
    engine = build_engine(settings)
    try:
        outcome = run_job(
            name,
            settings=settings,
            session_factory=build_session_factory(engine),
            tick=utcnow(),
            as_of=moment,
        )
    except UnknownJobError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    print(
        json.dumps(
            {
                "job": name,
                "status": outcome.status,
                "as_of": outcome.as_of.isoformat(),
                "summary": outcome.summary,
                "error": outcome.error,
            },
            ensure_ascii=False,
            default=str,
        )
    )
    if outcome.status != "succeeded":
        raise typer.Exit(1)


def scheduler_command() -> None:
    """Ejecuta el planificador solo (su propio proceso) / run the scheduler alone."""
    settings = load_settings()
    configure_logging(settings)
    check_database(settings)
    engine = build_engine(settings)
    scheduler = build_scheduler(settings, build_session_factory(engine), blocking=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    console.print(f"Planificador en marcha / scheduler running: {', '.join(job_names())}")
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.command("run-job")(run_job_command)
    app.command("scheduler")(scheduler_command)
