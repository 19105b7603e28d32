"""Pull of feed files from ``settings.feed_pull_sources`` (the ``pull-feeds`` job calls it for each).

Each entry reads ``SOURCE=LOCATION``: ``firms=https://.../viirs.csv`` or ``gfw=/data/gfw-drop``.
A URL is downloaded (size-limited) and loaded each time; natural keys make a reload add nothing. A
folder's ``*.csv`` files are loaded once each: a file already loaded with the same size and
modification time is skipped. Every file is its own transaction, so one bad file sinks no other.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ews.db import session_scope
from ews.intake.feeds import FeedError, FeedSource, ingest_feed
from ews.models import IngestBatch
from ews.settings import Settings

logger = logging.getLogger(__name__)
DOWNLOAD_TIMEOUT_S = 60.0


class PullError(Exception):
    """A source could not be reached or read."""


def parse_source(entry: str) -> tuple[FeedSource, str]:
    """``"firms=https://..."`` -> ``(FeedSource.firms, "https://...")``."""
    name, separator, location = entry.partition("=")
    try:
        source = FeedSource(name.strip().lower())
    except ValueError:
        source = None
    if not separator or source is None or not location.strip():
        msg = (
            f"fuente mal escrita, use firms=URL|CARPETA o gfw=URL|CARPETA / malformed source, "
            f"use firms=URL|FOLDER or gfw=URL|FOLDER: {entry!r}"
        )
        raise PullError(msg)
    return source, location.strip()


def _download(url: str, limit: int, into: BinaryIO) -> None:
    size = 0
    try:
        with httpx.stream("GET", url, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True) as reply:
            reply.raise_for_status()
            for chunk in reply.iter_bytes():
                size += len(chunk)
                if size > limit:
                    msg = f"más de {limit} bytes / over {limit} bytes: {url}"
                    raise PullError(msg)
                into.write(chunk)
    except httpx.HTTPError as exc:
        msg = f"no se pudo descargar / could not download {url}: {exc}"
        raise PullError(msg) from exc


def _load(
    session_factory: sessionmaker[Session],
    settings: Settings,
    source: FeedSource,
    stream: BinaryIO,
    origin: str,
    as_of: datetime,
) -> dict[str, Any]:
    try:
        with session_scope(session_factory) as session:
            summary = ingest_feed(
                session=session,
                source=source,
                stream=stream,
                origin=origin,
                max_bytes=settings.max_csv_bytes,
                now=as_of,
            )
    except FeedError as exc:
        logger.warning("feed file refused: %s", origin)
        return {"origin": origin, "error": exc.message}
    result = summary.as_dict()
    result["rejected"] = result["rejected"][:20]  # the job log keeps a sample; all are quarantined
    return {"origin": origin, **result}


def _folder_origin(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}#{stat.st_size}:{stat.st_mtime_ns}"


def pull_source(
    entry: str, *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime
) -> dict[str, Any]:
    """Pull one configured source (``SOURCE=LOCATION``): ``{"files": [...]}`` or ``{"error": ...}``."""
    try:
        source, location = parse_source(entry)
        files: list[dict[str, Any]] = []
        if location.startswith(("http://", "https://")):
            with tempfile.TemporaryFile() as spool:
                _download(location, settings.max_csv_bytes, spool)
                files.append(_load(session_factory, settings, source, spool, location, as_of))
        else:
            folder = Path(location)
            if not folder.is_dir():
                msg = f"la carpeta no existe / no such folder: {location}"
                raise PullError(msg)
            for path in sorted(folder.glob("*.csv")):
                origin = _folder_origin(path)
                with session_scope(session_factory) as session:
                    seen = session.execute(
                        select(IngestBatch.id).where(IngestBatch.origin == origin).limit(1)
                    ).first()
                if seen is not None:
                    continue
                with path.open("rb") as handle:
                    files.append(_load(session_factory, settings, source, handle, origin, as_of))
    except PullError as exc:
        logger.warning("feed pull failed for a source: %s", exc)
        return {"error": str(exc)}
    return {"files": files}
