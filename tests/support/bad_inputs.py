"""Feed uploads that are malformed as a whole, the first part of the corpus in
``tests/api/test_intake_bad_inputs.py``: empty, mistaken for another source or format, binary,
in another encoding, over the size limit. Each case is (name, method, path, role, request kwargs,
status, words in the detail).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from typing import Any

VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
ROW = "-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N"
GFW = "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence"


def zipped_firms() -> bytes:
    """A FIRMS file in a zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("viirs.csv", f"{VIIRS}\n{ROW}\n")
    return buffer.getvalue()


# (name, method, path, role, request kwargs, status, words in the detail)
Case = tuple[str, str, str, str, dict[str, Any], int, str]
BAD_FEEDS: list[Case] = [
    ("feed: empty body", "post", "/api/v1/feeds/firms", "feed", {"content": b""}, 400, "vacío"),
    (
        "feed: only blanks",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": b" \r\n\r\n"},
        400,
        "vacío",
    ),
    (
        "feed: only a BOM",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": b"\xef\xbb\xbf"},
        400,
        "vacío",
    ),
    (
        "feed: JSON instead of CSV",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": b'{"latitude": -8.3}'},
        422,
        "Formato desconocido",
    ),
    (
        "feed: an HTML page",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": b"<!doctype html><html><body>Login</body></html>"},
        422,
        "Formato desconocido",
    ),
    (
        "feed: GFW file sent as FIRMS",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": f"{GFW}\n-8.3,-74.1,2026-11-18,high\n".encode()},
        422,
        "bright_ti4",
    ),
    (
        "feed: FIRMS file sent as GFW",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": f"{VIIRS}\n{ROW}\n".encode()},
        422,
        "__date",
    ),
    (
        "feed: FIRMS without acq_time",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": VIIRS.replace("acq_time,", "").encode()},
        422,
        "acq_time",
    ),
    (
        "feed: GFW with two datasets",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": b"latitude,longitude,wur_radd_alerts__date,umd_glad_landsat_alerts__date\n"},
        422,
        "Formato desconocido",
    ),
    (
        "feed: semicolon-separated",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": VIIRS.replace(",", ";").encode()},
        422,
        "punto y coma",
    ),
    (
        "feed: tab-separated",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": GFW.replace(",", "\t").encode()},
        422,
        "tabulaciones",
    ),
    (
        "feed: gzip",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": gzip.compress(f"{VIIRS}\n{ROW}\n".encode() * 20)},
        415,
        "binario",
    ),
    (
        "feed: zip",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": zipped_firms()},
        415,
        "binario",
    ),
    (
        "feed: UTF-16 with BOM",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": f"{VIIRS}\n{ROW}\n".encode("utf-16")},
        415,
        "UTF-16",
    ),
    (
        "feed: UTF-16 without BOM",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": f"{VIIRS}\n{ROW}\n".encode("utf-16-le")},
        415,
        "binario",
    ),
    (
        "feed: PNG image",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))},
        415,
        "binario",
    ),
    (
        "feed: random control bytes",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": bytes([1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0x81, 0x9F, 0xFF] * 50)},
        415,
        "UTF-8",
    ),
    (
        "feed: over the size limit",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": (f"{VIIRS}\n" + f"{ROW}\n" * 400).encode()},
        413,
        "límite",
    ),
    (
        "feed: multipart over the size limit",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"files": {"file": ("big.csv", (f"{VIIRS}\n" + f"{ROW}\n" * 400).encode(), "text/csv")}},
        413,
        "límite",
    ),
    (
        "feed: multipart without a file",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"data": {"note": "hola"}, "files": {"x": ("", b"", "text/plain")}},
        422,
        "Falta el archivo",
    ),
    (
        "feed: unknown source",
        "post",
        "/api/v1/feeds/modis",
        "feed",
        {"content": b"a,b\n"},
        422,
        "source",
    ),
]
