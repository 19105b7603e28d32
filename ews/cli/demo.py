"""``ews demo``: load the synthetic demonstration data and compute its indicator series."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from ews.alerting.evaluation import evaluate
from ews.cli.base import console, load_settings, open_session
from ews.demo import DemoSizes, existing_anchor, generate, load_demo
from ews.demo.responses import add_demo_responses
from ews.jobs.compute import compute_full
from ews.logs import configure_logging
from ews.models.base import utcnow
from indicators import LIMA
from indicators.days import day_number


def demo(
    communities: Annotated[
        int, typer.Option(help="Comunidades sintéticas / synthetic communities")
    ] = 12,
    reports: Annotated[int, typer.Option(help="Reportes / patrol reports")] = 1_500,
    hotspots: Annotated[int, typer.Option(help="Focos FIRMS / FIRMS hotspots")] = 20_000,
    alerts: Annotated[int, typer.Option(help="Alertas GFW / GFW alerts")] = 12_000,
    series_days: Annotated[
        int, typer.Option(help="Días de series a calcular / days of indicator series to compute")
    ] = 60,
) -> None:
    """Carga datos sintéticos de demostración (idempotente) y calcula sus indicadores.
    / Load synthetic demonstration data (idempotent) and compute its indicators."""
    settings = load_settings()
    configure_logging(settings)
    now = utcnow()
    sizes = DemoSizes(communities=communities, reports=reports, hotspots=hotspots, alerts=alerts)
    with open_session(settings) as session:
        # The demo's last day of data is yesterday (Lima), or the day of the demo already loaded.
        anchor = existing_anchor(session) or now.astimezone(LIMA).date() - timedelta(days=1)
        added = load_demo(session, generate(anchor, sizes), now=now)
        today = day_number(now)
        days = list(range(today - series_days + 1, today + 1))
        counts = compute_full(session, days=days, as_of=now, computed_at=now)
        # The alerts the scheduler would raise now, and the institutions' responses on a few.
        evaluate(session, settings=settings, now=now)
        added["actions"] = add_demo_responses(session, now=now)
    console.print(
        "Datos sintéticos / synthetic data (anchor "
        f"{anchor.isoformat()}): añadidos / added {added}; indicadores / indicators "
        f"{ {k: counts[k] for k in ('inserted', 'updated', 'unchanged', 'days')} }"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
