"""Read the store into the core's types: routing rows, contacts, latest indicator values, open
alerts, silences, and the policy from settings."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, and_, func, select, text
from sqlalchemy.orm import Session

from alerts.levels import Level
from alerts.lifecycle import Fingerprint, OpenAlert, Policy, Reading, SilenceRule
from alerts.routing import ContactInfo, RoutingRule
from ews.models import Alert, Contact, IndicatorRule, IndicatorValue, Silence
from ews.models import RoutingRule as RoutingRuleRow
from ews.settings import Settings

# One evaluation at a time on PostgreSQL (SQLite already has one writer: BEGIN IMMEDIATE).
ALERT_LOCK_KEY = 0x45575341  # "EWSA"


def lock_alerts(session: Session) -> None:
    """Serialize alert writers (the scheduled evaluation, the fast path, manual resolutions)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALERT_LOCK_KEY})


def policy_from(settings: Settings) -> Policy:
    return Policy(
        reminder_interval=timedelta(hours=settings.reminder_interval_hours),
        national_after=timedelta(hours=settings.national_escalation_after_hours),
        auto_resolve_after=settings.auto_resolve_after_evaluations,
    )


def routing_rules(session: Session) -> list[RoutingRule]:
    rows = session.execute(select(RoutingRuleRow).order_by(RoutingRuleRow.id)).scalars()
    return [RoutingRule(r.category, r.institution_code, r.role, r.condition) for r in rows]


def contacts(session: Session) -> list[ContactInfo]:
    rows = session.execute(select(Contact).where(Contact.active).order_by(Contact.id)).scalars()
    return [
        ContactInfo(
            id=c.id,
            institution_code=c.institution_code,
            channel=c.channel,
            scope=c.scope,
            region_ubigeo=c.region_ubigeo,
            min_level=c.min_level,
            active=c.active,
        )
        for c in rows
    ]


def categories_by_code(session: Session) -> dict[str, str]:
    rows = session.execute(select(IndicatorRule.code, IndicatorRule.category))
    return {code: category for code, category in rows}


def latest_values(
    session: Session, *, community_codes: Collection[str] | None = None
) -> list[Row[Any]]:
    """The latest value per (community, code): the row with the greatest ``window_end``
    (plain rows with the ``indicator_value`` columns as attributes: read-only, no ORM cost)."""
    newest = select(
        IndicatorValue.community_code,
        IndicatorValue.code,
        func.max(IndicatorValue.window_end).label("window_end"),
    ).group_by(IndicatorValue.community_code, IndicatorValue.code)
    if community_codes is not None:
        newest = newest.where(IndicatorValue.community_code.in_(list(community_codes)))
    latest = newest.subquery()
    table = cast(Table, IndicatorValue.__table__)
    query = select(*table.columns).join(
        latest,
        and_(
            IndicatorValue.community_code == latest.c.community_code,
            IndicatorValue.code == latest.c.code,
            IndicatorValue.window_end == latest.c.window_end,
        ),
    )
    return list(session.execute(query).all())


def core_value(details: dict[str, Any] | None) -> float | None:
    value = (details or {}).get("core_value")
    return float(value) if isinstance(value, int | float) else None


def readings(values: Sequence[Row[Any]], categories: dict[str, str]) -> list[Reading]:
    return [
        Reading(
            code=v.code,
            community_code=v.community_code,
            category=categories[v.code],
            level=Level(v.level),
            window_end=v.window_end,
            core_value=core_value(v.details),
        )
        for v in values
        if v.code in categories and v.level in Level.__members__
    ]


def fingerprint_of(alert: Alert) -> Fingerprint:
    return Fingerprint(alert.community_code, alert.category)


def fingerprint_key(community_code: str, category: str) -> str:
    return Fingerprint(community_code, category).key


def open_alert_rows(
    session: Session, *, fingerprints: Collection[Fingerprint] | None = None
) -> dict[Fingerprint, Alert]:
    query = select(Alert).where(Alert.status != "resolved")
    if fingerprints is not None:
        query = query.where(Alert.fingerprint.in_([fp.key for fp in fingerprints]))
    return {fingerprint_of(a): a for a in session.execute(query).scalars()}


def open_alert_states(session: Session) -> list[OpenAlert]:
    """Every alert that is not resolved, as the lifecycle sees it, read without ORM objects
    (a steady evaluation changes few of them; only those are loaded as rows)."""
    query = select(
        Alert.id,
        Alert.community_code,
        Alert.category,
        Alert.level,
        Alert.status,
        Alert.opened_at,
        Alert.level_since,
        Alert.last_notified_at,
        Alert.national_escalated_at,
        Alert.below_warning_count,
        Alert.evaluated_through,
        Alert.routed_to,
        Alert.evidence["territory_hit"].as_boolean().label("territory_hit"),
    ).where(Alert.status != "resolved")
    return [
        OpenAlert(
            id=row.id,
            fingerprint=Fingerprint(row.community_code, row.category),
            level=Level(row.level),
            acknowledged=row.status == "acknowledged",
            opened_at=row.opened_at,
            level_since=row.level_since or row.opened_at,
            last_notified_at=row.last_notified_at,
            national_escalated_at=row.national_escalated_at,
            below_warning_count=row.below_warning_count,
            evaluated_through=row.evaluated_through,
            routed_to=tuple(row.routed_to),
            territory_hit=bool(row.territory_hit),
        )
        for row in session.execute(query)
    ]


def alert_rows_by_id(session: Session, ids: Sequence[int]) -> dict[int, Alert]:
    """The alert rows with ``ids``, in chunks the engines' parameter limits accept."""
    rows: dict[int, Alert] = {}
    for start in range(0, len(ids), 900):
        chunk = list(ids[start : start + 900])
        for alert in session.execute(select(Alert).where(Alert.id.in_(chunk))).scalars():
            rows[alert.id] = alert
    return rows


def as_open_alert(alert: Alert) -> OpenAlert:
    return OpenAlert(
        id=alert.id,
        fingerprint=fingerprint_of(alert),
        level=Level(alert.level),
        acknowledged=alert.status == "acknowledged",
        opened_at=alert.opened_at,
        level_since=alert.level_since or alert.opened_at,
        last_notified_at=alert.last_notified_at,
        national_escalated_at=alert.national_escalated_at,
        below_warning_count=alert.below_warning_count,
        evaluated_through=alert.evaluated_through,
        routed_to=tuple(alert.routed_to),
        territory_hit=bool(alert.evidence.get("territory_hit", False)),
    )


def active_silences(session: Session, *, now: datetime) -> list[SilenceRule]:
    rows = session.execute(
        select(Silence)
        .where(Silence.active, Silence.starts_at <= now, Silence.ends_at > now)
        .order_by(Silence.id)
    ).scalars()
    return [SilenceRule(s.id, s.community_code, s.category, s.starts_at, s.ends_at) for s in rows]


def resolved_through(
    session: Session, *, fingerprints: Collection[Fingerprint] | None = None
) -> dict[Fingerprint, datetime]:
    """Per fingerprint, the newest evidence mark among its resolved alerts."""
    query = (
        select(Alert.community_code, Alert.category, func.max(Alert.evaluated_through))
        .where(Alert.status == "resolved", Alert.evaluated_through.is_not(None))
        .group_by(Alert.community_code, Alert.category)
    )
    if fingerprints is not None:
        query = query.where(Alert.fingerprint.in_([fp.key for fp in fingerprints]))
    marks: dict[Fingerprint, datetime] = {}
    for community_code, category, mark in session.execute(query):
        if mark is not None:
            marks[Fingerprint(community_code, category)] = _aware(mark)
    return marks


def _aware(moment: datetime | str) -> datetime:
    # max() over a UTCDateTime column comes back untyped (a naive value or text) on SQLite.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
