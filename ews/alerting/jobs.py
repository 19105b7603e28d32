"""The ``evaluate-alerts`` job: latest indicator values in, alert lifecycle decisions applied."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import decide
from alerts.states import Fingerprint, category_states
from ews import counters
from ews.alerting import loading
from ews.alerting.apply import ContextBuilder, Evidence, apply_outcomes, community_regions
from ews.alerting.cap import CapSource
from ews.db import session_scope
from ews.models.base import utcnow
from ews.settings import Settings


def evaluate(session: Session, *, settings: Settings, now: datetime) -> dict[str, Any]:
    """Evaluate every community's latest indicator values against the open alerts (flushes)."""
    loading.lock_alerts(session)
    # Read before the values: values newer than this number only make the holds last longer.
    computation = counters.read(session, counters.COMPUTATIONS_DONE)
    categories = loading.categories_by_code(session)
    values = loading.latest_values(session)
    states = category_states(loading.readings(values, categories))
    open_alerts = loading.open_alert_states(session)
    outcomes = decide(
        states=states,
        alerts=open_alerts,
        silences=loading.active_silences(session, now=now),
        routing=loading.routing_rules(session),
        now=now,
        computation=computation,
        policy=loading.policy_from(settings),
        resolved=loading.resolved_marks(
            session, states=states, open_fingerprints={a.fingerprint for a in open_alerts}
        ),
    )
    rows = loading.alert_rows_by_id(
        session, [o.alert_id for o in outcomes if o.alert_id is not None]
    )
    open_rows = {o.fingerprint: rows[o.alert_id] for o in outcomes if o.alert_id is not None}
    by_fingerprint: dict[Fingerprint, list[Row[Any]]] = defaultdict(list)
    for value in values:
        if value.code in categories:
            by_fingerprint[Fingerprint(value.community_code, categories[value.code])].append(value)
    applied = apply_outcomes(
        session,
        outcomes,
        alerts=open_rows,
        evidence={
            o.fingerprint: Evidence.from_values(by_fingerprint[o.fingerprint])
            for o in outcomes
            if o.state is not None
        },
        regions=community_regions(session),
        contacts=loading.contacts(session),
        context=ContextBuilder(session),
        cap=CapSource.of(settings),
        now=now,
    )
    return {
        "as_of": now.isoformat(),
        "indicator_values": len(values),
        "open_alerts_before": len(open_alerts),
        "changed_alerts": len(outcomes),
        **applied.summary(),
    }


def evaluate_alerts(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime | None
) -> dict[str, Any]:
    """Job entry point: one transaction for the whole evaluation; answers a summary."""
    now = as_of or utcnow()
    with session_scope(session_factory) as session:
        return evaluate(session, settings=settings, now=now)
