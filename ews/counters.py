"""Named counters that only grow (the ``counter`` table), in the caller's transaction.

- ``indicator_revision``: the last revision given to a stored indicator value;
- ``computations_started``: computations of the indicators begun (counted, and committed, before
  each takes its snapshot of the data);
- ``computations_done``: the highest of them that has committed.

A report committed before ``computations_started`` was read is counted by every computation whose
number is greater: that is how the fast path knows which computation is the first sure to include
its report (``alert.hold_until``).
"""

from __future__ import annotations

from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session

from ews.models import Counter

INDICATOR_REVISION = "indicator_revision"
COMPUTATIONS_STARTED = "computations_started"
COMPUTATIONS_DONE = "computations_done"


def read(session: Session, name: str, *, for_update: bool = False) -> int:
    """The counter's value (0 if it was never set); ``for_update`` locks its row until the commit
    (PostgreSQL; SQLite's writer already holds the whole database)."""
    query = select(Counter.value).where(Counter.name == name)
    if for_update:
        query = query.with_for_update()
    value = session.execute(query).scalar_one_or_none()
    return int(value or 0)


def advance(session: Session, name: str, by: int = 1) -> int:
    """Add ``by`` and answer the new value."""
    value = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + by)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if value is None:  # created by the migration; kept working if someone removed it
        session.execute(insert(Counter).values(name=name, value=by))
        return by
    return int(value)


def raise_to(session: Session, name: str, value: int) -> None:
    """Set the counter to ``value`` unless it is already higher."""
    updated = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=case((Counter.value < value, value), else_=Counter.value))
        .returning(Counter.value)
    ).scalar_one_or_none()
    if updated is None:
        session.execute(insert(Counter).values(name=name, value=value))
