"""Photos of reports: take one in (idempotent by content), say who may see it, list a report's.

Functions flush, never commit: the caller's transaction holds the row, and the files are written
before it commits (``ews.photos.storage``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ews.auth.keys import Principal, Role
from ews.models import Alert, FieldCheck, Patrol, Photo, PhotoFetch, Report
from ews.photos.images import clean_photo, sha256_of, too_large
from ews.photos.links import PhotoLink
from ews.photos.storage import THUMBNAIL_MEDIA_TYPE, PhotoStore
from ews.settings import Settings


@dataclass(frozen=True)
class Received:
    photo: Photo
    created: bool  # False: the same bytes were already a photo of this report


def store_of(settings: Settings) -> PhotoStore:
    return PhotoStore(settings.photos_dir)


def owner_of(
    report: Report | None = None, check: FieldCheck | None = None, patrol: Patrol | None = None
) -> tuple[str, str]:
    """The column and id of what a photo is evidence of: exactly one report, check or patrol."""
    owners = [
        (column, thing.id)
        for column, thing in (("report_id", report), ("check_id", check), ("patrol_id", patrol))
        if thing is not None
    ]
    assert len(owners) == 1, "a photo is of exactly one report, field check or patrol"
    return owners[0]


def receive_photo(
    session: Session,
    *,
    settings: Settings,
    data: bytes,
    keep_time_and_place: bool,
    source: str,
    now: datetime,
    report: Report | None = None,
    check: FieldCheck | None = None,
    patrol: Patrol | None = None,
) -> Received:
    """Take ``data`` as a photo of ``report`` (or of ``check``, or of ``patrol``): the same bytes
    again answer the stored photo; otherwise verify and clean it (``ImageRefused`` when it is not
    taken, with nothing stored), write its files, and add the row."""
    owner = owner_of(report, check, patrol)
    if len(data) > settings.photo_max_bytes:
        raise too_large(settings.photo_max_bytes)
    sha256 = sha256_of(data)
    existing = _find(session, owner, sha256)
    if existing is not None:
        return Received(existing, created=False)
    cleaned = clean_photo(
        data, keep_time_and_place=keep_time_and_place, max_pixels=settings.photo_max_pixels
    )
    store = store_of(settings)
    store.write(cleaned.image, sha256=cleaned.image_sha256, media_type=cleaned.media_type)
    store.write(cleaned.thumbnail, sha256=cleaned.thumbnail_sha256, media_type=THUMBNAIL_MEDIA_TYPE)
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        owner[0]: owner[1],
        "sha256": sha256,
        "original_bytes": len(data),
        "stored_sha256": cleaned.image_sha256,
        "media_type": cleaned.media_type,
        "width": cleaned.width,
        "height": cleaned.height,
        "thumbnail_sha256": cleaned.thumbnail_sha256,
        "kept_time_and_place": keep_time_and_place,
        "source": source,
        "received_at": now,
    }
    # Two identical uploads at once store one row on either engine: insert or nothing, re-read.
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Photo)
    inserted = session.execute(
        insert.values(**values).on_conflict_do_nothing().returning(Photo.id)
    ).all()
    stored = _find(session, owner, sha256)
    assert stored is not None
    return Received(stored, created=bool(inserted))


def _find(session: Session, owner: tuple[str, str], sha256: str) -> Photo | None:
    column, owner_id = owner
    return session.execute(
        select(Photo).where(getattr(Photo, column) == owner_id, Photo.sha256 == sha256)
    ).scalar_one_or_none()


def may_read_report(session: Session, principal: Principal, report: Report) -> bool:
    """Analysts and admins read every report; a monitor its own community's; an institution the
    reports behind an alert routed to it; nobody else."""
    if principal.role in (Role.admin, Role.analyst):
        return True
    if principal.role is Role.monitor:
        return principal.community_code == report.community_code
    if principal.role is Role.institution and principal.institution_code:
        alerts = session.execute(
            select(Alert.routed_to, Alert.evidence).where(
                Alert.community_code == report.community_code
            )
        ).all()
        return any(
            principal.institution_code in (routed or [])
            and report.id in ((evidence or {}).get("report_ids") or [])
            for routed, evidence in alerts
        )
    return False


def may_read_photo(session: Session, principal: Principal, photo: Photo) -> bool:
    """A report's photo: its report's readers. A field check's or a patrol's: analysts, admins
    and monitors of its community (as ``GET /api/v1/checks`` and ``/patrols`` show them)."""
    if photo.report_id is not None:
        report = session.get(Report, photo.report_id)
        return report is not None and may_read_report(session, principal, report)
    owner: FieldCheck | Patrol | None = (
        session.get(FieldCheck, photo.check_id)
        if photo.check_id is not None
        else session.get(Patrol, photo.patrol_id)
        if photo.patrol_id is not None
        else None
    )
    return owner is not None and may_read_field_photos(principal, owner.community_code)


def may_read_field_photos(principal: Principal, community_code: str) -> bool:
    """Who sees the photos of a community's field checks and patrols: analysts, admins and the
    community's monitors (never an institution, even one the alert is routed to)."""
    if principal.role in (Role.admin, Role.analyst):
        return True
    return principal.role is Role.monitor and principal.community_code == community_code


def may_add_photos(principal: Principal, report: Report) -> bool:
    """The report's writers: a monitor of its community, an admin."""
    if principal.role is Role.admin:
        return True
    return principal.role is Role.monitor and principal.community_code == report.community_code


def photo_links(session: Session, report_ids: list[str]) -> dict[str, list[PhotoLink]]:
    """The photos of each report, in the order they arrived."""
    found: dict[str, list[PhotoLink]] = {report_id: [] for report_id in report_ids}
    if not report_ids:
        return found
    rows = session.execute(
        select(Photo).where(Photo.report_id.in_(report_ids)).order_by(Photo.received_at, Photo.id)
    ).scalars()
    for photo in rows:
        if photo.report_id is not None:
            found[photo.report_id].append(PhotoLink.of(photo))
    return found


def pending_fetches(session: Session, report_ids: list[str]) -> dict[str, int]:
    """How many Kobo attachments of each report are still to be fetched."""
    if not report_ids:
        return {}
    rows = session.execute(
        select(PhotoFetch.report_id, func.count())
        .where(PhotoFetch.report_id.in_(report_ids), PhotoFetch.status == "pending")
        .group_by(PhotoFetch.report_id)
    ).all()
    return {report_id: int(count) for report_id, count in rows}
