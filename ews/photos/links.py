"""How a report lists its photos: ids, hashes and links, never who took them."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import Photo

PHOTOS_PATH = "/api/v1/photos"


class PhotoLink(BaseModel):
    """A photo as a report lists it: never who took it."""

    id: str
    sha256: str
    stored_sha256: str
    media_type: str
    url: str
    thumbnail_url: str

    @classmethod
    def of(cls, photo: Photo) -> PhotoLink:
        return cls(
            id=photo.id,
            sha256=photo.sha256,
            stored_sha256=photo.stored_sha256,
            media_type=photo.media_type,
            url=f"{PHOTOS_PATH}/{photo.id}",
            thumbnail_url=f"{PHOTOS_PATH}/{photo.id}?size=thumb",
        )


def owned_photo_links(session: Session, column: str, ids: list[str]) -> dict[str, list[PhotoLink]]:
    """The photos of each field check (``column="check_id"``) or patrol (``"patrol_id"``), in the
    order they arrived."""
    found: dict[str, list[PhotoLink]] = {owner_id: [] for owner_id in ids}
    if not ids:
        return found
    owner = getattr(Photo, column)
    rows = session.execute(
        select(Photo).where(owner.in_(ids)).order_by(Photo.received_at, Photo.id)
    ).scalars()
    for photo in rows:
        found[getattr(photo, column)].append(PhotoLink.of(photo))
    return found
