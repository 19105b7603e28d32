"""Read the store into the core's types: routing rows, contacts, latest indicator values, open
alerts, what resolved alerts had seen, silences, and the policy from settings."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Select, String, Table, Text, and_, func, select, text, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from alerts.lifecycle import is_new, state_matters
from alerts.routing import ContactInfo, RoutingRule
from alerts.states import (
    CategoryState,
    Fingerprint,
    OpenAlert,
    Policy,
    Reading,
    ResolvedMark,
    SilenceRule,
    category_states,
)
from ews.models import (
    Alert,
    AlertResponse,
    AlertStatus,
    Community,
    Contact,
    IndicatorRule,
    IndicatorValue,
    Silence,
)
from ews.models import RoutingRule as RoutingRuleRow
from ews.settings import Settings
from indicators.levels import Level

# One evaluation at a time on PostgreSQL (SQLite already has one writer: BEGIN IMMEDIATE).
ALERT_LOCK_KEY = 0x45575341  # "EWSA"
# The evidence ids an indicator value and an alert keep, by kind.
EVIDENCE_ID_KINDS = ("report_ids", "fire_hotspot_ids", "deforestation_alert_ids")
CHUNK = 900  # ids per IN (...): within both engines' parameter limits


def lock_alerts(session: Session) -> None:
    """Serialize alert writers (the scheduled evaluation, the fast path, manual resolutions)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALERT_LOCK_KEY})


def policy_from(settings: Settings) -> Policy:
    return Policy(
        reminder_interval=timedelta(hours=settings.reminder_interval_hours),
        national_after=timedelta(hours=settings.national_escalation_after_hours),
        auto_resolve_after=timedelta(minutes=settings.auto_resolve_after_minutes),
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
            categories=tuple(c.categories or ()),
        )
        for c in rows
    ]


def categories_by_code(session: Session) -> dict[str, str]:
    rows = session.execute(select(IndicatorRule.code, IndicatorRule.category))
    return {code: category for code, category in rows}


def _latest(columns: Sequence[Any], community_codes: Collection[str] | None = None) -> Select[Any]:
    """``columns`` of the latest value per (community, code): the row with the greatest
    ``window_end``."""
    newest = select(
        IndicatorValue.community_code,
        IndicatorValue.code,
        func.max(IndicatorValue.window_end).label("window_end"),
    ).group_by(IndicatorValue.community_code, IndicatorValue.code)
    if community_codes is not None:
        newest = newest.where(IndicatorValue.community_code.in_(list(community_codes)))
    latest = newest.subquery()
    return select(*columns).join(
        latest,
        and_(
            IndicatorValue.community_code == latest.c.community_code,
            IndicatorValue.code == latest.c.code,
            IndicatorValue.window_end == latest.c.window_end,
        ),
    )


def latest_values(
    session: Session, *, community_codes: Collection[str] | None = None
) -> list[Row[Any]]:
    """The latest value per (community, code): the row with the greatest ``window_end``
    (plain rows with the ``indicator_value`` columns as attributes: read-only, no ORM cost)."""
    table = cast(Table, IndicatorValue.__table__)
    return list(session.execute(_latest(list(table.columns), community_codes)).all())


def latest_value_heads(session: Session) -> list[Row[Any]]:
    """What an evaluation needs first of the latest value per (community, code): its ``id``,
    ``community_code``, ``code``, ``level``, ``revision`` and ``details`` as JSON text, decoded
    only where it matters (:func:`states_that_matter`)."""
    query = _latest(
        [
            IndicatorValue.id,
            IndicatorValue.community_code,
            IndicatorValue.code,
            IndicatorValue.level,
            IndicatorValue.revision,
            sql_cast(IndicatorValue.details, Text).label("details"),
        ]
    )
    return list(session.execute(query).all())


def values_of(
    session: Session,
    heads: Sequence[Row[Any]],
    categories: Mapping[str, str],
    fingerprints: Collection[Fingerprint],
) -> dict[Fingerprint, list[Row[Any]]]:
    """The full ``indicator_value`` rows of ``heads`` (:func:`latest_value_heads`) in
    ``fingerprints``, per fingerprint in the order of ``heads``."""
    if not fingerprints:
        return {}
    ids: dict[Fingerprint, list[int]] = {fingerprint: [] for fingerprint in fingerprints}
    for head in heads:
        category = categories.get(head.code)
        if category is not None:
            found = ids.get(Fingerprint(head.community_code, category))
            if found is not None:
                found.append(head.id)
    wanted = [id_ for group in ids.values() for id_ in group]
    table = cast(Table, IndicatorValue.__table__)
    rows: dict[int, Row[Any]] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in session.execute(select(*table.columns).where(table.c.id.in_(chunk))):
            rows[row.id] = row
    return {fingerprint: [rows[id_] for id_ in group] for fingerprint, group in ids.items()}


def core_value(details: dict[str, Any] | None) -> float | None:
    value = (details or {}).get("core_value")
    return float(value) if isinstance(value, int | float) else None


def evidence_rows(evidence: Mapping[str, Any] | None) -> frozenset[str]:
    """The input rows behind some evidence, as ``kind:id`` (``report_ids:...``)."""
    evidence = evidence or {}
    return frozenset(
        f"{kind}:{item}" for kind in EVIDENCE_ID_KINDS for item in evidence.get(kind) or ()
    )


def readings(values: Sequence[Row[Any]], categories: dict[str, str]) -> list[Reading]:
    return [
        Reading(
            code=v.code,
            community_code=v.community_code,
            category=categories[v.code],
            level=Level(v.level),
            revision=int(v.revision),
            core_value=core_value(details := _details(v.details)),
            rows=evidence_rows(details.get("evidence")),
        )
        for v in values
        if v.code in categories and v.level in Level.__members__
    ]


def _details(details: str | dict[str, Any] | None) -> dict[str, Any]:
    """A value's ``details``, decoded when read as JSON text (:func:`latest_value_heads`)."""
    decoded = json.loads(details) if isinstance(details, str) else details
    return cast(dict[str, Any], decoded or {})


def states_that_matter(
    heads: Sequence[Row[Any]],
    categories: dict[str, str],
    *,
    alerts: Sequence[OpenAlert],
    computation: int,
) -> dict[Fingerprint, CategoryState]:
    """The category states of ``heads`` (:func:`latest_value_heads`) that the lifecycle reads
    (:func:`alerts.lifecycle.state_matters`): the others decide nothing, so their values' details
    are never decoded."""
    ranks = {level.value: level.rank for level in Level}
    by_rank = {level.rank: level for level in Level}
    # Per (community, category): the highest level's rank, the newest revision, the values.
    grouped: dict[tuple[str, str], tuple[int, int, list[Row[Any]]]] = {}
    for head in heads:
        category = categories.get(head.code)
        rank = ranks.get(head.level)
        if category is None or rank is None:
            continue
        key = (head.community_code, category)
        revision = int(head.revision)
        found = grouped.get(key)
        if found is None:
            grouped[key] = (rank, revision, [head])
        else:
            found[2].append(head)
            if rank > found[0] or revision > found[1]:
                grouped[key] = (max(rank, found[0]), max(revision, found[1]), found[2])
    open_by_key = {
        (alert.fingerprint.community_code, alert.fingerprint.category): alert for alert in alerts
    }
    wanted: list[Row[Any]] = []
    for key, (rank, revision, group) in grouped.items():
        if state_matters(open_by_key.get(key), by_rank[rank], revision, computation):
            wanted += group
    return category_states(readings(wanted, categories))


def category_state(session: Session, fingerprint: Fingerprint) -> CategoryState | None:
    """The category's state from its latest values (``None`` before any computation)."""
    values = latest_values(session, community_codes=[fingerprint.community_code])
    states = category_states(readings(values, categories_by_code(session)))
    return states.get(fingerprint)


def fingerprint_of(alert: Alert) -> Fingerprint:
    return Fingerprint(alert.community_code, alert.category)


def fingerprint_key(community_code: str, category: str) -> str:
    return Fingerprint(community_code, category).key


def open_alert_rows(
    session: Session, *, fingerprints: Collection[Fingerprint] | None = None
) -> dict[Fingerprint, Alert]:
    query = select(Alert).where(Alert.status != AlertStatus.resolved)
    if fingerprints is not None:
        query = query.where(Alert.fingerprint.in_([fp.key for fp in fingerprints]))
    return {fingerprint_of(a): a for a in session.execute(query).scalars()}


def _memoized(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` once per distinct raw value (``None`` stays ``None``): the alerts written by one
    evaluation share their timestamps, routes and levels."""
    known: dict[Any, Any] = {}

    def memoized(raw: Any) -> Any:
        if raw is None:
            return None
        value = known.get(raw, known)
        if value is known:
            value = known[raw] = convert(raw)
        return value

    return memoized


def _column_reader(session: Session, column: Any) -> Callable[[Any], Any]:
    """How the column's type reads a raw value on this engine, memoized."""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return _memoized(process if process is not None else (lambda raw: raw))


def open_alert_states(session: Session) -> list[OpenAlert]:
    """Every alert that is not resolved, as the lifecycle sees it, read without ORM objects
    (a steady evaluation changes few of them; only those are loaded as rows). The columns are
    read raw and converted once per distinct value (:func:`_memoized`)."""
    times = [
        Alert.opened_at,
        Alert.level_since,
        Alert.last_notified_at,
        Alert.national_escalated_at,
        Alert.below_warning_since,
    ]
    query = select(
        Alert.id,
        Alert.community_code,
        Alert.category,
        Alert.level,
        Alert.status,
        Alert.seen_revision,
        Alert.hold_until,
        sql_cast(Alert.routed_to, Text),
        Alert.evidence["territory_hit"].as_boolean(),
        *(type_coerce(column, String) for column in times),
    ).where(Alert.status != AlertStatus.resolved)
    utc = _column_reader(session, Alert.opened_at)
    level = _memoized(Level)
    routes = _memoized(lambda raw: tuple(json.loads(raw)))
    acknowledged = acknowledged_institutions(session)
    none: frozenset[str] = frozenset()
    return [
        OpenAlert(
            id=id_,
            fingerprint=Fingerprint(community_code, category),
            level=level(level_),
            acknowledged=status == AlertStatus.acknowledged,
            opened_at=utc(opened_at),
            level_since=utc(level_since or opened_at),
            last_notified_at=utc(last_notified_at),
            national_escalated_at=utc(national_escalated_at),
            below_warning_since=utc(below_warning_since),
            seen_revision=seen_revision,
            hold_until=hold_until,
            routed_to=routes(routed_to),
            territory_hit=bool(territory_hit),
            acknowledged_by=acknowledged.get(id_, none),
        )
        for (
            id_,
            community_code,
            category,
            level_,
            status,
            seen_revision,
            hold_until,
            routed_to,
            territory_hit,
            opened_at,
            level_since,
            last_notified_at,
            national_escalated_at,
            below_warning_since,
        ) in session.execute(cast(Select[Any], query))
    ]


def acknowledged_institutions(
    session: Session, alert_ids: Sequence[int] | None = None
) -> dict[int, frozenset[str]]:
    """Per alert that is not resolved (or per alert of ``alert_ids``), the institutions that have
    acknowledged it for themselves at its current level."""
    query = select(AlertResponse.alert_id, AlertResponse.institution_code).where(
        AlertResponse.acknowledged_at.is_not(None)
    )
    chunks: list[Sequence[int] | None] = [None]
    if alert_ids is None:
        query = query.join(Alert, Alert.id == AlertResponse.alert_id).where(
            Alert.status != AlertStatus.resolved
        )
    else:
        chunks = [alert_ids[start : start + CHUNK] for start in range(0, len(alert_ids), CHUNK)]
    found: dict[int, set[str]] = {}
    for chunk in chunks:
        chunk_query = query if chunk is None else query.where(AlertResponse.alert_id.in_(chunk))
        for alert_id, code in session.execute(chunk_query):
            found.setdefault(alert_id, set()).add(code)
    return {alert_id: frozenset(codes) for alert_id, codes in found.items()}


def alert_rows_by_id(session: Session, ids: Sequence[int]) -> dict[int, Alert]:
    """The alert rows with ``ids``, in chunks the engines' parameter limits accept."""
    rows: dict[int, Alert] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        for alert in session.execute(select(Alert).where(Alert.id.in_(chunk))).scalars():
            rows[alert.id] = alert
    return rows


def alert_columns_by_id(session: Session, ids: Sequence[int]) -> dict[int, Row[Any]]:
    """What writing an outcome reads of each stored alert with ``ids`` (``id``, ``evidence``,
    ``national_escalated_at``): plain rows, in chunks, no ORM objects."""
    rows: dict[int, Row[Any]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        for row in session.execute(
            select(Alert.id, Alert.evidence, Alert.national_escalated_at).where(Alert.id.in_(chunk))
        ):
            rows[row.id] = row
    return rows


def as_open_alert(
    alert: Alert | Row[Any],
    *,
    territory_hit: bool | None = None,
    acknowledged_by: frozenset[str] | None = None,
    session: Session | None = None,
) -> OpenAlert:
    """The alert as the lifecycle sees it, from its row or the columns of one; ``territory_hit``
    is read from its evidence unless given, ``acknowledged_by`` (the institutions that acknowledged
    for themselves) from ``session`` unless given."""
    if territory_hit is None:
        territory_hit = bool(alert.evidence.get("territory_hit", False))
    if acknowledged_by is None:
        acknowledged_by = (
            acknowledged_institutions(session, [alert.id]).get(alert.id, frozenset())
            if session is not None
            else frozenset()
        )
    return OpenAlert(
        id=alert.id,
        fingerprint=Fingerprint(alert.community_code, alert.category),
        level=Level(alert.level),
        acknowledged=alert.status == AlertStatus.acknowledged,
        opened_at=alert.opened_at,
        level_since=alert.level_since or alert.opened_at,
        last_notified_at=alert.last_notified_at,
        national_escalated_at=alert.national_escalated_at,
        below_warning_since=alert.below_warning_since,
        seen_revision=alert.seen_revision,
        hold_until=alert.hold_until,
        routed_to=tuple(alert.routed_to),
        territory_hit=territory_hit,
        acknowledged_by=acknowledged_by,
    )


def active_silences(session: Session, *, now: datetime) -> list[SilenceRule]:
    rows = session.execute(
        select(Silence)
        .where(Silence.active, Silence.starts_at <= now, Silence.ends_at > now)
        .order_by(Silence.id)
    ).scalars()
    return [SilenceRule(s.id, s.community_code, s.category, s.starts_at, s.ends_at) for s in rows]


def resolved_marks(
    session: Session,
    *,
    states: Mapping[Fingerprint, CategoryState],
    open_fingerprints: Collection[Fingerprint],
) -> dict[Fingerprint, ResolvedMark]:
    """For each fingerprint of ``states`` at warning or above with no open alert: what its last
    resolved alert had seen (its rows are read only where the state is newer than it)."""
    wanted = [
        fp
        for fp, state in states.items()
        if fp not in open_fingerprints and state.level.at_least(Level.warning)
    ]
    last: list[Any] = []
    for start in range(0, len(wanted), CHUNK):
        keys = [fp.key for fp in wanted[start : start + CHUNK]]
        newest = (
            select(func.max(Alert.id))
            .where(Alert.status == AlertStatus.resolved, Alert.fingerprint.in_(keys))
            .group_by(Alert.fingerprint)
        )
        last += session.execute(
            select(
                Alert.id,
                Alert.community_code,
                Alert.category,
                Alert.level,
                Alert.seen_revision,
                Alert.below_warning_since,
            ).where(Alert.id.in_(newest))
        ).all()
    marks = {
        Fingerprint(row.community_code, row.category): ResolvedMark(
            revision=row.seen_revision,
            level=Level.none if row.below_warning_since is not None else Level(row.level),
        )
        for row in last
    }
    ids = {
        row.id: Fingerprint(row.community_code, row.category)
        for row in last
        if is_new(states[Fingerprint(row.community_code, row.category)], row.seen_revision)
    }
    for id_, evidence in _evidence_of(session, list(ids)):
        marks[ids[id_]] = ResolvedMark(
            marks[ids[id_]].revision, marks[ids[id_]].level, evidence_rows(evidence)
        )
    return marks


def _evidence_of(session: Session, ids: Sequence[int]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        found += session.execute(select(Alert.id, Alert.evidence).where(Alert.id.in_(chunk))).all()
    return found


def community_regions(session: Session, codes: Sequence[str] | None = None) -> dict[str, str]:
    query = select(Community.code, Community.region_ubigeo)
    if codes is not None:
        query = query.where(Community.code.in_(list(codes)))
    return {code: region for code, region in session.execute(query)}
