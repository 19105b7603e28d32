"""What the pages read from the store. Read-only; every function takes the session by keyword."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from ews.contacts.service import COMMUNITY_ROLE_NAME
from ews.models import (
    Alert,
    CategoryContext,
    Community,
    CommunityContact,
    Contact,
    DeforestationAlert,
    FactsheetItem,
    FireHotspot,
    IndicatorRule,
    IndicatorValue,
    Institution,
    InstitutionDigest,
    OutboxMessage,
    OutboxStatus,
    Report,
    RoutingRule,
)
from ews.web.charts import DayValue
from indicators.geometry import overview_shape
from indicators.levels import Level

LEVEL_RANK = {level.value: level.rank for level in Level}


def communities(session: Session) -> list[Community]:
    return list(session.execute(select(Community).order_by(Community.name)).scalars())


def community_names(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every community by name, without their geometry."""
    return [
        (code, name)
        for code, name in session.execute(
            select(Community.code, Community.name).order_by(Community.name)
        )
    ]


def overview_shapes(session: Session) -> list[tuple[str, str, dict[str, Any]]]:
    """(code, name, simplified shape) of every community for the landing map: the shape kept in
    ``community.overview``; one missing (a row written around the ORM) is simplified here."""
    rows = session.execute(select(Community.code, Community.name, Community.overview)).all()
    missing = [code for code, _name, shape in rows if shape is None]
    boundaries: dict[str, dict[str, Any]] = (
        dict(
            session.execute(
                select(Community.code, Community.boundary).where(Community.code.in_(missing))
            ).tuples()
        )
        if missing
        else {}
    )
    return [
        (code, name, shape if shape is not None else overview_shape(boundaries[code]))
        for code, name, shape in rows
    ]


def categories(session: Session) -> dict[str, CategoryContext]:
    rows = session.execute(select(CategoryContext)).scalars()
    return {row.category: row for row in rows}


def institutions(session: Session) -> list[Institution]:
    return list(session.execute(select(Institution).order_by(Institution.code)).scalars())


def rules(session: Session) -> dict[str, IndicatorRule]:
    return {row.code: row for row in session.execute(select(IndicatorRule)).scalars()}


def indicator_names(session: Session) -> dict[str, dict[str, str]]:
    """code -> {"es": name, "en": name, "unit": unit}, as ``alerts.messages`` reads them."""
    return {
        code: {"es": rule.name_es, "en": rule.name_en, "unit": rule.unit}
        for code, rule in rules(session).items()
    }


# --- the map -----------------------------------------------------------------------------------


Bounds = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def _in_box(bounds: Bounds, lat: Any, lon: Any) -> list[ColumnElement[bool]]:
    min_lon, min_lat, max_lon, max_lat = bounds
    return [lat >= min_lat, lat <= max_lat, lon >= min_lon, lon <= max_lon]


def map_reports(
    session: Session,
    *,
    community: Community,
    since: datetime,
    until: datetime,
    types: Sequence[str],
) -> list[tuple[float, float, str, int, datetime]]:
    """(lon, lat, threat type, severity, observed_at) of located reports of the community."""
    query = select(
        Report.longitude, Report.latitude, Report.threat_type, Report.severity, Report.observed_at
    ).where(
        Report.community_code == community.code,
        Report.observed_at >= since,
        Report.observed_at < until,
        Report.latitude.is_not(None),
        Report.longitude.is_not(None),
    )
    if types:
        query = query.where(Report.threat_type.in_(types))
    return [
        (float(lon), float(lat), kind, int(sev), at)
        for lon, lat, kind, sev, at in session.execute(query.order_by(Report.observed_at))
        if lon is not None and lat is not None
    ]


def map_hotspots(
    session: Session, *, bounds: Bounds, since: datetime, until: datetime
) -> list[tuple[float, float, str, str, datetime]]:
    """(lon, lat, confidence, instrument, acquired_at) of hotspots in the territory's box."""
    query = select(
        FireHotspot.longitude,
        FireHotspot.latitude,
        FireHotspot.confidence,
        FireHotspot.instrument,
        FireHotspot.acquired_at,
    ).where(
        FireHotspot.acquired_at >= since,
        FireHotspot.acquired_at < until,
        *_in_box(bounds, FireHotspot.latitude, FireHotspot.longitude),
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def map_deforestation(
    session: Session, *, bounds: Bounds, since: date, until: date
) -> list[tuple[float, float, str, str, date, float]]:
    """(lon, lat, dataset, confidence, alert_date, area_ha) of alerts in the territory's box."""
    query = select(
        DeforestationAlert.longitude,
        DeforestationAlert.latitude,
        DeforestationAlert.dataset,
        DeforestationAlert.confidence,
        DeforestationAlert.alert_date,
        DeforestationAlert.area_ha,
    ).where(
        DeforestationAlert.alert_date >= since,
        DeforestationAlert.alert_date < until,
        *_in_box(bounds, DeforestationAlert.latitude, DeforestationAlert.longitude),
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


# --- indicator series --------------------------------------------------------------------------


def _day(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def daily_series(
    session: Session, *, community_code: str, since: datetime
) -> dict[str, list[DayValue]]:
    """Per indicator code, one point per day: the day's highest value and level, and its baseline.

    Indicators are computed every few minutes; a year of them is drawn as a year of days.
    """
    day = _day(session, IndicatorValue.window_end).label("day")
    rank = case(
        *[(IndicatorValue.level == level, value) for level, value in LEVEL_RANK.items()],
        else_=0,
    )
    query: Select[Any] = (
        select(
            IndicatorValue.code,
            day,
            func.max(IndicatorValue.value),
            func.max(IndicatorValue.baseline),
            func.max(rank),
        )
        .where(IndicatorValue.community_code == community_code, IndicatorValue.window_end >= since)
        .group_by(IndicatorValue.code, day)
        .order_by(IndicatorValue.code, day)
    )
    names = {value: level for level, value in LEVEL_RANK.items()}
    series: dict[str, list[DayValue]] = {}
    for code, day_value, value, baseline, level_rank in session.execute(query):
        the_day = day_value if isinstance(day_value, date) else date.fromisoformat(str(day_value))
        series.setdefault(code, []).append(
            DayValue(
                day=the_day,
                value=float(value),
                baseline=None if baseline is None else float(baseline),
                level=names.get(int(level_rank or 0), "none"),
            )
        )
    return series


def latest_values(session: Session, *, community_code: str) -> dict[str, IndicatorValue]:
    """The most recent value of each indicator of a community."""
    newest = (
        select(IndicatorValue.code, func.max(IndicatorValue.window_end).label("end"))
        .where(IndicatorValue.community_code == community_code)
        .group_by(IndicatorValue.code)
        .subquery()
    )
    query = select(IndicatorValue).join(
        newest,
        (IndicatorValue.code == newest.c.code) & (IndicatorValue.window_end == newest.c.end),
    )
    query = query.where(IndicatorValue.community_code == community_code)
    return {row.code: row for row in session.execute(query).scalars()}


# --- delivery log, silences, reference ---------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    message: OutboxMessage
    contact_name: str
    community_code: str | None  # none for a daily digest
    category: str | None
    failed: bool


def deliveries(session: Session, *, limit: int, offset: int) -> tuple[list[Delivery], bool]:
    """Outbox messages, dead first, then those that failed and wait to retry, then the newest."""
    failed = (OutboxMessage.status != OutboxStatus.sent) & (OutboxMessage.last_error.is_not(None))
    order = case((OutboxMessage.status == OutboxStatus.dead, 0), (failed, 1), else_=2)
    query = (
        select(
            OutboxMessage,
            func.coalesce(Contact.name, COMMUNITY_ROLE_NAME),
            Alert.community_code,
            Alert.category,
        )
        .outerjoin(Contact, Contact.id == OutboxMessage.contact_id)
        .outerjoin(CommunityContact, CommunityContact.id == OutboxMessage.community_contact_id)
        .outerjoin(Alert, Alert.id == OutboxMessage.alert_id)
        .order_by(order, OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    rows = [
        Delivery(
            message=message,
            contact_name=name,
            community_code=community,
            category=category,
            failed=message.status != OutboxStatus.sent and message.last_error is not None,
        )
        for message, name, community, category in session.execute(query)
    ]
    return rows[:limit], len(rows) > limit


@dataclass(frozen=True)
class DigestRow:
    """One institution's digest of one day, with how its messages stand in the outbox."""

    digest: InstitutionDigest
    states: dict[str, int]  # outbox status -> messages in it (empty: nothing was queued)
    failed: int  # messages not sent whose last try failed (waiting to retry or dead)


def digests(
    session: Session, *, institution: str | None, limit: int, offset: int
) -> tuple[list[DigestRow], bool]:
    """The digests made, newest day first, then by institution; of one institution if given."""
    query = (
        select(InstitutionDigest)
        .order_by(
            InstitutionDigest.day.desc(),
            InstitutionDigest.institution_code,
            InstitutionDigest.id.desc(),
        )
        .limit(limit + 1)
        .offset(offset)
    )
    if institution:
        query = query.where(InstitutionDigest.institution_code == institution)
    found = list(session.scalars(query))
    made = found[:limit]
    states: dict[int, dict[str, int]] = {d.id: {} for d in made}
    failed: dict[int, int] = dict.fromkeys(states, 0)
    if made:
        error = (OutboxMessage.status != OutboxStatus.sent) & OutboxMessage.last_error.is_not(None)
        counted = session.execute(
            select(
                OutboxMessage.digest_id,
                OutboxMessage.status,
                func.count(),
                func.sum(case((error, 1), else_=0)),
            )
            .where(OutboxMessage.digest_id.in_(list(states)))
            .group_by(OutboxMessage.digest_id, OutboxMessage.status)
        )
        for digest_id, status, n, n_failed in counted:
            states[digest_id][status] = int(n)
            failed[digest_id] += int(n_failed or 0)
    rows = [DigestRow(digest=d, states=states[d.id], failed=failed[d.id]) for d in made]
    return rows, len(found) > limit


def digest_messages(
    session: Session, *, digest_id: int
) -> list[tuple[OutboxMessage, Contact | None]]:
    """The outbox messages that carry one digest, each with its contact, in queue order."""
    query = (
        select(OutboxMessage, Contact)
        .outerjoin(Contact, Contact.id == OutboxMessage.contact_id)
        .where(OutboxMessage.digest_id == digest_id)
        .order_by(OutboxMessage.id)
    )
    return [(message, contact) for message, contact in session.execute(query)]


def routing(session: Session) -> list[RoutingRule]:
    query = select(RoutingRule).order_by(RoutingRule.category, RoutingRule.role.desc())
    return list(session.execute(query).scalars())


def factsheet(session: Session) -> list[FactsheetItem]:
    query = select(FactsheetItem).order_by(FactsheetItem.kind, FactsheetItem.position)
    return list(session.execute(query).scalars())
