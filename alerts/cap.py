"""CAP 1.2 rendering (OASIS Common Alerting Protocol), valid against ``CAP-v1.2.xsd``.

One message per notified event of an alert (the shell renders it once, when the event is written,
and keeps it): the first is ``Alert``, a later one ``Update``, a resolution ``Cancel``
(``msg_type``); each later message lists every earlier one in ``<references>``. Scope is
``Restricted``, naming the institutions the event reached; ``status`` is ``Exercise`` for a
synthetic (demo) community. There is one ``<info>`` in es-PE and one in en, each in its own
language only, each with ``<expires>``; the level maps to severity, and ``<area>`` carries the
territory polygon and the ubigeo geocode. Machine codes (the category in ``<eventCode>``, the level
in ``<parameter>``) are the same in both, as codes are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from indicators.days import LIMA
from indicators.levels import Level

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"

SEVERITY = {Level.warning: "Moderate", Level.high: "Severe", Level.critical: "Extreme"}
URGENCY = {Level.warning: "Future", Level.high: "Expected", Level.critical: "Immediate"}
CAP_CATEGORY = {
    "defender_safety": "Security",
    "deforestation": "Env",
    "fire": "Fire",
    "illicit_crops": "Security",
    "territorial_invasion": "Security",
    "monitoring_gap": "Safety",
    "composite": "Security",
}


@dataclass(frozen=True)
class CapInfo:
    language: str  # es-PE | en
    event: str  # the category's name in that language
    headline: str
    description: str
    instruction: str
    sender_name: str


@dataclass(frozen=True)
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    msg_type: str  # Alert | Update | Cancel
    restriction: Sequence[str]  # institution codes
    category: str
    level: Level
    infos: Sequence[CapInfo]
    area_desc: str
    polygons: Sequence[str]  # CAP polygons ("lat,lon ..."), see cap_polygons
    ubigeo: str
    expires: datetime
    references: Sequence[tuple[str, str, datetime]] = ()  # (sender, identifier, sent)
    web: str | None = None
    note: str | None = None
    status: str = "Actual"  # Actual | Exercise (a synthetic community's alert)
    all_clear: bool = False  # the event ends the alert (a resolution), whatever its msgType


def msg_type(event_kind: str, *, earlier_messages: int) -> str:
    """``Alert`` for the first message of an alert (whatever event it notifies: a receiver cannot
    update what it never got), ``Cancel`` for a resolution, ``Update`` otherwise."""
    if earlier_messages == 0:
        return "Alert"
    return "Cancel" if event_kind == "resolved" else "Update"


def cap_time(moment: datetime) -> str:
    """``2026-11-26T08:30:00-05:00``: seconds, an explicit offset (Peru time; CAP wants an offset,
    never "Z")."""
    return moment.astimezone(LIMA).replace(microsecond=0).isoformat()


def cap_polygons(boundary: dict[str, Any]) -> list[str]:
    """CAP polygons ("lat,lon" pairs, first equal to last) of a GeoJSON (Multi)Polygon's shells."""
    if boundary.get("type") == "Polygon":
        shells = [boundary["coordinates"][0]]
    elif boundary.get("type") == "MultiPolygon":
        shells = [polygon[0] for polygon in boundary["coordinates"]]
    else:
        return []
    polygons = []
    for shell in shells:
        points = [(float(p[1]), float(p[0])) for p in shell]
        if points and points[0] != points[-1]:
            points.append(points[0])
        polygons.append(" ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points))
    return polygons


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def render_cap(message: CapAlert) -> bytes:
    """The CAP 1.2 XML document of ``message`` (UTF-8, with an XML declaration)."""
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})  # type: ignore[dict-item]
    _sub(root, "identifier", message.identifier)
    _sub(root, "sender", message.sender)
    _sub(root, "sent", cap_time(message.sent))
    _sub(root, "status", message.status)
    _sub(root, "msgType", message.msg_type)
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", " ".join(message.restriction))
    if message.note:
        _sub(root, "note", message.note)
    if message.references:
        _sub(
            root,
            "references",
            " ".join(f"{s},{i},{cap_time(t)}" for s, i, t in message.references),
        )
    cancelled = message.msg_type == "Cancel" or message.all_clear
    for info in message.infos:
        node = _sub(root, "info")
        _sub(node, "language", info.language)
        _sub(node, "category", CAP_CATEGORY.get(message.category, "Other"))
        _sub(node, "event", info.event)
        _sub(node, "responseType", "AllClear" if cancelled else "Monitor")
        _sub(node, "urgency", "Past" if cancelled else URGENCY.get(message.level, "Unknown"))
        _sub(node, "severity", SEVERITY.get(message.level, "Unknown"))
        _sub(node, "certainty", "Observed")
        event_code = _sub(node, "eventCode")
        _sub(event_code, "valueName", "EWS_CATEGORY")
        _sub(event_code, "value", message.category)
        _sub(node, "expires", cap_time(message.expires))
        _sub(node, "senderName", info.sender_name)
        _sub(node, "headline", info.headline)
        _sub(node, "description", info.description)
        _sub(node, "instruction", info.instruction)
        if message.web:
            _sub(node, "web", message.web)
        parameter = _sub(node, "parameter")
        _sub(parameter, "valueName", "EWS_LEVEL")
        _sub(parameter, "value", message.level.value)
        area = _sub(node, "area")
        _sub(area, "areaDesc", message.area_desc)
        for polygon in message.polygons:
            _sub(area, "polygon", polygon)
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", "UBIGEO")
        _sub(geocode, "value", message.ubigeo)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
