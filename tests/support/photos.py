"""Photos for the tests: images made with Pillow carrying device, owner, time and GPS EXIF, and a
Kobo-like server on loopback that serves attachments only with the right token."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import ExifTags, Image

# What a phone writes about itself and its owner: none of it may survive.
DEVICE_FIELDS: dict[int, str] = {
    ExifTags.Base.Make: "Samsung",
    ExifTags.Base.Model: "SM-A146M",
    ExifTags.Base.Artist: "Juana Quispe Fotografa",
    ExifTags.Base.Copyright: "(c) Juana Quispe Fotografa",
    ExifTags.Base.Software: "A146MUBS4CXB1",
}
DEVICE_EXIF_FIELDS: dict[int, Any] = {
    ExifTags.Base.BodySerialNumber: "R58W20ABCDE",
    ExifTags.Base.CameraOwnerName: "Juana Quispe Fotografa",
    ExifTags.Base.ImageUniqueID: "f00dfeedcafe0123456789abcdef0123",
    ExifTags.Base.LensSerialNumber: "LENS-998877",
    ExifTags.Base.MakerNote: b"SAMSUNG-MAKERNOTE-serial-R58W20ABCDE",
    ExifTags.Base.UserComment: b"ASCII\x00\x00\x00foto de Juana",
}
TAKEN_AT = "2026:11:20 07:55:00"
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "S",
    ExifTags.GPS.GPSLatitude: (8.0, 18.0, 36.0),
    ExifTags.GPS.GPSLongitudeRef: "W",
    ExifTags.GPS.GPSLongitude: (74.0, 4.0, 48.0),
}
# Words that must not appear anywhere in a stored or served photo.
DEVICE_WORDS = ("Samsung", "SM-A146M", "Juana", "Quispe", "R58W20ABCDE", "LENS-998877", "A146MUBS")


def photo_bytes(
    *,
    format: str = "JPEG",
    size: tuple[int, int] = (640, 480),
    color: str = "darkgreen",
    orientation: int | None = 6,
    with_exif: bool = True,
    artist: str | None = None,
) -> bytes:
    """An image with a red band on its top rows (so orientation can be checked) and, unless
    ``with_exif`` is false, EXIF with device, owner (``artist``), time and GPS fields."""
    image = Image.new("RGB", size, color)
    image.paste("red", (0, 0, size[0], size[1] // 8))
    options: dict[str, Any] = {}
    if with_exif:
        exif = Image.Exif()
        for tag, value in DEVICE_FIELDS.items():
            exif[tag] = value
        if artist is not None:
            exif[ExifTags.Base.Artist] = artist
            exif[ExifTags.Base.Copyright] = f"(c) {artist}"
        exif[ExifTags.Base.DateTime] = TAKEN_AT
        if orientation is not None:
            exif[ExifTags.Base.Orientation] = orientation
        exif[ExifTags.IFD.Exif] = {
            ExifTags.Base.DateTimeOriginal: TAKEN_AT,
            ExifTags.Base.OffsetTimeOriginal: "-05:00",
            **DEVICE_EXIF_FIELDS,
        }
        exif[ExifTags.IFD.GPSInfo] = dict(GPS)
        options["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def read_exif(data: bytes) -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
    """The base, Exif and GPS tags of an image."""
    exif = Image.open(io.BytesIO(data)).getexif()
    return (
        dict(exif),
        dict(exif.get_ifd(ExifTags.IFD.Exif)),
        dict(exif.get_ifd(ExifTags.IFD.GPSInfo)),
    )


@dataclass
class KoboServer:
    """Serves ``files`` (path -> bytes) to requests carrying ``Authorization: Token <token>``;
    answers 401 otherwise (``token=None``: to anyone, as a file storage does). ``redirects`` (path
    -> Location) are answered 302, as Kobo sends an attachment to its storage. ``requests`` lists
    (path, authorization header) as they came."""

    token: str | None
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                authorization = self.headers.get("Authorization")
                server.requests.append((self.path, authorization))
                body = server.files.get(self.path)
                if server.token is not None and authorization != f"Token {server.token}":
                    self._answer(
                        401, b'{"detail": "Authentication credentials were not provided."}'
                    )
                elif self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif body is None:
                    self._answer(404, b'{"detail": "Not found."}')
                else:
                    self._answer(200, body, "image/jpeg")

            def _answer(self, code: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> KoboServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
