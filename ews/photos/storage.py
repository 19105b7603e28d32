"""Photo files under ``EWS_PHOTOS_DIR``, named by the SHA-256 of their content.

A file is written to a temporary name in its final folder and renamed into place, so a reader never
sees half a file. Files are written before the database row is committed: a failed commit leaves a
file no row names (harmless: the same content written again reuses it), never a row without its
file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ews.photos.images import EXTENSIONS

THUMBNAIL_MEDIA_TYPE = "image/jpeg"


class PhotoStore:
    """Content-addressed files: ``<folder>/<first two hex digits>/<sha256><extension>``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, sha256: str, media_type: str) -> Path:
        return self.folder / sha256[:2] / f"{sha256}{EXTENSIONS[media_type]}"

    def write(self, data: bytes, *, sha256: str, media_type: str) -> Path:
        """Write ``data`` (whose hash is ``sha256``) unless a file of that content exists."""
        target = self.path_of(sha256, media_type)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target
