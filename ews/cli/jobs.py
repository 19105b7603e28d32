"""``ews run-job NAME [--as-of]`` and ``ews scheduler``."""

from __future__ import annotations

import json
import signal
from datetime import datetime
from types import FrameType
from typing import Annotated, Any

import typer

from ews.cli.base import check_database, console, load_settings
from ews.db import build_engine, build_session_factory
from ews.jobs import JobOutcome, UnknownJobError, job_names, run_job
from ews.jobs.scheduler import build_scheduler
from ews.logs import configure_logging
from ews.models import JobStatus
from ews.models.base import utcnow
from indicators import LIMA


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
    for line in describe_outcome(outcome):
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    if outcome.status != JobStatus.succeeded:
        raise typer.Exit(1)


def describe_outcome(outcome: JobOutcome) -> list[str]:
    """What a run did, in words (Spanish, then English), one line per job of the run."""
    when = outcome.as_of.astimezone(LIMA).strftime("%d/%m/%Y %H:%M")
    if outcome.status == JobStatus.skipped:
        return [
            f"{outcome.job}: otro proceso ya ejecutó este momento; no se hizo nada. / another "
            f"process already ran this tick; nothing done."
        ]
    if outcome.status != JobStatus.succeeded:
        return [f"{outcome.job}: falló / failed: {outcome.error}"]
    parts = outcome.summary if outcome.job == "pipeline" else {outcome.job: outcome.summary}
    return [
        f"{job} ({when} hora de Lima / Lima time): {_in_words(job, summary)}"
        for job, summary in parts.items()
        if isinstance(summary, dict)
    ]


def _in_words(job: str, summary: dict[str, Any]) -> str:
    if job == "compute-indicators":
        inserted, updated = summary.get("inserted", 0), summary.get("updated", 0)
        unchanged = summary.get("unchanged", 0)
        line = (
            f"{inserted} valores nuevos, {updated} actualizados, {unchanged} sin cambios / "
            f"{inserted} new values, {updated} updated, {unchanged} unchanged"
        )
        if not inserted and not updated:
            line += (
                ". Nada cambió: ningún dato nuevo ni distinto para ese momento desde la última "
                "ejecución. / Nothing changed: no new or different data for that moment since the "
                "last run."
            )
        return line
    if job == "evaluate-alerts":
        events = summary.get("events") or {}
        happened = ", ".join(f"{kind} {count}" for kind, count in sorted(events.items())) or "-"
        return (
            f"{summary.get('changed_alerts', 0)} alertas cambiaron (eventos: {happened}), "
            f"{summary.get('messages', 0)} mensajes en cola / alerts changed, messages queued"
        )
    if job == "deliver-notifications":
        return (
            f"{summary.get('sent', 0)} enviados, {summary.get('retried', 0)} por reintentar, "
            f"{summary.get('dead', 0)} muertos / sent, to retry, dead"
        )
    if job == "send-digests":
        said = summary.get("institutions") or {}
        queued = sorted(code for code, status in said.items() if status == "queued")
        already = sorted(code for code, status in said.items() if status == "already")
        return (
            f"resumen del día {summary.get('day', '?')}: {summary.get('queued', 0)} correos en cola "
            f"para {', '.join(queued) or 'ninguna institución'}; ya enviado hoy: "
            f"{', '.join(already) or '-'}; las demás no tenían nada abierto / daily digest: "
            f"mails queued, already sent today, the others had nothing open"
        )
    return ", ".join(
        f"{key} {value}" for key, value in summary.items() if not isinstance(value, dict)
    )


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
