"""Idempotent intake by the client's UUID: the one insert shape of reports and patrols.

A phone (or Kobo) sends the same record again whenever it did not hear the answer; the service
stores it once. The insert does nothing on any unique conflict, then the row under the id tells
what happened: inserted now (``created``), already there with the same content (``duplicate``), or
with other content (``conflict``). No row under the id after a conflict means another unique key
(``(source, source_ref)``) holds the same message under another id.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import Insert, Row, Table, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached


class StoreStatus(StrEnum):
    created = "created"
    duplicate = "duplicate"
    conflict = "conflict"
    invalid = "invalid"


class _Hashed(Protocol):
    content_hash: str


Stored = TypeVar("Stored", bound=_Hashed)


def insert_once(
    session: Session, model: type[Stored], values: dict[str, Any]
) -> tuple[StoreStatus, Stored | None]:
    """Insert ``values`` (with ``id`` and ``content_hash``) into ``model``'s table unless a unique
    key is taken; flushes, never commits. The status with the row stored under the id (``None``:
    the conflict was on another unique key)."""
    table: Table = inspect(model).local_table
    dialect = session.get_bind().dialect.name
    # The new row comes back from the INSERT itself (one round trip); only a taken key costs a
    # second statement, to read what is stored under the id.
    inserted = session.execute(_insert_or_nothing(table, dialect), values).first()
    if inserted is not None:
        return StoreStatus.created, _as_loaded(session, model, inserted)
    stored = session.get(model, values["id"], populate_existing=True)
    if stored is None:
        return StoreStatus.conflict, None
    if stored.content_hash == values["content_hash"]:
        return StoreStatus.duplicate, stored
    return StoreStatus.conflict, stored


@cache
def _insert_or_nothing(table: Table, dialect: str) -> Insert:
    """``INSERT .. ON CONFLICT DO NOTHING RETURNING *`` for ``table``, built once: a statement
    reused with new parameters is neither rebuilt nor keyed for the compiled cache again."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(*table.c)


def _as_loaded(session: Session, model: type[Stored], row: Row[Any]) -> Stored:
    """The ORM object of a row just inserted, in ``session`` as if read by a query (clean, so
    nothing is written again at the flush)."""
    stored = model(**dict(zip(_attribute_names(model), row, strict=True)))
    make_transient_to_detached(stored)
    session.add(stored)
    return stored


@cache
def _attribute_names(model: type[Any]) -> tuple[str, ...]:
    """The ORM attribute of each column of ``model``'s table, in the table's order."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.local_table.c)
