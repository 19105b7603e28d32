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

import copy
import threading
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


def _document(message: CapAlert) -> list[tuple[int, str, str | None]]:
    """The document as its elements in document order: (index of the parent, or -1 for the root;
    name; text)."""
    nodes: list[tuple[int, str, str | None]] = []

    def sub(parent: int, name: str, text: str | None = None) -> int:
        nodes.append((parent, name, text))
        return len(nodes) - 1

    root = sub(-1, "alert")
    sub(root, "identifier", message.identifier)
    sub(root, "sender", message.sender)
    sub(root, "sent", cap_time(message.sent))
    sub(root, "status", message.status)
    sub(root, "msgType", message.msg_type)
    sub(root, "scope", "Restricted")
    sub(root, "restriction", " ".join(message.restriction))
    if message.note:
        sub(root, "note", message.note)
    if message.references:
        sub(
            root,
            "references",
            " ".join(f"{s},{i},{cap_time(t)}" for s, i, t in message.references),
        )
    cancelled = message.msg_type == "Cancel" or message.all_clear
    for info in message.infos:
        node = sub(root, "info")
        sub(node, "language", info.language)
        sub(node, "category", CAP_CATEGORY.get(message.category, "Other"))
        sub(node, "event", info.event)
        sub(node, "responseType", "AllClear" if cancelled else "Monitor")
        sub(node, "urgency", "Past" if cancelled else URGENCY.get(message.level, "Unknown"))
        sub(node, "severity", SEVERITY.get(message.level, "Unknown"))
        sub(node, "certainty", "Observed")
        event_code = sub(node, "eventCode")
        sub(event_code, "valueName", "EWS_CATEGORY")
        sub(event_code, "value", message.category)
        sub(node, "expires", cap_time(message.expires))
        sub(node, "senderName", info.sender_name)
        sub(node, "headline", info.headline)
        sub(node, "description", info.description)
        sub(node, "instruction", info.instruction)
        if message.web:
            sub(node, "web", message.web)
        parameter = sub(node, "parameter")
        sub(parameter, "valueName", "EWS_LEVEL")
        sub(parameter, "value", message.level.value)
        area = sub(node, "area")
        sub(area, "areaDesc", message.area_desc)
        for polygon in message.polygons:
            sub(area, "polygon", polygon)
        geocode = sub(area, "geocode")
        sub(geocode, "valueName", "UBIGEO")
        sub(geocode, "value", message.ubigeo)
    return nodes


# Per thread (lxml trees are not shared between threads): the empty tree of each document shape.
_TEMPLATES = threading.local()


def _template(shape: tuple[tuple[int, str], ...]) -> etree._Element:
    """The elements of ``shape`` without their texts, built once per shape (and thread)."""
    templates: dict[tuple[tuple[int, str], ...], etree._Element] | None = getattr(
        _TEMPLATES, "by_shape", None
    )
    if templates is None:
        templates = _TEMPLATES.by_shape = {}
    root = templates.get(shape)
    if root is None:
        elements: list[etree._Element] = []
        for parent, name in shape:
            tag = f"{{{CAP_NS}}}{name}"
            if parent < 0:
                elements.append(etree.Element(tag, nsmap={None: CAP_NS}))  # type: ignore[dict-item]
            else:
                elements.append(etree.SubElement(elements[parent], tag))
        root = templates[shape] = elements[0]
    return root


def render_cap(message: CapAlert) -> bytes:
    """The CAP 1.2 XML document of ``message`` (UTF-8, with an XML declaration). The elements
    come from a copy of the tree of the document's shape, built once, and get their texts in
    document order."""
    nodes = _document(message)
    root = copy.deepcopy(_template(tuple((parent, name) for parent, name, _text in nodes)))
    for element, (_parent, _name, text) in zip(root.iter(), nodes, strict=True):
        element.text = text
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
