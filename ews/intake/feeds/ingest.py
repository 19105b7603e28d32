"""Load one feed file: detect its layout, parse it in chunks, insert new rows, quarantine bad ones.

Memory stays flat whatever the file's size: rows are read lazily and written ``chunk_rows`` at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from ews.checks.opening import open_checks
from ews.intake.feeds import firms, gfw
from ews.intake.feeds.errors import FeedError, RowError
from ews.intake.feeds.store import BulkWriter
from ews.intake.feeds.text import open_csv
from ews.intake.quarantine import fingerprint, keep
from ews.models import CheckSource, IngestBatch
from ews.models.base import new_uuid, utcnow

CHUNK_ROWS = 20_000
# A feed row dated later than this ahead of the clock is implausible (a broken clock or a typo).
FEED_AHEAD = timedelta(days=1)
REJECTED_SHOWN = 1000  # the answer lists this many bad rows; all are kept in quarantine_row


class FeedSource(StrEnum):
    firms = "firms"
    gfw = "gfw"


TABLES = {FeedSource.firms: "fire_hotspot", FeedSource.gfw: "deforestation_alert"}
# Each table's unique key: a row already stored under it is a duplicate.
KEYS = {
    FeedSource.firms: ("satellite", "instrument", "acquired_at", "lat_e4", "lon_e4"),
    FeedSource.gfw: ("dataset", "alert_date", "lat_e4", "lon_e4"),
}


@dataclass
class IngestSummary:
    """What became of one file: the API answer, plus the batch id and layout for the log."""

    batch_id: str
    layout: str
    rows: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected_total: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_total": self.rejected_total,
            "batch_id": self.batch_id,
            "layout": self.layout,
        }


def _layout(
    source: FeedSource, header: list[str], *, now: datetime
) -> firms.FirmsLayout | gfw.GfwLayout:
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        raise FeedError(
            "El CSV está separado por punto y coma o tabulaciones; expórtelo separado por comas. / "
            "The CSV is separated by semicolons or tabs; export it comma-separated."
        )
    latest = now.astimezone(UTC) + FEED_AHEAD
    if source is FeedSource.firms:
        return firms.detect_layout(header, latest=latest.replace(tzinfo=None))
    return gfw.detect_layout(header, latest=latest.date())


def ingest_feed(
    *,
    session: Session,
    source: FeedSource,
    stream: BinaryIO,
    origin: str,
    max_bytes: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> IngestSummary:
    """Load ``stream`` (a seekable binary file) as a ``source`` feed; flushes, never commits.

    Raises ``FeedError`` (with an HTTP status) when the file as a whole is unusable; bad rows are
    quarantined with their line number (the header is line 1) and the good rows load.
    """
    header, rows = open_csv(stream, max_bytes=max_bytes)
    now = now or utcnow()
    layout = _layout(source, header, now=now)
    batch = IngestBatch(
        id=new_uuid(), source=source.value, layout=layout.name, origin=origin, started_at=now
    )
    session.add(batch)
    session.flush()
    columns = firms.COLUMNS if source is FeedSource.firms else gfw.COLUMNS
    writer = BulkWriter(
        session,
        table=TABLES[source],
        columns=columns,
        ingested_at=now,
        batch_id=batch.id,
        key=KEYS[source],
    )
    summary = IngestSummary(batch_id=batch.id, layout=layout.name)
    if isinstance(layout, firms.FirmsLayout):
        layout.time_suffix = writer.time_suffix
    parse = layout.parse
    good: list[tuple[Any, ...]] = []
    bad: list[dict[str, Any]] = []

    def flush() -> None:
        summary.inserted += writer.write(good)
        keep(session, bad)
        good.clear()
        bad.clear()
        if progress is not None:
            progress()

    try:
        for line, fields in rows:
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank lines, e.g. a trailing CRLF
            summary.rows += 1
            try:
                row = parse(fields)
            except RowError as exc:
                summary.rejected_total += 1
                if len(summary.rejected) < REJECTED_SHOWN:
                    summary.rejected.append({"row": line, "error": str(exc)})
                raw = ",".join(fields)
                bad.append(
                    {
                        "batch_id": batch.id,
                        "source": source.value,
                        "origin": origin,
                        "row_number": line,
                        "raw": raw[:2000],
                        "error": str(exc),
                        "received_at": now,
                        # The row's own text: the same bad row sent again (the file resent, or a pull
                        # that overlaps the last one) is kept once.
                        "fingerprint": fingerprint(source.value, raw),
                    }
                )
            else:
                good.append(row)
            if len(good) + len(bad) >= chunk_rows:
                flush()
        flush()
    finally:
        writer.close()
    summary.duplicates = summary.rows - summary.rejected_total - summary.inserted
    batch.rows = summary.rows
    batch.inserted = summary.inserted
    batch.duplicates = summary.duplicates
    batch.rejected = summary.rejected_total
    batch.finished_at = utcnow()
    if summary.inserted:
        # Each new point in a territory or its approach zone becomes a field check.
        open_checks(session, source=CheckSource(source.value), batch_id=batch.id)
    session.flush()
    return summary


__all__ = ["FeedError", "FeedSource", "IngestSummary", "ingest_feed"]
