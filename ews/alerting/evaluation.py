"""Alert evaluation: latest indicator values in, alert lifecycle decisions applied (the
``evaluate-alerts`` job calls it, ews.jobs.entry_points)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alerts.lifecycle import decide
from alerts.states import CategoryState, Decision, Fingerprint, OpenAlert
from ews import counters
from ews.alerting import loading
from ews.alerting.actions import remind_overdue_actions
from ews.alerting.alert_context import ContextBuilder
from ews.alerting.apply import Applied, apply_outcomes
from ews.alerting.cap_document import CapSource
from ews.alerting.evidence import Evidence
from ews.settings import Settings


def decide_in_store(
    session: Session,
    *,
    states: Mapping[Fingerprint, CategoryState],
    alerts: Sequence[OpenAlert],
    settings: Settings,
    now: datetime,
    computation: int,
) -> list[Decision]:
    """The core's decisions for ``states`` against the open ``alerts``, with the store's silences,
    routing, policy and resolved marks (``computation``: the last committed computation)."""
    return decide(
        states=states,
        alerts=alerts,
        silences=loading.active_silences(session, now=now),
        routing=loading.routing_rules(session),
        now=now,
        computation=computation,
        policy=loading.policy_from(settings),
        resolved=loading.resolved_marks(
            session, states=states, open_fingerprints={a.fingerprint for a in alerts}
        ),
    )


def evaluate(session: Session, *, settings: Settings, now: datetime) -> dict[str, Any]:
    """Evaluate every community's latest indicator values against the open alerts (flushes)."""
    loading.lock_alerts(session)
    # Read before the values: values newer than this number only make the holds last longer.
    computation = counters.read(session, counters.COMPUTATIONS_DONE)
    categories = loading.categories_by_code(session)
    heads = loading.latest_value_heads(session)
    open_alerts = loading.open_alert_states(session)
    states = loading.states_that_matter(
        heads, categories, alerts=open_alerts, computation=computation
    )
    outcomes = decide_in_store(
        session,
        states=states,
        alerts=open_alerts,
        settings=settings,
        now=now,
        computation=computation,
    )
    rows = loading.alert_columns_by_id(
        session, [o.alert_id for o in outcomes if o.alert_id is not None]
    )
    open_rows = {o.fingerprint: rows[o.alert_id] for o in outcomes if o.alert_id is not None}
    # The full rows of the values behind new evidence only.
    values = loading.values_of(
        session, heads, categories, {o.fingerprint for o in outcomes if o.state is not None}
    )
    # A steady evaluation changes nothing: no routing, contacts or context to read then.
    applied = Applied()
    if outcomes:
        applied = apply_outcomes(
            session,
            outcomes,
            alerts=open_rows,
            evidence={
                fingerprint: Evidence.from_values(of_fingerprint)
                for fingerprint, of_fingerprint in values.items()
            },
            regions=loading.community_regions(session),
            contacts=loading.contacts(session),
            context=ContextBuilder(session),
            cap=CapSource.of(settings),
            now=now,
        )
    # Overdue actions (DESIGN section 12), reminded to their institution once per local day.
    overdue = remind_overdue_actions(session, now=now)
    return {
        "as_of": now.isoformat(),
        "indicator_values": len(heads),
        "open_alerts_before": len(open_alerts),
        "changed_alerts": len(outcomes),
        **applied.summary(),
        "overdue_actions_reminded": overdue,
    }
