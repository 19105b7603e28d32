"""Reading field checks: one page of checks with their point and verdict, the verdicts of a set of
points (the alert page), and each source's confirmation rate per community and month (the
community page). Never who answered: the verdict's pseudonym stays in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from ews.models import (
    CheckSource,
    DeforestationAlert,
    FieldCheck,
    FieldVerdict,
    FireHotspot,
    Verdict,
)
from ews.photos.links import PhotoLink, owned_photo_links
from indicators import LIMA


class CheckStatus(StrEnum):
    open = "open"
    confirmed = "confirmed"
    false_alarm = "false_alarm"
    unreachable = "unreachable"


class VerdictOut(BaseModel):
    id: str
    verdict: str
    note: str | None
    received_at: datetime


class CheckOut(BaseModel):
    """A field check: the satellite point, what the satellite said of it, and its verdict."""

    id: str
    source: str  # firms | gfw
    community: str
    zone: str  # core | buffer
    latitude: float
    longitude: float
    seen_at: datetime
    confidence: str | None
    area_ha: float | None  # GFW alerts
    product: str | None  # FIRMS instrument and satellite, or the GFW dataset
    status: CheckStatus
    verdict: VerdictOut | None
    # Photos taken at the check (``POST /api/v1/checks/{id}/photos``), never who took them.
    photos: list[PhotoLink] = Field(default_factory=list)


class CheckPage(BaseModel):
    items: list[CheckOut]
    next: str | None = None


# A check, its verdict (or None) and its point (the FIRMS or the GFW row, the other None).
Joined = Select[FieldCheck, FieldVerdict | None, FireHotspot | None, DeforestationAlert | None]


def _query() -> Joined:
    query: Any = (
        select(FieldCheck, FieldVerdict, FireHotspot, DeforestationAlert)
        .outerjoin(FieldVerdict, FieldVerdict.check_id == FieldCheck.id)
        .outerjoin(
            FireHotspot,
            and_(
                FieldCheck.source == CheckSource.firms.value,
                FireHotspot.id == FieldCheck.point_id,
            ),
        )
        .outerjoin(
            DeforestationAlert,
            and_(
                FieldCheck.source == CheckSource.gfw.value,
                DeforestationAlert.id == FieldCheck.point_id,
            ),
        )
    )
    return cast(Joined, query)


def _out(
    check: FieldCheck,
    verdict: FieldVerdict | None,
    spot: FireHotspot | None,
    clearing: DeforestationAlert | None,
) -> CheckOut:
    point: FireHotspot | DeforestationAlert | None = spot or clearing
    product = None
    if spot is not None:
        product = f"{spot.instrument} ({spot.satellite})"
    elif clearing is not None:
        product = clearing.dataset
    return CheckOut(
        id=check.id,
        source=check.source,
        community=check.community_code,
        zone=check.zone,
        latitude=point.latitude if point else 0.0,
        longitude=point.longitude if point else 0.0,
        seen_at=check.seen_at,
        confidence=point.confidence if point else None,
        area_ha=clearing.area_ha if clearing else None,
        product=product,
        status=CheckStatus(verdict.verdict) if verdict else CheckStatus.open,
        verdict=VerdictOut(
            id=verdict.id,
            verdict=verdict.verdict,
            note=verdict.note,
            received_at=verdict.received_at,
        )
        if verdict
        else None,
    )


def _with_photos(session: Session, items: list[CheckOut]) -> list[CheckOut]:
    links = owned_photo_links(session, "check_id", [item.id for item in items])
    for item in items:
        item.photos = links[item.id]
    return items


def get_check(session: Session, check_id: str) -> CheckOut | None:
    row = session.execute(_query().where(FieldCheck.id == check_id)).first()
    return _with_photos(session, [_out(*row)])[0] if row else None


def list_checks(
    session: Session,
    *,
    community: str | None,
    status: CheckStatus | None,
    source: CheckSource | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> tuple[list[CheckOut], tuple[datetime, str] | None]:
    """Checks newest first (by when the point was seen, then id); the page and the key of its last
    row when there are more."""
    query = _query()
    if community is not None:
        query = query.where(FieldCheck.community_code == community)
    if source is not None:
        query = query.where(FieldCheck.source == source.value)
    if status is CheckStatus.open:
        query = query.where(FieldVerdict.id.is_(None))
    elif status is not None:
        query = query.where(FieldVerdict.verdict == status.value)
    if after is not None:
        seen, check_id = after
        query = query.where(
            or_(
                FieldCheck.seen_at < seen,
                and_(FieldCheck.seen_at == seen, FieldCheck.id < check_id),
            )
        )
    rows = session.execute(
        query.order_by(FieldCheck.seen_at.desc(), FieldCheck.id.desc()).limit(limit + 1)
    ).all()
    items = _with_photos(session, [_out(*row) for row in rows[:limit]])
    last = (items[-1].seen_at, items[-1].id) if len(rows) > limit else None
    return items, last


def point_verdicts(
    session: Session, source: CheckSource, point_ids: Iterable[int]
) -> dict[int, str]:
    """Each point's latest verdict (any community's check of it), by point id."""
    ids = list(point_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(FieldCheck.point_id, FieldVerdict.verdict)
        .join(FieldVerdict, FieldVerdict.check_id == FieldCheck.id)
        .where(FieldCheck.source == source.value, FieldCheck.point_id.in_(ids))
        .order_by(FieldVerdict.received_at)
    ).all()
    return {int(point_id): str(verdict) for point_id, verdict in rows}


def point_checks(
    session: Session, source: CheckSource, point_ids: Iterable[int]
) -> dict[int, list[tuple[str, str]]]:
    """The field checks of each point (any community's), as (check id, community code)."""
    ids = list(point_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(FieldCheck.point_id, FieldCheck.id, FieldCheck.community_code)
        .where(FieldCheck.source == source.value, FieldCheck.point_id.in_(ids))
        .order_by(FieldCheck.id)
    ).all()
    found: dict[int, list[tuple[str, str]]] = {}
    for point_id, check_id, community_code in rows:
        found.setdefault(int(point_id), []).append((str(check_id), str(community_code)))
    return found


def confirmation_rates(session: Session, community: str) -> list[dict[str, Any]]:
    """Per source and month (Lima) of the points seen: checks, verdicts of each kind, and the
    confirmation rate (confirmed over confirmed plus false alarms; None before any)."""
    rows = session.execute(
        select(FieldCheck.source, FieldCheck.seen_at, FieldVerdict.verdict)
        .outerjoin(FieldVerdict, FieldVerdict.check_id == FieldCheck.id)
        .where(FieldCheck.community_code == community)
    ).all()
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for source, seen, verdict in rows:
        month = f"{seen.astimezone(LIMA):%Y-%m}"
        entry = table.setdefault(
            (month, source),
            {"month": month, "source": source, "checks": 0, **{v.value: 0 for v in Verdict}},
        )
        entry["checks"] += 1
        if verdict is not None:
            entry[verdict] += 1
    for entry in table.values():
        decided = entry[Verdict.confirmed.value] + entry[Verdict.false_alarm.value]
        entry["rate"] = entry[Verdict.confirmed.value] / decided if decided else None
    return [table[key] for key in sorted(table, reverse=True)]
