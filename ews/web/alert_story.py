"""What the alert page tells: what happened, where, when, what the monitors said (when the category
allows their words, never who said them), what each institution is asked to do, and the evidence
behind it as rows a person can read and follow.

Reads the rows the alert's evidence names (at most :data:`ROWS_SHOWN` of each kind, newest first)
and turns them into plain data for the template; the words come from ``alerts.messages`` (the same
sentences the e-mail says) and ``ews.web.i18n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.messages import evidence_lines
from ews.auth.keys import Principal
from ews.checks.listing import point_checks, point_verdicts
from ews.models import (
    Alert,
    CategoryContext,
    CheckSource,
    Community,
    DeforestationAlert,
    FireHotspot,
    Institution,
    Report,
)
from ews.photos.service import may_read_field_photos
from ews.web import geo
from ews.web.i18n import Lang, label
from ews.web.pages import covered_day
from ews.web.photo_view import owned_photo_urls, photo_counts
from indicators import LIMA

ROWS_SHOWN = 50
WORDS_SHOWN = 5


@dataclass(frozen=True)
class Row:
    """One row of an evidence table: its cells, where it lies, and the page it links to."""

    when: datetime | date
    cells: list[str]
    place: str  # core | buffer | outside | unknown
    link: str | None = None
    photos: int = 0  # how many photos the report has (reports only)
    # Satellite points: the photos of their field checks the reader may see (dashboard links).
    thumbs: list[dict[str, str]] = field(default_factory=list)


@dataclass
class AlertStory:
    exercise: bool
    happened: list[str]
    words: list[str] | None  # None: the category keeps the monitors' words out
    indicators: list[dict[str, Any]]
    reports: list[Row] = field(default_factory=list)
    hotspots: list[Row] = field(default_factory=list)
    clearings: list[Row] = field(default_factory=list)
    point_photos: bool = False  # the reader may see field-check photos (a column of their own)
    more: dict[str, int] = field(default_factory=dict)  # rows of each kind not shown
    institutions: list[dict[str, str]] = field(default_factory=list)
    map: geo.MapView | None = None


def _parse(moment: Any) -> datetime | None:
    if isinstance(moment, datetime):
        return moment
    if isinstance(moment, str):
        try:
            return datetime.fromisoformat(moment)
        except ValueError:
            return None
    return None


def _places(community: Community | None) -> tuple[BaseGeometry, BaseGeometry] | None:
    if community is None:
        return None
    return shape(community.boundary), shape(community.buffer)


def _place(lon: float | None, lat: float | None, zones: Any) -> str:
    if lon is None or lat is None or zones is None:
        return "unknown"
    point = Point(lon, lat)
    core, ring = zones
    if core.covers(point):
        return "core"
    return "buffer" if ring.covers(point) else "outside"


def _indicator_rows(
    evidence: dict[str, Any], lang: Lang, names: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    rows = []
    for item in evidence.get("indicators") or []:
        if not isinstance(item, dict):
            continue
        code = str(item.get("code", ""))
        end = _parse(item.get("window_end"))
        start = _parse(item.get("window_start"))
        rows.append(
            {
                "name": names.get(code, {}).get(lang.value, code),
                "value": item.get("value"),
                "unit": label(lang, "unit", names.get(code, {}).get("unit", "count")),
                "level": item.get("level") or "none",
                "baseline": item.get("baseline"),
                "first_day": covered_day(start + timedelta(days=1)) if start else None,
                "last_day": covered_day(end) if end else None,
                "core": item.get("core_value"),
                "buffer": item.get("buffer_value"),
            }
        )
    return rows


Layer = tuple[list[Row], list[geo.MapPoint]]


def _ids(evidence: dict[str, Any], key: str) -> list[Any]:
    """The newest ids of one kind (an alert keeps its evidence ids oldest first)."""
    return list(evidence.get(key) or [])[-ROWS_SHOWN * 4 :]


def _report_rows(
    session: Session, ids: list[str], *, lang: Lang, zones: Any, words_allowed: bool
) -> Layer:
    rows: list[Row] = []
    marks: list[geo.MapPoint] = []
    query = (
        select(Report)
        .where(Report.id.in_(ids))
        .order_by(Report.observed_at.desc())
        .limit(ROWS_SHOWN)
    )
    found = list(session.execute(query).scalars())
    counts = photo_counts(session, [report.id for report in found])
    for report in found:
        kind = label(lang, "threat", report.threat_type)
        at = f"{report.observed_at.astimezone(LIMA):%d/%m/%Y %H:%M}"
        cells = [at, kind, f"{report.severity}/5"]
        if words_allowed:
            cells.append(" ".join((report.description or "").split()))
        place = _place(report.longitude, report.latitude, zones)
        link = f"/dashboard/reports/{report.id}"
        rows.append(Row(report.observed_at, cells, place, link, photos=counts.get(report.id, 0)))
        if report.longitude is not None and report.latitude is not None:
            title = f"{at} · {kind} · {report.severity}/5"
            marks.append(
                geo.MapPoint(report.longitude, report.latitude, f"t-{report.threat_type}", title)
            )
    return rows, marks


def _check_photos(
    session: Session, source: CheckSource, point_ids: list[int], principal: Principal | None
) -> dict[int, list[dict[str, str]]]:
    """Each point's field-check photos that ``principal`` may see (none without a reader)."""
    if principal is None:
        return {}
    checks = point_checks(session, source, point_ids)
    readable = [
        check_id
        for found in checks.values()
        for check_id, community in found
        if may_read_field_photos(principal, community)
    ]
    urls = owned_photo_urls(session, "check_id", readable)
    return {
        point_id: [url for check_id, _c in found for url in urls.get(check_id, [])]
        for point_id, found in checks.items()
    }


def _hotspot_rows(
    session: Session, ids: list[int], *, lang: Lang, zones: Any, principal: Principal | None
) -> Layer:
    rows: list[Row] = []
    marks: list[geo.MapPoint] = []
    query = (
        select(FireHotspot)
        .where(FireHotspot.id.in_(ids))
        .order_by(FireHotspot.acquired_at.desc())
        .limit(ROWS_SHOWN)
    )
    spots = list(session.execute(query).scalars())
    verdicts = point_verdicts(session, CheckSource.firms, [spot.id for spot in spots])
    thumbs = _check_photos(session, CheckSource.firms, [spot.id for spot in spots], principal)
    for spot in spots:
        at = f"{spot.acquired_at.astimezone(LIMA):%d/%m/%Y %H:%M}"
        confidence = label(lang, "confidence", spot.confidence)
        position = f"{spot.latitude:.4f}, {spot.longitude:.4f}"
        verdict = label(lang, "verdict", verdicts.get(spot.id, "open"))
        cells = [at, f"{spot.instrument} ({spot.satellite})", confidence, position, verdict]
        place = _place(spot.longitude, spot.latitude, zones)
        rows.append(Row(spot.acquired_at, cells, place, thumbs=thumbs.get(spot.id, [])))
        title = f"{at} · {spot.instrument} · {confidence}"
        marks.append(geo.MapPoint(spot.longitude, spot.latitude, f"h-{spot.confidence}", title))
    return rows, marks


def _clearing_rows(
    session: Session, ids: list[int], *, lang: Lang, zones: Any, principal: Principal | None
) -> Layer:
    rows: list[Row] = []
    marks: list[geo.MapPoint] = []
    query = (
        select(DeforestationAlert)
        .where(DeforestationAlert.id.in_(ids))
        .order_by(DeforestationAlert.alert_date.desc())
        .limit(ROWS_SHOWN)
    )
    found = list(session.execute(query).scalars())
    verdicts = point_verdicts(session, CheckSource.gfw, [clearing.id for clearing in found])
    thumbs = _check_photos(session, CheckSource.gfw, [c.id for c in found], principal)
    for clearing in found:
        day = f"{clearing.alert_date:%d/%m/%Y}"
        product = label(lang, "dataset", clearing.dataset)
        confidence = label(lang, "confidence", clearing.confidence)
        area = f"{clearing.area_ha:.2f}" if clearing.area_ha is not None else ""
        position = f"{clearing.latitude:.4f}, {clearing.longitude:.4f}"
        place = _place(clearing.longitude, clearing.latitude, zones)
        verdict = label(lang, "verdict", verdicts.get(clearing.id, "open"))
        cells = [day, product, confidence, area, position, verdict]
        rows.append(Row(clearing.alert_date, cells, place, thumbs=thumbs.get(clearing.id, [])))
        title = f"{day} · {product} · {confidence}"
        kind = f"d-{clearing.confidence}"
        marks.append(geo.MapPoint(clearing.longitude, clearing.latitude, kind, title))
    return rows, marks


def _asked(
    alert: Alert, category: CategoryContext | None, institutions: dict[str, Institution], lang: Lang
) -> list[dict[str, str]]:
    """Each routed institution: its name, its role in the fact sheet and what it is asked."""
    english = lang is Lang.en
    action = (category.action_en if english else category.action_es) if category else ""
    asked = []
    for code in alert.routed_to or []:
        inst = institutions.get(code)
        asked.append(
            {
                "code": code,
                "name": (inst.name_en if english else inst.name_es) if inst else code,
                "role": ((inst.role_en if english else inst.role_es) or "") if inst else "",
                "mandate": ((inst.mandate_en if english else inst.mandate_es) or "")
                if inst
                else "",
                "action": action,
            }
        )
    return asked


def build_story(
    session: Session,
    *,
    alert: Alert,
    community: Community | None,
    category: CategoryContext | None,
    lang: Lang,
    indicator_names: dict[str, dict[str, str]],
    institutions: dict[str, Institution],
    tile_template: str | None = None,
    principal: Principal | None = None,
) -> AlertStory:
    """Everything the alert page says about ``alert``, in ``lang``; field-check photos only those
    ``principal`` may see (none without one)."""
    evidence: dict[str, Any] = alert.evidence or {}
    words_allowed = bool(category and category.reporter_words_allowed)
    zones = _places(community)
    report_ids = [str(i) for i in _ids(evidence, "report_ids")]
    hotspot_ids = [int(i) for i in _ids(evidence, "fire_hotspot_ids")]
    clearing_ids = [int(i) for i in _ids(evidence, "deforestation_alert_ids")]
    reports, report_marks = _report_rows(
        session, report_ids, lang=lang, zones=zones, words_allowed=words_allowed
    )
    hotspots, hotspot_marks = _hotspot_rows(
        session, hotspot_ids, lang=lang, zones=zones, principal=principal
    )
    clearings, clearing_marks = _clearing_rows(
        session, clearing_ids, lang=lang, zones=zones, principal=principal
    )
    said = [r.cells[3] for r in reports if words_allowed and r.cells[3]][:WORDS_SHOWN]
    counted = {
        key: len(evidence.get(key) or [])
        for key in ("report_ids", "fire_hotspot_ids", "deforestation_alert_ids")
    }
    layers = [
        (name, marks)
        for name, marks, ids in (
            ("reports", report_marks, report_ids),
            ("hotspots", hotspot_marks, hotspot_ids),
            ("deforestation", clearing_marks, clearing_ids),
        )
        if ids
    ]
    return AlertStory(
        exercise=bool(community and community.synthetic),
        happened=evidence_lines(
            evidence,
            language=lang.value,
            indicator_names=indicator_names,
            reporter_words_allowed=False,
        ),
        words=said if words_allowed else None,
        indicators=_indicator_rows(evidence, lang, indicator_names),
        reports=reports,
        hotspots=hotspots,
        clearings=clearings,
        point_photos=principal is not None
        and community is not None
        and may_read_field_photos(principal, community.code),
        more={
            "reports": max(counted["report_ids"] - len(reports), 0),
            "hotspots": max(counted["fire_hotspot_ids"] - len(hotspots), 0),
            "clearings": max(counted["deforestation_alert_ids"] - len(clearings), 0),
        },
        institutions=_asked(alert, category, institutions, lang),
        map=None
        if community is None
        else geo.build_map(
            boundary=community.boundary,
            buffer=community.buffer,
            bounds=geo.geometry_bounds(community.boundary, community.buffer),
            layers=layers,
            tile_template=tile_template,
        ),
    )
