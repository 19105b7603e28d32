"""The alert queue as the dashboard reads it: what this principal may see, most urgent first."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from ews.auth.keys import Principal, Role
from ews.models import Alert

QUEUE_STATUSES = ("active", "open", "acknowledged", "resolved", "all")


class AlertNotVisible(LookupError):
    """No such alert, or not one this principal may see."""


def _visible(alert: Alert, principal: Principal) -> bool:
    if principal.role is Role.institution:
        return principal.institution_code in (alert.routed_to or [])
    return principal.role in (Role.analyst, Role.admin)


def queue(
    session: Session,
    *,
    principal: Principal,
    status: str = "active",
    community: str | None = None,
    category: str | None = None,
    level: str | None = None,
    institution: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Alert], bool]:
    """Alerts by level (critical first) then age (oldest first); an institution sees only its own."""
    rank = case((Alert.level == "critical", 0), (Alert.level == "high", 1), else_=2)
    query = select(Alert).order_by(rank, Alert.opened_at, Alert.id)
    if status == "active":
        query = query.where(Alert.status != "resolved")
    elif status != "all":
        query = query.where(Alert.status == status)
    if community:
        query = query.where(Alert.community_code == community)
    if category:
        query = query.where(Alert.category == category)
    if level:
        query = query.where(Alert.level == level)
    alerts = [
        alert
        for alert in session.execute(query).scalars()
        if _visible(alert, principal)
        and (not institution or institution in (alert.routed_to or []))
    ]
    page = alerts[offset : offset + limit]
    return page, len(alerts) > offset + limit


def visible_alert(session: Session, *, principal: Principal, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or not _visible(alert, principal):
        raise AlertNotVisible(alert_id)
    return alert
