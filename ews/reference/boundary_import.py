"""Write the communities of a boundary file (``ews communities import``): add the new ones, update
the ones whose boundary or attributes changed, leave the rest untouched, and say which was which.

Idempotent: the same file twice changes nothing the second time (every community ``unchanged``).
A changed boundary gets a new approach-zone ring, drawn in its own UTM zone, and the file's
``boundary_source``; a community the file does not carry is left as it is. The caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ews import audit
from ews.models import AuditAction, Community, IndicatorRollupState
from ews.reference.boundaries import CommunityRecord, FeatureError
from ews.reference.loader import geometry_values, lima_today

DEFAULT_BUFFER_M = 5000.0
AUDIT_OBJECT_ID_CHARS = 80  # audit_log.object_id
SYNTHETIC_MARK = "sintético / synthetic"
# What a file can say of a community besides its boundary (the rest stays as it was).
ATTRIBUTES = (
    "name",
    "people",
    "titled_area_ha",
    "region",
    "region_ubigeo",
    "province",
    "district",
    "ubigeo",
    "synthetic",
)
OUTCOMES = ("added", "geometry_changed", "attributes_changed", "unchanged", "rejected")


@dataclass
class ImportReport:
    """What an import did, community by community (codes in file order)."""

    source: str
    added: list[str] = field(default_factory=list)
    geometry_changed: list[str] = field(default_factory=list)
    attributes_changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    rejected: list[FeatureError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "geometry_changed": len(self.geometry_changed),
            "attributes_changed": len(self.attributes_changed),
            "unchanged": len(self.unchanged),
            "repaired": len(self.repaired),
            "rejected": len(self.rejected),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **self.counts(),
            "codes": {
                "added": self.added,
                "geometry_changed": self.geometry_changed,
                "attributes_changed": self.attributes_changed,
                "repaired": self.repaired,
            },
            "errors": [error.as_dict() for error in self.rejected],
        }


def boundary_source_of(record: CommunityRecord, source: str) -> str:
    """The ``boundary_source`` an imported record gets: the source, marked when synthetic."""
    if record.attributes.get("synthetic"):
        return f"{SYNTHETIC_MARK} · {source}"
    return source


def import_communities(
    session: Session,
    records: Sequence[CommunityRecord],
    *,
    source: str,
    errors: Sequence[FeatureError] = (),
    buffer_m: float | None = None,
    actor: str = "cli",
    now: datetime,
    progress: Callable[[], None] | None = None,
) -> ImportReport:
    """Upsert ``records`` into ``community`` (flushes; the caller commits) and report each one.

    ``buffer_m`` is the approach zone's width for new communities (default 5 km) and, when given,
    for changed ones too; a community whose width changes counts as ``geometry_changed``.
    A new community needs a ubigeo (its region routes its alerts): without one it is rejected.
    """
    report = ImportReport(source=source, rejected=list(errors))
    codes = [record.code for record in records]
    existing = {
        row.code: row
        for chunk in _chunks(codes, 500)
        for row in session.execute(select(Community).where(Community.code.in_(chunk))).scalars()
    }
    for record in records:
        row = existing.get(record.code)
        outcome = _apply(session, report, record, row, source=source, buffer_m=buffer_m)
        if outcome is not None:
            getattr(report, outcome).append(record.code)
            if record.repaired:
                report.repaired.append(record.code)
        if progress is not None:
            progress()
    if report.geometry_changed:
        # Stored daily rollups were cut with the old boundaries: the next computation is a full one.
        session.execute(delete(IndicatorRollupState))
    session.flush()
    if report.added or report.geometry_changed or report.attributes_changed:
        audit.record(
            session,
            actor=actor,
            action=AuditAction.communities_imported,
            object_type="community",
            object_id=source[:AUDIT_OBJECT_ID_CHARS],
            details={"source": source, **report.counts()},
        )
    return report


def _apply(
    session: Session,
    report: ImportReport,
    record: CommunityRecord,
    row: Community | None,
    *,
    source: str,
    buffer_m: float | None,
) -> str | None:
    attributes = {k: v for k, v in record.attributes.items() if k in ATTRIBUTES}
    if row is None:
        if not attributes.get("ubigeo"):
            report.rejected.append(
                FeatureError(
                    record.index,
                    record.code,
                    "no_ubigeo",
                    "comunidad nueva sin ubigeo (indique --ubigeo-field) / new community "
                    "without a ubigeo (name it with --ubigeo-field)",
                )
            )
            return None
        values = {
            "name": attributes.get("name") or record.code,
            "people": attributes.get("people"),
            "titled_area_ha": attributes.get("titled_area_ha"),
            "region": attributes["region"],
            "region_ubigeo": attributes["region_ubigeo"],
            "province": attributes.get("province") or "",
            "district": attributes.get("district") or "",
            "ubigeo": attributes["ubigeo"],
            "synthetic": bool(attributes.get("synthetic", False)),
            **geometry_values(record.boundary, buffer_m or DEFAULT_BUFFER_M),
            "boundary_source": boundary_source_of(record, source),
            "monitored_since": lima_today(),
        }
        session.add(Community(code=record.code, **values))
        return "added"
    width = buffer_m if buffer_m is not None else row.buffer_m
    geometry_changed = row.boundary != record.boundary or row.buffer_m != width
    if attributes.get("name") is None:
        attributes.pop("name", None)  # a community always has a name
    for required in ("province", "district"):
        if attributes.get(required) is None:
            attributes.pop(required, None)
    attributes_changed = False
    for column, value in attributes.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
            attributes_changed = True
    if geometry_changed:
        values = geometry_values(record.boundary, width)
        values["boundary_source"] = boundary_source_of(record, source)
        for column, value in values.items():
            setattr(row, column, value)
        return "geometry_changed"
    return "attributes_changed" if attributes_changed else "unchanged"


def _chunks(items: Sequence[str], size: int) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
