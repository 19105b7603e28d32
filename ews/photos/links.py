"""How a report lists its photos: ids, hashes and links, never who took them."""

from __future__ import annotations

from pydantic import BaseModel

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
