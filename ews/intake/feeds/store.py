"""Write parsed feed rows in bulk: SQLite ``INSERT .. ON CONFLICT DO NOTHING`` by ``executemany``,
PostgreSQL ``COPY`` straight into the table while no row is a duplicate, else ``COPY`` into a
temporary table then one ``INSERT .. SELECT .. ON CONFLICT DO NOTHING``.
Both run on the session's own connection, inside its transaction. On SQLite the writer also marks
its rows' local days in ``pending_work``, one statement a chunk, in place of the per-row trigger."""

from __future__ import annotations

import json
import operator
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.orm import Session

SQLITE_CACHE_KIB = 65_536  # 64 MiB

# The local day (Lima, days since 1970-01-01) a stored SQLite value counts on, as the pending-work
# triggers compute it (migration 0011 holds its frozen copy): timestamps to whole seconds, since
# julianday() keeps milliseconds and 23:59:59.9999 would round to the next day.
SQLITE_LOCAL_DAY = {
    "date": "CAST(julianday({}) - 2440587.5 AS INTEGER)",
    "timestamp": "CAST(julianday(substr({}, 1, 19), '-5 hours') - 2440587.5 AS INTEGER)",
}
# The tables whose SQLite insert trigger a bulk writer drops while loading (and marks their
# pending work itself), with the column whose local day their rows count on.
MARKED = {
    "fire_hotspot": ("acquired_at", "timestamp"),
    "deforestation_alert": ("alert_date", "date"),
}


class BulkWriter:
    """Inserts chunks of rows into ``table`` and says how many were new (the rest were known).

    Table and column names come from the models, never from input (hence the S608 waivers).
    """

    def __init__(
        self,
        session: Session,
        *,
        table: str,
        columns: Sequence[str],
        ingested_at: datetime,
        batch_id: str,
        key: Sequence[str] = (),
    ) -> None:
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        self.table = table
        self.columns = list(columns)
        # Each chunk is written in the order of the table's unique key, so the index pages it
        # touches are near each other (random order costs SQLite most: its page cache is small).
        self._order = operator.itemgetter(*(self.columns.index(c) for c in key)) if key else None
        self.ingested_at = ingested_at
        self.batch_id = batch_id
        self._stage: str | None = None
        self._trigger: str | None = None  # SQLite: the insert trigger dropped while loading
        names = ", ".join(self.columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" for _ in range(len(self.columns) + 3))
            self._sql = (
                f"INSERT INTO {table} ({names}, ingested_at, batch_id, synthetic) "  # noqa: S608
                f"VALUES ({marks}) ON CONFLICT DO NOTHING"
            )
            stamp = ingested_at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            self._extra: tuple[Any, ...] = (stamp, batch_id, 0)
            # A bigger page cache while loading (restored by ``close``): a large file's index
            # pages stay in memory instead of being read back for every chunk.
            self._cache_size = self._execute_scalar("PRAGMA cache_size")
            self._execute(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
            if table in MARKED:
                self._take_over_pending_work(table, *MARKED[table])
        elif self.dialect == "postgresql":
            self._stage = f"ews_stage_{uuid.uuid4().hex[:12]}"
            self._execute(
                f"CREATE TEMPORARY TABLE {self._stage} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            self._sql = (
                f"INSERT INTO {table} ({names}, ingested_at, batch_id, synthetic) "  # noqa: S608
                f"SELECT {names}, %s, %s, false FROM {self._stage} ON CONFLICT DO NOTHING"
            )
            self._copy_sql = f"COPY {table} ({names}, ingested_at, batch_id, synthetic) FROM STDIN"
            self._optimistic = True
        else:  # pragma: no cover - only the two engines are supported
            msg = f"unsupported database: {self.dialect}"
            raise RuntimeError(msg)

    @property
    def time_suffix(self) -> str:
        """What turns ``YYYY-MM-DD HH:MM:SS`` into this engine's stored UTC timestamp."""
        return ".000000" if self.dialect == "sqlite" else "+00"

    def _copy_straight(self, cursor: Any, rows: list[tuple[Any, ...]]) -> int | None:
        """PostgreSQL: ``COPY`` the chunk straight into the table inside a savepoint, as fast as
        loading gets. A row already stored (a resent file, an overlapping pull) makes the whole
        chunk roll back to the savepoint: ``None``, and this file's remaining chunks take the
        staged path (``ON CONFLICT DO NOTHING``), where duplicates cost nothing extra."""
        extra = (self.ingested_at, self.batch_id, False)
        cursor.execute("SAVEPOINT ews_copy")
        try:
            with cursor.copy(self._copy_sql) as copy:
                for row in rows:
                    copy.write_row(row + extra)
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT ews_copy")
            self._optimistic = False
            return None
        copied = int(cursor.rowcount)
        cursor.execute("RELEASE SAVEPOINT ews_copy")
        return copied

    def _take_over_pending_work(self, table: str, column: str, kind: str) -> None:
        """SQLite: take over the pending-work marks of ``table``'s insert trigger. A row trigger,
        even one that does nothing, makes every row's insert keep a statement journal and run a
        sub-program (a third of a large load), so the trigger is dropped inside this transaction
        and ``close`` creates it again from its own stored text; ``_mark_days`` marks each chunk's
        days with one statement meanwhile. A failed load rolls the drop back; SQLite has one
        writer and readers see the committed schema, so no other insert ever misses the trigger."""
        self._day_index = self.columns.index(column)
        self._hourly = kind == "timestamp"
        day = SQLITE_LOCAL_DAY[kind].format("value")
        self._mark_sql = (
            f"INSERT INTO pending_work (day, source) SELECT DISTINCT d.day, '{table}' "  # noqa: S608
            f"FROM (SELECT {day} AS day FROM json_each(?)) AS d "
            f"WHERE NOT EXISTS (SELECT 1 FROM pending_work AS p WHERE p.day = d.day)"
        )
        name = f"pending_work_{table}_insert"
        self._trigger = self._execute_scalar(
            f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = '{name}'"  # noqa: S608
        )
        if self._trigger is not None:
            self._execute(f"DROP TRIGGER {name}")

    def _mark_days(self, rows: list[tuple[Any, ...]]) -> None:
        """Leave the local days of ``rows`` in ``pending_work`` (those not there yet), as the
        insert trigger would have; a row that was a duplicate only marks a day too many."""
        values = {row[self._day_index] for row in rows}
        if self._hourly:  # fewer values: a timestamp's local day depends on its date and hour only
            values = {f"{value[:13]}:00:00" for value in values}  # Lima is UTC-5 all year
        self._execute(self._mark_sql, (json.dumps(sorted(values)),))

    def close(self) -> None:
        """Give back what loading borrowed: the insert trigger and SQLite's page cache size.
        ``ingest_feed`` calls it in a ``finally``, so a load that fails half-way lets go too."""
        if self._trigger is not None:
            self._execute(self._trigger)
            self._trigger = None
        if self.dialect == "sqlite":
            self._execute(f"PRAGMA cache_size={int(self._cache_size)}")

    def _execute_scalar(self, sql: str) -> Any:
        cursor = self.connection.connection.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
            return row[0] if row else None
        finally:
            cursor.close()

    def _execute(self, sql: str, params: Any = None) -> int:
        cursor = self.connection.connection.cursor()
        try:
            if params is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, params)
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def write(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows`` (values of ``columns``); the number actually inserted."""
        if not rows:
            return 0
        if self._order is not None:
            rows.sort(key=self._order)
        cursor = self.connection.connection.cursor()
        try:
            if self.dialect == "sqlite":
                extra = self._extra
                cursor.executemany(self._sql, [row + extra for row in rows])
                inserted = int(cursor.rowcount)
                if inserted and self._trigger is not None:
                    self._mark_days(rows)
                return inserted
            if self._optimistic:
                copied = self._copy_straight(cursor, rows)
                if copied is not None:
                    return copied
            assert self._stage is not None
            cursor.execute(f"TRUNCATE {self._stage}")
            with cursor.copy(f"COPY {self._stage} ({', '.join(self.columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(self._sql, (self.ingested_at, self.batch_id))
            return int(cursor.rowcount)
        finally:
            cursor.close()
