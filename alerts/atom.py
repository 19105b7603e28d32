"""Atom (RFC 4287) feed of alerts, each entry linking its CAP 1.2 message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a stable URI
    title: str
    updated: datetime
    summary: str
    cap_url: str
    html_url: str | None = None
    categories: Sequence[str] = ()


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def render_atom(
    *,
    feed_id: str,
    title: str,
    self_url: str,
    updated: datetime,
    entries: Sequence[FeedEntry],
    author: str,
) -> bytes:
    """The Atom XML document. ``updated`` is the newest entry's time (or the caller's ``now``)."""
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})  # type: ignore[dict-item]
    _sub(root, "id", feed_id)
    _sub(root, "title", title)
    _sub(root, "updated", _atom_time(updated))
    link = _sub(root, "link")
    link.set("rel", "self")
    link.set("href", self_url)
    author_node = _sub(root, "author")
    _sub(author_node, "name", author)
    for entry in entries:
        node = _sub(root, "entry")
        _sub(node, "id", entry.id)
        _sub(node, "title", entry.title)
        _sub(node, "updated", _atom_time(entry.updated))
        _sub(node, "summary", entry.summary)
        for category in entry.categories:
            _sub(node, "category").set("term", category)
        cap = _sub(node, "link")
        cap.set("rel", "alternate")
        cap.set("type", CAP_MEDIA_TYPE)
        cap.set("href", entry.cap_url)
        if entry.html_url:
            html = _sub(node, "link")
            html.set("rel", "related")
            html.set("type", "application/json")
            html.set("href", entry.html_url)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
