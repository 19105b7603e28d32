"""``/dashboard/photos/{id}``: a photo (or its thumbnail) for the signed-in dashboard.

The same readers as ``GET /api/v1/photos/{id}`` (``may_read_photo``), with the session cookie
instead of a key; anyone else gets 404, as if it did not exist. Never who took it.
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.models import Photo
from ews.photos.service import may_read_photo, store_of
from ews.photos.storage import THUMBNAIL_MEDIA_TYPE
from ews.web.pages import PAGE_NOT_FOUND, WebPrincipal, WebRoute

PREFIX = "/dashboard/photos"

router = APIRouter(prefix=PREFIX, route_class=WebRoute, include_in_schema=False)


def photo_urls(session: Session, report_id: str) -> list[dict[str, str]]:
    """The dashboard links of a report's photos, in the order they arrived."""
    ids = session.execute(
        select(Photo.id).where(Photo.report_id == report_id).order_by(Photo.received_at, Photo.id)
    ).scalars()
    return [{"url": f"{PREFIX}/{i}", "thumbnail_url": f"{PREFIX}/{i}?size=thumb"} for i in ids]


def owned_photo_urls(
    session: Session, column: str, ids: list[str]
) -> dict[str, list[dict[str, str]]]:
    """The dashboard links of the photos of each field check (``column="check_id"``) or patrol
    (``"patrol_id"``), in the order they arrived; owners without photos are left out."""
    if not ids:
        return {}
    owner = getattr(Photo, column)
    rows = session.execute(
        select(owner, Photo.id).where(owner.in_(ids)).order_by(Photo.received_at, Photo.id)
    ).all()
    found: dict[str, list[dict[str, str]]] = {}
    for owner_id, photo_id in rows:
        found.setdefault(str(owner_id), []).append(
            {"url": f"{PREFIX}/{photo_id}", "thumbnail_url": f"{PREFIX}/{photo_id}?size=thumb"}
        )
    return found


def photo_counts(session: Session, report_ids: list[str]) -> dict[str, int]:
    """How many photos each report has (reports without any are left out)."""
    if not report_ids:
        return {}
    rows = session.execute(
        select(Photo.report_id, func.count())
        .where(Photo.report_id.in_(report_ids))
        .group_by(Photo.report_id)
    ).all()
    return {str(report_id): int(count) for report_id, count in rows}


@router.get("/{photo_id}")
def photo_file(
    session: SessionDep,
    settings: SettingsDep,
    principal: WebPrincipal,
    photo_id: uuid.UUID,
    size: Literal["full", "thumb"] = "full",
) -> FileResponse:
    photo = session.get(Photo, str(photo_id))
    if photo is None or not may_read_photo(session, principal, photo):
        raise NotFound("photo_not_found", PAGE_NOT_FOUND)
    store = store_of(settings)
    if size == "thumb":
        path = store.path_of(photo.thumbnail_sha256, THUMBNAIL_MEDIA_TYPE)
        media_type = THUMBNAIL_MEDIA_TYPE
    else:
        path = store.path_of(photo.stored_sha256, photo.media_type)
        media_type = photo.media_type
    if not path.is_file():
        raise NotFound("photo_file_missing", PAGE_NOT_FOUND)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, no-store"})
