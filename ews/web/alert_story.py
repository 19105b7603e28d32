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
from ews.models import (
    Alert,
    CategoryContext,
    Community,
    DeforestationAlert,
    FireHotspot,
    Institution,
    Report,
)
from ews.web import geo
from ews.web.i18n import Lang, label
from ews.web.pages import PERU, covered_day

ROWS_SHOWN = 50
WORDS_SHOWN = 5


@dataclass(frozen=True)
class Row:
    """One row of an evidence table: its cells, where it lies, and the page it links to."""

    when: datetime | date
    cells: list[str]
    place: str  # core | buffer | outside | unknown
    link: str | None = None


@dataclass
class AlertStory:
    exercise: bool
    happened: list[str]
    words: list[str] | None  # None: the category keeps the monitors' words out
    indicators: list[dict[str, Any]]
    reports: list[Row] = field(default_factory=list)
    hotspots: list[Row] = field(default_factory=list)
    clearings: list[Row] = field(default_factory=list)
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
) -> AlertStory:
    evidence: dict[str, Any] = alert.evidence or {}
    words_allowed = bool(category and category.reporter_words_allowed)
    zones = _places(community)
    story = AlertStory(
        exercise=bool(community and community.synthetic),
        happened=evidence_lines(
            evidence,
            language=lang.value,
            indicator_names=indicator_names,
            reporter_words_allowed=False,
        ),
        words=[] if words_allowed else None,
        indicators=_indicator_rows(evidence, lang, indicator_names),
    )
    points: list[tuple[str, list[geo.MapPoint]]] = []

    report_ids = [str(i) for i in evidence.get("report_ids") or []]
    if report_ids:
        reports = session.execute(
            select(Report)
            .where(Report.id.in_(report_ids[-ROWS_SHOWN * 4 :]))
            .order_by(Report.observed_at.desc())
            .limit(ROWS_SHOWN)
        ).scalars()
        marks = []
        for report in reports:
            kind = label(lang, "threat", report.threat_type)
            local = report.observed_at.astimezone(PERU)
            cells = [f"{local:%d/%m/%Y %H:%M}", kind, f"{report.severity}/5"]
            if words_allowed:
                said = " ".join((report.description or "").split())
                cells.append(said)
                if said and story.words is not None and len(story.words) < WORDS_SHOWN:
                    story.words.append(said)
            place = _place(report.longitude, report.latitude, zones)
            story.reports.append(
                Row(report.observed_at, cells, place, link=f"/dashboard/reports/{report.id}")
            )
            if report.longitude is not None and report.latitude is not None:
                marks.append(
                    geo.MapPoint(
                        report.longitude,
                        report.latitude,
                        f"t-{report.threat_type}",
                        f"{local:%d/%m/%Y %H:%M} · {kind} · {report.severity}/5",
                    )
                )
        points.append(("reports", marks))
        story.more["reports"] = max(len(report_ids) - len(story.reports), 0)

    hotspot_ids = [int(i) for i in evidence.get("fire_hotspot_ids") or []]
    if hotspot_ids:
        hotspots = session.execute(
            select(FireHotspot)
            .where(FireHotspot.id.in_(hotspot_ids[-ROWS_SHOWN * 4 :]))
            .order_by(FireHotspot.acquired_at.desc())
            .limit(ROWS_SHOWN)
        ).scalars()
        marks = []
        for spot in hotspots:
            local = spot.acquired_at.astimezone(PERU)
            confidence = label(lang, "confidence", spot.confidence)
            story.hotspots.append(
                Row(
                    spot.acquired_at,
                    [
                        f"{local:%d/%m/%Y %H:%M}",
                        f"{spot.instrument} ({spot.satellite})",
                        confidence,
                        f"{spot.latitude:.4f}, {spot.longitude:.4f}",
                    ],
                    _place(spot.longitude, spot.latitude, zones),
                )
            )
            marks.append(
                geo.MapPoint(
                    spot.longitude,
                    spot.latitude,
                    f"h-{spot.confidence}",
                    f"{local:%d/%m/%Y %H:%M} · {spot.instrument} · {confidence}",
                )
            )
        points.append(("hotspots", marks))
        story.more["hotspots"] = max(len(hotspot_ids) - len(story.hotspots), 0)

    clearing_ids = [int(i) for i in evidence.get("deforestation_alert_ids") or []]
    if clearing_ids:
        clearings = session.execute(
            select(DeforestationAlert)
            .where(DeforestationAlert.id.in_(clearing_ids[-ROWS_SHOWN * 4 :]))
            .order_by(DeforestationAlert.alert_date.desc())
            .limit(ROWS_SHOWN)
        ).scalars()
        marks = []
        for clearing in clearings:
            product = label(lang, "dataset", clearing.dataset)
            confidence = label(lang, "confidence", clearing.confidence)
            story.clearings.append(
                Row(
                    clearing.alert_date,
                    [
                        f"{clearing.alert_date:%d/%m/%Y}",
                        product,
                        confidence,
                        f"{clearing.area_ha:.2f}" if clearing.area_ha is not None else "",
                        f"{clearing.latitude:.4f}, {clearing.longitude:.4f}",
                    ],
                    _place(clearing.longitude, clearing.latitude, zones),
                )
            )
            marks.append(
                geo.MapPoint(
                    clearing.longitude,
                    clearing.latitude,
                    f"d-{clearing.confidence}",
                    f"{clearing.alert_date:%d/%m/%Y} · {product} · {confidence}",
                )
            )
        points.append(("deforestation", marks))
        story.more["clearings"] = max(len(clearing_ids) - len(story.clearings), 0)

    action = ""
    if category is not None:
        action = category.action_en if lang is Lang.en else category.action_es
    for code in alert.routed_to or []:
        inst = institutions.get(code)
        english = lang is Lang.en
        story.institutions.append(
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

    if community is not None:
        story.map = geo.build_map(
            boundary=community.boundary,
            buffer=community.buffer,
            bounds=geo.geometry_bounds(community.boundary, community.buffer),
            layers=points,
            tile_template=tile_template,
        )
    return story
