"""Idempotent intake by the client's UUID: the one insert shape of reports and patrols.

A phone (or Kobo) sends the same record again whenever it did not hear the answer; the service
stores it once. The insert does nothing on any unique conflict, then the row under the id tells
what happened: inserted now (``created``), already there with the same content (``duplicate``), or
with other content (``conflict``). No row under the id after a conflict means another unique key
(``(source, source_ref)``) holds the same message under another id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class StoreStatus(StrEnum):
    created = "created"
    duplicate = "duplicate"
    conflict = "conflict"
    invalid = "invalid"


class _Hashed(Protocol):
    content_hash: str


Row = TypeVar("Row", bound=_Hashed)


def insert_once(
    session: Session, model: type[Row], values: dict[str, Any]
) -> tuple[StoreStatus, Row | None]:
    """Insert ``values`` (with ``id`` and ``content_hash``) into ``model``'s table unless a unique
    key is taken; flushes, never commits. The status with the row stored under the id (``None``:
    the conflict was on another unique key)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
    # The inserted row comes back from the INSERT itself (one round trip); only a taken key costs
    # a second statement, to read what is stored under the id.
    statement = insert.values(**values).on_conflict_do_nothing().returning(model)
    inserted = session.scalars(statement).first()
    if inserted is not None:
        return StoreStatus.created, inserted
    stored = session.get(model, values["id"], populate_existing=True)
    if stored is None:
        return StoreStatus.conflict, None
    if stored.content_hash == values["content_hash"]:
        return StoreStatus.duplicate, stored
    return StoreStatus.conflict, stored
