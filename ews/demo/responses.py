"""Institutions' responses on the demo's alerts (DESIGN section 12), so the alert pages show who
knows, who acted and what is overdue: on the synthetic communities' open alerts, the first routed
institution acknowledges and records an action in progress, another records one already overdue, and
a fire or deforestation alert gets a finished joint patrol. Idempotent: nothing is added once the
demo's responses exist."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.alerting.actions import catalog, lima_day, record_action
from ews.alerting.service import acknowledge_alert
from ews.auth.keys import Principal, Role
from ews.models import Alert, AlertAction, AlertStatus, Community

DEMO_SUFFIX = "(demo)"


def _office(code: str) -> Principal:
    return Principal(
        key_id=0, name=f"{code} {DEMO_SUFFIX}", role=Role.institution, institution_code=code
    )


def add_demo_responses(session: Session, *, now: datetime) -> int:
    """Acknowledgements and actions of the routed institutions on a few open alerts of the
    synthetic communities; answers how many actions were recorded (0 when already there)."""
    done = session.execute(
        select(func.count()).select_from(AlertAction).where(AlertAction.actor.endswith(DEMO_SUFFIX))
    ).scalar_one()
    if done:
        return 0
    alerts = list(
        session.execute(
            select(Alert)
            .join(Community, Community.code == Alert.community_code)
            .where(Community.synthetic.is_(True), Alert.status != AlertStatus.resolved)
            .order_by(Alert.id)
        ).scalars()
    )
    today = lima_day(now)
    recorded = 0
    for alert in alerts[:6]:
        routed = [code for code in alert.routed_to if catalog(session, code)]
        if not routed:
            continue
        first = routed[0]
        acknowledge_alert(
            session,
            principal=_office(first),
            alert_id=alert.id,
            note="Recibido; coordinamos con la dirigencia de la comunidad.",
            now=now,
        )
        plan = [(first, 0, "in_progress", today + timedelta(days=5))]
        if len(routed) > 1:
            plan.append((routed[1], 0, "planned", today - timedelta(days=2)))  # overdue
        if first == "MINAM":
            plan.append((first, 0, "done", today - timedelta(days=1)))
        for code, index, status, due in plan:
            action_type = catalog(session, code)[index]
            record_action(
                session,
                principal=_office(code),
                alert_id=alert.id,
                type_=action_type.code,
                status=status,
                due=due,
                note=f"{action_type.label_es} (datos de demostración).",
                reason=None,
                now=now,
            )
            recorded += 1
    return recorded
