"""Insert and read many rows as DataFrames fast: ``COPY`` on PostgreSQL, the driver's ``executemany``
(and plain fetches) on SQLite. For generated data and rollups, where per-row work would cost more
than the statement."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement

READ_CHUNK = 100_000  # rows fetched from SQLite at a time


def bulk_insert(
    connection: Connection, model: Any, frame: pd.DataFrame, chunk: int = 50_000
) -> int:
    """Insert a frame's rows fast (PostgreSQL: ``COPY`` from CSV; SQLite: the driver's
    ``executemany``). Column defaults of the models are not applied: the frame carries every
    non-null column."""
    if frame.empty:
        return 0
    table = model.__tablename__
    columns = list(frame.columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for start in range(0, len(frame), chunk):
                copy.write(frame.iloc[start : start + chunk].to_csv(header=False, index=False))
        return len(frame)
    placeholders = ", ".join("?" for _ in columns)
    # Table and column names come from the models and the generator, never from input.
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    for start in range(0, len(frame), chunk):
        rows = _sqlite_rows(frame.iloc[start : start + chunk])
        connection.exec_driver_sql(statement, rows)
    return len(frame)


def _sqlite_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Values as SQLite stores them through the models: UTC datetimes without offset, ISO dates,
    booleans as integers, NULL for missing."""
    columns: list[list[Any]] = []
    for name in frame.columns:
        column = frame[name]
        missing = column.isna().to_numpy()
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            values = column.dt.tz_convert(UTC).dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist()
        elif column.dtype == bool:
            values = column.astype(int).tolist()
        elif column.dtype.kind in "iuf":
            values = column.tolist()  # numpy numbers become Python numbers
        else:
            values = [_sqlite_value(v) for v in column.tolist()]
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing, strict=True)]
        columns.append(values)
    return list(zip(*columns, strict=True))


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_read(
    connection: Connection, statement: ClauseElement, dtypes: Mapping[str, str]
) -> pd.DataFrame:
    """The rows of ``statement`` (its columns labelled as the keys of ``dtypes``, none of them
    NULL) as a DataFrame of those dtypes, read past the ORM's row objects: on PostgreSQL one
    ``COPY .. TO STDOUT`` stream parsed by pandas in C, on SQLite the driver's own cursor, column by
    column. Runs in the connection's transaction, so it sees the caller's snapshot."""
    # The values are bound by the dialect's own literal rendering (quoted, escaped).
    query = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    raw = connection.connection.driver_connection
    assert raw is not None
    names = list(dtypes)
    if connection.dialect.name != "postgresql":
        return _sqlite_read(raw, str(query), dtypes)
    buffer = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return _empty(dtypes)
    return pd.read_csv(buffer, header=None, names=names, dtype=dict(dtypes), keep_default_na=False)


def _empty(dtypes: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def _sqlite_read(raw: Any, query: str, dtypes: Mapping[str, str]) -> pd.DataFrame:
    """SQLite: fetched in chunks, each chunk's columns made arrays of their dtypes at once."""
    cursor = raw.cursor()
    pieces = []
    try:
        cursor.execute(query)
        while rows := cursor.fetchmany(READ_CHUNK):
            columns = zip(*rows, strict=True)
            pieces.append(
                pd.DataFrame(
                    {
                        name: np.array(values, dtype=object if dtype == "str" else dtype)
                        for (name, dtype), values in zip(dtypes.items(), columns, strict=True)
                    }
                )
            )
    finally:
        cursor.close()
    if not pieces:
        return _empty(dtypes)
    return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)
