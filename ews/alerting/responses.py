"""Per-institution responses to alerts (DESIGN section 12): the ``alert_response`` marks an
evaluation leaves (first notified, reminded, escalated to national level, a rise that asks every
institution for a new acknowledgement), written in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from alerts.states import Decision, EventKind
from ews.models import AlertResponse

CHUNK = 900  # alert ids per IN (...): within both engines' parameter limits


def _existing(session: Session, alert_ids: Sequence[int]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for start in range(0, len(alert_ids), CHUNK):
        query = select(AlertResponse.alert_id, AlertResponse.institution_code).where(
            AlertResponse.alert_id.in_(alert_ids[start : start + CHUNK])
        )
        found |= {(row.alert_id, row.institution_code) for row in session.execute(query)}
    return found


def set_marks(
    session: Session,
    pairs: Iterable[tuple[int, str]],
    values: dict[str, Any],
    *,
    only_unset: str | None = None,
) -> None:
    """Set ``values`` on the response of every (alert id, institution code) of ``pairs``, making
    the rows that do not exist yet; ``only_unset`` names a column a row keeps once it is set."""
    wanted = set(pairs)
    if not wanted:
        return
    existing = _existing(session, sorted({alert_id for alert_id, _code in wanted})) & wanted
    missing = sorted(wanted - existing)
    if missing:
        session.execute(
            insert(cast(Table, AlertResponse.__table__)),
            [{"alert_id": a, "institution_code": c, **values} for a, c in missing],
        )
    if not values:
        return
    by_institution: dict[str, list[int]] = {}
    for alert_id, code in sorted(existing):
        by_institution.setdefault(code, []).append(alert_id)
    for code, ids in by_institution.items():  # a handful of institutions: few statements
        for start in range(0, len(ids), CHUNK):
            statement = (
                update(AlertResponse)
                .where(
                    AlertResponse.institution_code == code,
                    AlertResponse.alert_id.in_(ids[start : start + CHUNK]),
                )
                .values(**values)
            )
            if only_unset is not None:
                statement = statement.where(getattr(AlertResponse, only_unset).is_(None))
            session.execute(statement)


def record_marks(
    session: Session,
    outcomes: Sequence[Decision],
    alert_ids: Sequence[int],
    *,
    notified: Iterable[tuple[int, str]],
    now: datetime,
) -> None:
    """Leave what ``outcomes`` did in the responses: ``notified_at`` on each institution's first
    queued notification (``notified``: the (alert id, institution) of every queued message), the
    reminder and national-escalation marks on the institutions the events were for, and a rise
    (``escalated``) clears every institution's acknowledgement (a new one is needed)."""
    risen = [
        alert_id
        for outcome, alert_id in zip(outcomes, alert_ids, strict=True)
        if any(event.kind is EventKind.escalated for event in outcome.events)
    ]
    for start in range(0, len(risen), CHUNK):
        session.execute(
            update(AlertResponse)
            .where(AlertResponse.alert_id.in_(risen[start : start + CHUNK]))
            .values(acknowledged_at=None, acknowledged_by=None, note=None)
        )
    set_marks(session, notified, {"notified_at": now}, only_unset="notified_at")
    reminded: list[tuple[int, str]] = []
    escalated: list[tuple[int, str]] = []
    for outcome, alert_id in zip(outcomes, alert_ids, strict=True):
        for event in outcome.events:
            if not event.notifies:
                continue
            if event.kind is EventKind.reminded:
                reminded += [(alert_id, code) for code in event.institutions]
            elif event.kind is EventKind.escalated_national:
                targets = event.institutions or outcome.national
                escalated += [(alert_id, code) for code in targets]
    set_marks(session, reminded, {"last_reminded_at": now})
    set_marks(session, escalated, {"national_escalated_at": now})
