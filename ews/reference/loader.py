"""Load the reference data in ``fixtures/`` idempotently: a second run changes nothing, an edited
fixture updates its rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import (
    CategoryContext,
    Community,
    Contact,
    FactsheetItem,
    IndicatorRule,
    Institution,
    RoutingRule,
)
from ews.models.base import utcnow
from indicators import LIMA
from indicators.geometry import buffer_ring

# The category of the routing rows that name the national-escalation institutions.
NATIONAL_CATEGORY = "*"

FIXTURE_FILES = (
    "institutions.yaml",
    "factsheet.yaml",
    "communities.yaml",
    "contacts.yaml",
    "indicators.yaml",
    "routing.yaml",
)


class FixtureError(ValueError):
    """A fixture file is missing or malformed; the message names the file and the entry."""


@dataclass
class LoadReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, outcome: str) -> None:
        bucket: dict[str, int] = getattr(self, outcome)
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values()) + sum(self.removed.values())


def read_fixture(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"falta el archivo de datos de referencia {path} / missing reference data file {path}"
        raise FixtureError(msg) from exc
    except yaml.YAMLError as exc:
        msg = f"{path}: YAML inválido / invalid YAML: {exc}"
        raise FixtureError(msg) from exc
    if not isinstance(data, dict):
        msg = f"{path}: se esperaba un mapa en la raíz / expected a mapping at the top level"
        raise FixtureError(msg)
    return data


def _upsert(
    session: Session,
    report: LoadReport,
    model: type[Any],
    key: Mapping[str, Any],
    values: Mapping[str, Any],
) -> Any:
    """Insert the row with ``key`` or update only the columns whose value changed."""
    row = session.execute(select(model).filter_by(**key)).scalar_one_or_none()
    table = model.__tablename__
    if row is None:
        row = model(**key, **values)
        session.add(row)
        report.count(table, "inserted")
        return row
    changed = False
    for column, value in values.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
            changed = True
    report.count(table, "updated" if changed else "unchanged")
    return row


def _entries(data: dict[str, Any], key: str, file_name: str) -> Iterable[dict[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list):
        msg = f"{file_name}: falta la lista '{key}' / missing list '{key}'"
        raise FixtureError(msg)
    return entries


def _require(entry: dict[str, Any], names: Iterable[str], where: str) -> None:
    missing = [name for name in names if entry.get(name) in (None, "")]
    if missing:
        msg = f"{where}: faltan los campos {missing} / missing fields {missing}"
        raise FixtureError(msg)


def load_institutions(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    for entry in _entries(data, "institutions", "institutions.yaml"):
        where = f"institutions.yaml: {entry.get('code', '?')}"
        _require(entry, ("code", "acronym", "name_es", "name_en", "role"), where)
        _upsert(
            session,
            report,
            Institution,
            {"code": entry["code"]},
            {
                "acronym": entry["acronym"],
                "name_es": entry["name_es"],
                "name_en": entry["name_en"],
                "role": entry["role"],
                "role_es": entry.get("role_es", entry["role"]),
                "role_en": entry.get("role_en", entry["role"]),
                "parent_code": entry.get("parent"),
                "parent_note": entry.get("parent_note"),
                "mandates": list(entry.get("mandates") or []),
                "mandate_es": entry.get("mandate_es"),
                "mandate_en": entry.get("mandate_en"),
            },
        )


def load_factsheet(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    for position, entry in enumerate(_entries(data, "items", "factsheet.yaml")):
        where = f"factsheet.yaml: {entry.get('code', '?')}"
        _require(entry, ("kind", "code", "title_es", "title_en"), where)
        _upsert(
            session,
            report,
            FactsheetItem,
            {"kind": entry["kind"], "code": entry["code"]},
            {
                "position": position,
                "area": entry.get("area"),
                "title_es": entry["title_es"],
                "title_en": entry["title_en"],
                "summary_es": entry.get("summary_es"),
                "summary_en": entry.get("summary_en"),
                "institution_codes": list(entry.get("institutions") or []),
                "country_count": entry.get("country_count"),
                "extra": dict(entry.get("extra") or {}),
            },
        )


# Where a fixture community's boundary comes from when its entry does not say.
FIXTURE_BOUNDARY_SOURCE = "fixtures/communities.yaml"
# The columns that follow from a community's boundary (written together, by the fixtures or an import).
GEOMETRY_COLUMNS = (
    "boundary",
    "boundary_source",
    "buffer_m",
    "buffer",
    "min_lon",
    "min_lat",
    "max_lon",
    "max_lat",
)


def geometry_values(boundary: dict[str, Any], buffer_m: float) -> dict[str, Any]:
    """The boundary, its approach-zone ring (drawn in the community's own UTM zone) and the box of
    both, as community columns (all of :data:`GEOMETRY_COLUMNS` but ``boundary_source``)."""
    min_lon, min_lat, max_lon, max_lat = shape(boundary).bounds
    ring = buffer_ring(boundary, buffer_m)
    ring_bounds = (
        shape(ring).bounds if ring.get("coordinates") else (min_lon, min_lat, max_lon, max_lat)
    )
    return {
        "boundary": boundary,
        "buffer_m": buffer_m,
        "buffer": ring,
        "min_lon": min(min_lon, ring_bounds[0]),
        "min_lat": min(min_lat, ring_bounds[1]),
        "max_lon": max(max_lon, ring_bounds[2]),
        "max_lat": max(max_lat, ring_bounds[3]),
    }


def community_values(entry: dict[str, Any]) -> dict[str, Any]:
    """Columns of a community row from its fixture entry (the buffer ring computed here)."""
    return {
        "name": entry["name"],
        "people": entry.get("people"),
        "families": entry.get("families"),
        "titled_area_ha": entry.get("titled_area_ha"),
        "region": entry["region"],
        "region_ubigeo": str(entry["region_ubigeo"]),
        "province": entry["province"],
        "district": entry["district"],
        "ubigeo": str(entry["ubigeo"]),
        "access_es": entry.get("access_es"),
        "notes": entry.get("notes"),
        **geometry_values(entry["boundary"], float(entry.get("buffer_m", 5000))),
        "boundary_source": entry.get("boundary_source") or FIXTURE_BOUNDARY_SOURCE,
        "synthetic": bool(entry.get("synthetic", False)),
    }


def load_communities(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    for entry in _entries(data, "communities", "communities.yaml"):
        where = f"communities.yaml: {entry.get('code', '?')}"
        _require(
            entry,
            (
                "code",
                "name",
                "region",
                "region_ubigeo",
                "province",
                "district",
                "ubigeo",
                "boundary",
            ),
            where,
        )
        try:
            values = community_values(entry)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            msg = f"{where}: geometría inválida / invalid geometry: {exc}"
            raise FixtureError(msg) from exc
        if entry.get("monitored_since") is not None:
            values["monitored_since"] = _date(entry["monitored_since"], where, "monitored_since")
        existing = session.get(Community, entry["code"])
        if existing is not None and existing.boundary_source != values["boundary_source"]:
            # A boundary loaded since (ews communities import) is kept over the fixture's.
            for column in GEOMETRY_COLUMNS:
                values.pop(column)
        row = _upsert(session, report, Community, {"code": entry["code"]}, values)
        if row.monitored_since is None:
            row.monitored_since = lima_today()  # enrolled now: watched from today


def _date(value: Any, where: str, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        msg = f"{where}: {field} debe ser una fecha AAAA-MM-DD / must be a YYYY-MM-DD date"
        raise FixtureError(msg) from exc


def lima_today() -> date:
    return utcnow().astimezone(LIMA).date()


def load_contacts(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    seen: set[str] = set()
    for entry in _entries(data, "contacts", "contacts.yaml"):
        where = f"contacts.yaml: {entry.get('code', '?')}"
        _require(entry, ("code", "institution", "name", "channel", "address", "scope"), where)
        if entry["scope"] == "regional" and not entry.get("region_ubigeo"):
            msg = f"{where}: un contacto regional necesita region_ubigeo / a regional contact needs region_ubigeo"
            raise FixtureError(msg)
        seen.add(entry["code"])
        _upsert(
            session,
            report,
            Contact,
            {"code": entry["code"]},
            {
                "institution_code": entry["institution"],
                "name": entry["name"],
                "channel": entry["channel"],
                "address": entry["address"],
                "scope": entry["scope"],
                "region_ubigeo": (
                    str(entry["region_ubigeo"]) if entry.get("region_ubigeo") else None
                ),
                "language": entry.get("language", "es"),
                "min_level": entry.get("min_level", "warning"),
                "payload_format": entry.get("payload_format", "json"),
                "active": bool(entry.get("active", True)),
            },
        )
    # A contact taken out of the fixture stops receiving alerts; its delivery history stays.
    for contact in session.execute(select(Contact).where(Contact.code.not_in(seen))).scalars():
        if contact.active:
            contact.active = False
            report.count("contact", "removed")


def load_indicator_rules(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    for entry in _entries(data, "indicators", "indicators.yaml"):
        where = f"indicators.yaml: {entry.get('code', '?')}"
        _require(entry, ("code", "category", "name_es", "name_en"), where)
        _upsert(
            session,
            report,
            IndicatorRule,
            {"code": entry["code"]},
            {
                "category": entry["category"],
                "window_days": entry.get("window_days"),
                "warning": entry.get("warning"),
                "high": entry.get("high"),
                "critical": entry.get("critical"),
                "params": dict(entry.get("params") or {}),
                "name_es": entry["name_es"],
                "name_en": entry["name_en"],
                "unit": entry.get("unit", "count"),
            },
        )


def load_routing(session: Session, data: dict[str, Any], report: LoadReport) -> None:
    for entry in _entries(data, "categories", "routing.yaml"):
        where = f"routing.yaml: {entry.get('category', '?')}"
        _require(entry, ("category", "name_es", "name_en", "prototype_block"), where)
        _upsert(
            session,
            report,
            CategoryContext,
            {"category": entry["category"]},
            {
                "name_es": entry["name_es"],
                "name_en": entry["name_en"],
                "prototype_block": entry["prototype_block"],
                "action_es": entry.get("action_es", ""),
                "action_en": entry.get("action_en", ""),
                "reporter_words_allowed": bool(entry.get("reporter_words_allowed", False)),
            },
        )
    wanted: set[tuple[str, str]] = set()
    for entry in _entries(data, "routing", "routing.yaml"):
        where = f"routing.yaml: {entry.get('category', '?')} -> {entry.get('institution', '?')}"
        _require(entry, ("category", "institution", "role"), where)
        wanted.add((entry["category"], entry["institution"]))
        _upsert(
            session,
            report,
            RoutingRule,
            {"category": entry["category"], "institution_code": entry["institution"]},
            {"role": entry["role"], "condition": entry.get("condition")},
        )
    # Escalation to national level, as rows of role "national" for any category ("*").
    for code in data.get("national_escalation") or []:
        wanted.add((NATIONAL_CATEGORY, code))
        _upsert(
            session,
            report,
            RoutingRule,
            {"category": NATIONAL_CATEGORY, "institution_code": code},
            {"role": "national", "condition": None},
        )
    for rule in session.execute(select(RoutingRule)).scalars():
        if (rule.category, rule.institution_code) not in wanted:
            session.delete(rule)
            report.count("routing_rule", "removed")


LOADERS: tuple[tuple[str, Callable[[Session, dict[str, Any], LoadReport], None]], ...] = (
    ("institutions.yaml", load_institutions),
    ("factsheet.yaml", load_factsheet),
    ("communities.yaml", load_communities),
    ("contacts.yaml", load_contacts),
    ("indicators.yaml", load_indicator_rules),
    ("routing.yaml", load_routing),
)


def load_reference_data(session: Session, directory: Path) -> LoadReport:
    """Load every fixture file in ``directory`` into the session (the caller commits)."""
    report = LoadReport()
    for file_name, loader in LOADERS:
        loader(session, read_fixture(directory, file_name), report)
        session.flush()
    return report
