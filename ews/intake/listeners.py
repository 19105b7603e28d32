"""Report listeners: callables run with the id of each new or edited report after the request
has committed.

``create_app`` keeps them in ``app.state.report_listeners``; every path that creates a report calls
``schedule_report_listeners`` so they run as background tasks after the response, never delaying it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from fastapi import BackgroundTasks, FastAPI

ReportListener = Callable[[str], None]
logger = logging.getLogger(__name__)


def run_report_listeners(listeners: Iterable[ReportListener], report_ids: list[str]) -> None:
    """Run every listener for every id; one failing listener does not stop the others."""
    for report_id in report_ids:
        for listener in listeners:
            try:
                listener(report_id)
            except Exception:
                logger.exception("report listener %r failed for a report", listener)


def schedule_report_listeners(
    background: BackgroundTasks, app: FastAPI, report_ids: list[str]
) -> None:
    """Queue the app's listeners for ``report_ids`` (no-op when there is nothing new)."""
    listeners: list[ReportListener] = list(getattr(app.state, "report_listeners", []))
    if report_ids and listeners:
        background.add_task(run_report_listeners, listeners, list(report_ids))
