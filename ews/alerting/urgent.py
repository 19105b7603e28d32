"""The fast path: a ``threat_to_defender`` report of severity 4 or 5 (new, or edited into one)
raises or escalates its ``defender_safety`` alert at once, with the thresholds of the
``defender_threats`` rule, without waiting for the next computation and evaluation.

Its evidence comes straight from the reports, so it is newer than any stored value: it acts
whatever the alert has seen, also after a same-day scheduled alert or a manual resolve. It holds
the alert until the first computation sure to count the report has committed (the next one
started after this point): values computed before it cannot lower the alert."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts import defender
from alerts.states import CategoryState, Fingerprint
from ews import counters
from ews.alerting import community, loading
from ews.alerting.alert_context import ContextBuilder
from ews.alerting.apply import Applied, apply_outcomes
from ews.alerting.cap_document import CapSource
from ews.alerting.evaluation import decide_in_store
from ews.alerting.evidence import Evidence
from ews.db import read_only_session, session_scope
from ews.intake.listeners import ForThreats
from ews.models import IndicatorRule, Report
from ews.models.base import utcnow
from ews.settings import Settings
from indicators.windows import window

logger = logging.getLogger(__name__)
ATTEMPTS = 3


def defender_rule(session: Session) -> defender.DefenderRule:
    row = session.get(IndicatorRule, defender.CODE)
    if row is None:
        return defender.DefenderRule.from_row(
            window_days=30, warning=None, high=1, critical=2, params={}
        )
    return defender.DefenderRule.from_row(
        window_days=row.window_days,
        warning=row.warning,
        high=row.high,
        critical=row.critical,
        params=row.params,
    )


def evaluate_report(
    session: Session, *, settings: Settings, report_id: str, now: datetime
) -> Applied | None:
    """Raise or escalate the defender alert of ``report_id``'s community if the report is urgent
    (flushes; the caller commits). ``None`` when the report does not take the fast path."""
    report = session.get(Report, report_id)
    if report is None:
        return None
    rule = defender_rule(session)
    # The indicator's own window (whole local days), so both paths count the same reports.
    window_start, window_end = window(now, rule.window_days)
    if not defender.is_urgent(report.threat_type, report.severity, rule) or not (
        window_start <= report.observed_at < window_end
    ):
        return None
    loading.lock_alerts(session)
    # Every computation numbered above ``started`` begins after this point, so it counts the
    # report (committed before this listener ran).
    started = counters.read(session, counters.COMPUTATIONS_STARTED)
    computation = counters.read(session, counters.COMPUTATIONS_DONE)
    rows = session.execute(
        select(Report.id, Report.severity)
        .where(
            Report.community_code == report.community_code,
            Report.threat_type.in_(rule.threat_types),
            Report.observed_at >= window_start,
            Report.observed_at < window_end,
        )
        .order_by(Report.observed_at)
    ).all()
    count, level = defender.defender_level((severity for _id, severity in rows), rule)
    fingerprint = Fingerprint(report.community_code, defender.CATEGORY)
    known = loading.category_state(session, fingerprint)
    state = CategoryState(
        fingerprint=fingerprint,
        level=level,
        revision=known.revision if known is not None else 0,
        territory_hit=False,
        codes=(defender.CODE,),
        rows=loading.evidence_rows({"report_ids": [rid for rid, _severity in rows]}),
        hold_until=started + 1,
    )
    open_rows = loading.open_alert_rows(session, fingerprints=[fingerprint])
    outcomes = decide_in_store(
        session,
        states={fingerprint: state},
        alerts=[loading.as_open_alert(row, session=session) for row in open_rows.values()],
        settings=settings,
        now=now,
        computation=computation,
    )
    evidence = Evidence(
        indicators=[
            {
                "code": defender.CODE,
                "value": float(count),
                "level": level.value,
                "baseline": None,
                "inputs": count,
                "window_start": window_start.isoformat(),
                "window_end": window_end.isoformat(),
                "source": "urgent_report",
            }
        ],
        ids={"report_ids": [rid for rid, _severity in rows]},
    )
    return apply_outcomes(
        session,
        outcomes,
        alerts=open_rows,
        evidence={fingerprint: evidence},
        regions=loading.community_regions(session, [report.community_code]),
        contacts=loading.contacts(session),
        context=ContextBuilder(session),
        cap=CapSource.of(settings),
        now=now,
    )


def evaluate_urgent_report(
    *,
    settings: Settings,
    session_factory: sessionmaker[Session],
    report_id: str,
    now: datetime | None = None,
) -> None:
    """Listener entry point: evaluate ``report_id`` in a transaction of its own and commit the
    alert event with its queued outbox rows. Retries when a concurrent evaluation raised the same
    alert first (the one-open-alert index refuses the second). ``now``: the real time unless
    given (an injected clock)."""
    # Most reports are not urgent: find out in a read (no SQLite write lock) before writing.
    with read_only_session(session_factory) as session:
        report = session.get(Report, report_id)
        urgent = report is not None and defender.is_urgent(
            report.threat_type, report.severity, defender_rule(session)
        )
    if not urgent:
        return
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with session_scope(session_factory) as session:
                moment = now or utcnow()
                evaluate_report(session, settings=settings, report_id=report_id, now=moment)
                # The community that raised it hears at once that it was received.
                community.tell_communities(session, now=moment)
            return
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            logger.info("urgent evaluation raced another writer; retrying (%d)", attempt)


def urgent_report_listener(
    *, settings: Settings, session_factory: sessionmaker[Session]
) -> ForThreats:
    """A report listener (``app.state.report_listeners``) running the fast path for each new
    report after its request committed. Only a ``threat_to_defender`` report can be urgent
    (``defender.is_urgent``, whatever the rule), so a report of another known type does not wake
    it."""

    def listener(report_id: str) -> None:
        evaluate_urgent_report(
            settings=settings, session_factory=session_factory, report_id=report_id
        )

    return ForThreats(frozenset({defender.URGENT_THREAT}), listener)
