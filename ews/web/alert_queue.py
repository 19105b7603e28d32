"""The alert queue as the dashboard shows it, read through the alerts service (``ews.alerting``).

Unresolved alerts are few (one per community and category), so they are all read and ordered the
way a person works through them: by level, critical first, then by age, oldest first. Resolved
history pages by the service's cursor, newest first.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ews.alerting.service import visible_alerts
from ews.auth.keys import Principal
from ews.models import Alert
from indicators.levels import Level

QUEUE_STATUSES = ("active", "open", "acknowledged", "resolved", "all")
# Most urgent first: critical 0, high 1, warning 2 (anything else after them).
LEVEL_ORDER = {level.value: Level.critical.rank - level.rank for level in Level if level.rank > 0}
PAGE = 100


def _all(
    session: Session, *, principal: Principal, status: str, **filters: str | None
) -> list[Alert]:
    alerts: list[Alert] = []
    cursor: str | None = None
    while True:
        page, cursor = visible_alerts(
            session, principal=principal, status=status, limit=1000, cursor=cursor, **filters
        )
        alerts.extend(page)
        if cursor is None:
            return alerts


def queue(
    session: Session,
    *,
    principal: Principal,
    status: str = "active",
    community: str | None = None,
    category: str | None = None,
    level: str | None = None,
    institution: str | None = None,
    cursor: str | None = None,
) -> tuple[list[Alert], str | None]:
    """The alerts this principal may see with these filters, and the cursor of the next page.

    ``active`` means open or acknowledged. An institution sees only alerts routed to it.
    """
    filters = {
        "community": community,
        "category": category,
        "level": level,
        "institution": institution,
    }
    if status in ("active", "open", "acknowledged"):
        wanted = ("open", "acknowledged") if status == "active" else (status,)
        alerts = [
            a for s in wanted for a in _all(session, principal=principal, status=s, **filters)
        ]
        alerts.sort(key=lambda a: (LEVEL_ORDER.get(a.level, 3), a.opened_at, a.id))
        return alerts, None
    return visible_alerts(
        session,
        principal=principal,
        status=None if status == "all" else "resolved",
        limit=PAGE,
        cursor=cursor,
        **filters,
    )


def highest_levels(alerts: list[Alert]) -> dict[str, tuple[str, int]]:
    """Per community: the highest level among ``alerts`` and how many there are."""
    levels: dict[str, tuple[str, int]] = {}
    for alert in alerts:
        level, count = levels.get(alert.community_code, ("none", 0))
        if LEVEL_ORDER.get(alert.level, 3) < LEVEL_ORDER.get(level, 3):
            level = alert.level
        levels[alert.community_code] = (level, count + 1)
    return levels
