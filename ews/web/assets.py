"""The pages' scripts, styles and icons, read from the package (no CDN), with content hashes."""

from __future__ import annotations

import functools
import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources

TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@functools.cache
def asset(name: str) -> Asset | None:
    """A file of ``ews/web/static`` (read once), or ``None`` if there is no such file."""
    if "/" in name or name.startswith("."):
        return None
    resource = resources.files("ews.web").joinpath("static", name)
    if not resource.is_file():
        return None
    body = resource.read_bytes()
    suffix = name[name.rfind(".") :]
    media_type = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Asset(body, media_type, hashlib.sha256(body).hexdigest()[:12])


def asset_url(name: str) -> str:
    """``/static/<name>?v=<hash>``: the hash changes with the file, so browsers may cache it long."""
    found = asset(name)
    return f"/static/{name}?v={found.etag}" if found else f"/static/{name}"
