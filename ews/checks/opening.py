"""Open field checks: each satellite point in a community's territory or approach zone becomes a
check for that community, when its feed file is loaded (``ews.intake.feeds.ingest_feed`` calls
:func:`open_checks` with the batch it wrote).

Only the rows the batch inserted carry its ``batch_id`` (a resent row keeps the first batch's), so
a file sent again opens nothing; the unique (source, point, community) key makes it certain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ews.models import CheckSource, Community, DeforestationAlert, FieldCheck, FireHotspot
from ews.models.base import new_uuid, utcnow
from indicators.days import DAY_NS, LIMA, LIMA_OFFSET_NS, local_day_number, utc_ns
from indicators.zones import locate_points

INSERT_CHUNK = 5_000


def _points(
    session: Session, source: CheckSource, batch_id: str | None, since: datetime | None
) -> pd.DataFrame:
    """The batch's points (every point when ``batch_id`` is None; those seen from ``since`` if
    given) with ``seen_ns`` and ``day``; only those inside the box around every community and its
    approach zone (a national file's other points can open no check, so they are not read)."""
    west, south, east, north = session.execute(
        select(
            func.min(Community.min_lon),
            func.min(Community.min_lat),
            func.max(Community.max_lon),
            func.max(Community.max_lat),
        )
    ).one()
    empty = pd.DataFrame(columns=["id", "longitude", "latitude", "seen"])
    if west is None:
        return empty.assign(seen_ns=pd.Series(dtype="int64"), day=pd.Series(dtype="int64"))
    query: Any
    if source is CheckSource.firms:
        query = select(
            FireHotspot.id, FireHotspot.longitude, FireHotspot.latitude, FireHotspot.acquired_at
        ).where(
            FireHotspot.longitude.between(west, east), FireHotspot.latitude.between(south, north)
        )
        if batch_id is not None:
            query = query.where(FireHotspot.batch_id == batch_id)
        if since is not None:
            query = query.where(FireHotspot.acquired_at >= since)
    else:
        query = select(
            DeforestationAlert.id,
            DeforestationAlert.longitude,
            DeforestationAlert.latitude,
            DeforestationAlert.alert_date,
        ).where(
            DeforestationAlert.longitude.between(west, east),
            DeforestationAlert.latitude.between(south, north),
        )
        if batch_id is not None:
            query = query.where(DeforestationAlert.batch_id == batch_id)
        if since is not None:
            query = query.where(DeforestationAlert.alert_date >= since.astimezone(LIMA).date())
    frame = pd.DataFrame(
        session.execute(query).all(), columns=["id", "longitude", "latitude", "seen"]
    )
    if frame.empty:
        return frame.assign(seen_ns=pd.Series(dtype="int64"), day=pd.Series(dtype="int64"))
    if source is CheckSource.firms:
        frame["seen_ns"] = utc_ns(frame["seen"])
        frame["day"] = local_day_number(frame["seen_ns"].to_numpy())
    else:
        # An alert's date is a local day; it was seen at that day's midnight in Lima.
        day = pd.to_datetime(frame["seen"]).to_numpy(dtype="datetime64[D]").astype(np.int64)
        frame["day"] = day
        frame["seen_ns"] = day * DAY_NS - LIMA_OFFSET_NS
    return frame


def _communities(session: Session) -> pd.DataFrame:
    rows = session.execute(select(Community.code, Community.boundary, Community.buffer)).all()
    return pd.DataFrame(rows, columns=["code", "boundary", "buffer"])


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FieldCheck)


def open_checks(
    session: Session,
    *,
    source: CheckSource,
    batch_id: str | None = None,
    since: datetime | None = None,
) -> int:
    """Open a check for each point of ``batch_id`` (every point when None; only those seen from
    ``since`` when given) per community whose territory or approach zone holds it; the number
    opened. Flushes, never commits."""
    points = _points(session, source, batch_id, since)
    if points.empty:
        return 0
    located = locate_points(points, _communities(session))
    if located.empty:
        return 0
    now = utcnow()
    seen = pd.to_datetime(located["seen_ns"].to_numpy(), utc=True).to_pydatetime()
    rows = [
        {
            "id": new_uuid(),
            "source": source.value,
            "point_id": int(point_id),
            "community_code": str(code),
            "zone": str(zone),
            "seen_at": moment,
            "day": int(day),
            "created_at": now,
        }
        for point_id, code, zone, moment, day in zip(
            located["id"],
            located["community_code"],
            located["zone"],
            seen,
            located["day"],
            strict=True,
        )
    ]
    # Counted from the rows the database returns: an executemany's rowcount is not reliable
    # (SQLite's driver answered -1 and the demo said it opened no checks while it opened 709).
    opened = 0
    statement = (
        _insert(session)
        .on_conflict_do_nothing(index_elements=["source", "point_id", "community_code"])
        .returning(FieldCheck.id)
    )
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        opened += len(session.execute(statement, chunk).all())
    return opened
