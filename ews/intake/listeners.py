"""Report listeners: callables run with the id of each new or edited report after the request
has committed.

``create_app`` keeps them in ``app.state.report_listeners``; every path that creates a report calls
``schedule_report_listeners`` so they run as background tasks after the response, never delaying it.
A listener that only cares about some threat types is registered as ``ForThreats``: a report of
another type (when the caller knows its type) does not wake it, so it costs no database read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from fastapi import BackgroundTasks, FastAPI

from ews.models import Report

ReportListener = Callable[[str], None]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForThreats:
    """``listener``, run only for reports of ``threat_types`` (and for reports of unknown type)."""

    threat_types: frozenset[str]
    listener: ReportListener

    def __call__(self, report_id: str) -> None:
        self.listener(report_id)


def wants(listener: ReportListener, threat_type: str | None) -> bool:
    """Does ``listener`` run for a report of ``threat_type`` (``None``: not known here)?"""
    if threat_type is None or not isinstance(listener, ForThreats):
        return True
    return threat_type in listener.threat_types


def listener_calls(
    listeners: Sequence[ReportListener], reports: Iterable[Report | str]
) -> list[tuple[ReportListener, str]]:
    """Each report (a row, or only its id) with each listener that wants it, in order."""
    calls: list[tuple[ReportListener, str]] = []
    for report in reports:
        report_id, threat_type = (
            (report, None) if isinstance(report, str) else (report.id, report.threat_type)
        )
        calls += [(listener, report_id) for listener in listeners if wants(listener, threat_type)]
    return calls


def run_report_listeners(calls: Iterable[tuple[ReportListener, str]]) -> None:
    """Run each listener with its report id; one failing listener does not stop the others."""
    for listener, report_id in calls:
        try:
            listener(report_id)
        except Exception:
            logger.exception("report listener %r failed for a report", listener)


def schedule_report_listeners(
    background: BackgroundTasks, app: FastAPI, reports: Iterable[Report | str]
) -> None:
    """Queue the app's listeners for ``reports``, new or edited: the rows, or their ids when the
    caller has no row (then every listener runs). No-op when no listener wants any of them."""
    listeners: list[ReportListener] = list(getattr(app.state, "report_listeners", []))
    calls = listener_calls(listeners, reports)
    if calls:
        background.add_task(run_report_listeners, calls)
