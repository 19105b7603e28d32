"""Open a feed file as CSV text: size limit, encoding (UTF-8 with or without BOM, else Latin-1),
binary and empty files refused up front. The file is read lazily, so memory stays flat."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from ews.intake.feeds.errors import FeedError

HEAD_BYTES = 64 * 1024


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)):
        raise FeedError(
            "El archivo está en UTF-16/UTF-32; guárdelo como CSV UTF-8. / The file is UTF-16 or "
            "UTF-32; save it as UTF-8 CSV.",
            status_code=415,
        )
    if b"\x00" in head:
        raise FeedError(
            "El archivo es binario (¿ZIP, Excel o imagen?), no un CSV de texto; descomprímalo o "
            "expórtelo como CSV. / The file is binary (ZIP, Excel or an image?), not a text CSV; "
            "unpack it or export it as CSV.",
            status_code=415,
        )
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32 or 127 <= byte < 160)
        if controls > len(head) // 100:
            raise FeedError(
                "El archivo no es texto UTF-8 ni Latin-1; expórtelo como CSV UTF-8. / The file is "
                "neither UTF-8 nor Latin-1 text; export it as UTF-8 CSV.",
                status_code=415,
            ) from None
        return "latin-1"
    return "utf-8"


def open_csv(
    stream: BinaryIO, *, max_bytes: int | None = None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The normalized header (lower case, trimmed) and an iterator of ``(line number, fields)``
    for the data rows (the header is line 1).

    ``stream`` must be seekable (an uploaded file is spooled first). Raises ``FeedError`` for an empty,
    binary, oversized or header-less file.
    """
    if max_bytes is not None:
        size = stream.seek(0, io.SEEK_END)
        if size > max_bytes:
            raise FeedError(
                f"El archivo pesa {size} bytes, más que el límite de {max_bytes}; divídalo. / The "
                f"file is {size} bytes, over the {max_bytes}-byte limit; split it.",
                status_code=413,
            )
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    if not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise FeedError("El archivo está vacío. / The file is empty.", status_code=400)
    encoding = _encoding(head)
    # A stray invalid byte later on becomes U+FFFD and that row is quarantined, not the file.
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FeedError(f"No es un CSV legible / not a readable CSV: {exc}") from exc
    header = [name.strip().strip('"').lower().lstrip("\ufeff") for name in header]
    return header, _rows(reader, text)


def _rows(reader: Any, text: io.TextIOWrapper) -> Iterator[tuple[int, list[str]]]:
    try:
        for fields in reader:
            yield reader.line_num, fields
    except csv.Error as exc:
        raise FeedError(f"El CSV está mal formado / the CSV is malformed: {exc}") from exc
    finally:
        text.detach()  # leave the caller's stream open
