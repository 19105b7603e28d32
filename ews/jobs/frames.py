"""Read what an indicator run needs into DataFrames: rules, communities, reports and feed rows.

Feed and report columns are read raw (no per-value type processing) and parsed by pandas in one
vectorized step each, so a national run costs about what a plain ``SELECT`` into pandas costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely.geometry
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    false,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from ews.models import (
    CheckSource,
    Community,
    DeforestationAlert,
    FieldCheck,
    FieldVerdict,
    FireHotspot,
    IndicatorRule,
    Patrol,
    Report,
    Verdict,
)
from indicators import Rule, rules_from_entries
from indicators.columns import (
    COMMUNITY_COLUMNS,
    DEFORESTATION_COLUMNS,
    FIRE_HOTSPOT_COLUMNS,
    PATROL_COLUMNS,
    REPORT_COLUMNS,
    VERDICT,
    no_patrols,
)
from indicators.days import EPOCH, day_start

READ_CHUNK = 200_000
# A shard's area, (west, south, east, north) in degrees: satellite points outside it reach none of
# its communities, so a shard reads only the points inside.
Area = tuple[float, float, float, float]


@dataclass
class Frames:
    reports: pd.DataFrame
    fire_hotspots: pd.DataFrame
    deforestation: pd.DataFrame
    patrols: pd.DataFrame = field(default_factory=no_patrols)


def load_rules(session: Session) -> dict[str, Rule]:
    rows = session.execute(select(IndicatorRule)).scalars()
    return rules_from_entries(
        {
            "code": r.code,
            "category": r.category,
            "window_days": r.window_days,
            "warning": r.warning,
            "high": r.high,
            "critical": r.critical,
            "params": r.params,
        }
        for r in rows
    )


def load_communities(session: Session, codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Every community's (or those of ``codes``) code, territory, approach ring (shapely geometries,
    made once here for every placement of the run) and the day its monitoring began
    (``monitored_day``: days since 1970-01-01, NaN when unknown)."""
    query = select(
        Community.code, Community.boundary, Community.buffer, Community.monitored_since
    ).order_by(Community.code)
    if codes is not None:
        query = query.where(Community.code.in_(list(codes)))
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["code", "boundary", "buffer", "monitored_since"])
    for column in ("boundary", "buffer"):
        frame[column] = [None if g is None else shapely.geometry.shape(g) for g in frame[column]]
    frame["monitored_day"] = [
        float((day - EPOCH).days) if day is not None else np.nan
        for day in frame.pop("monitored_since")
    ]
    return frame[list(COMMUNITY_COLUMNS)]


def _raw(model: Any, names: Sequence[str]) -> list[Any]:
    """Columns as the driver returns them (no per-value processing: pandas parses them at once)."""
    table = model.__table__
    return [type_coerce(table.c[name], NullType()).label(name) for name in names]


def _latest_verdicts(connection: Connection, source: CheckSource) -> dict[Any, str]:
    """The latest decisive field verdict (confirmed or false alarm, from any community's check of
    it) of each point of ``source`` that has one, by point id. Read apart from the points, driven
    by the verdicts (a few per field visit, so few rows): a correlated subquery per point would
    probe the checks once for each of millions of points, and a join with the points can lead the
    planner to scan the points first."""
    query = (
        select(FieldCheck.point_id, FieldVerdict.verdict)
        .join(FieldCheck, FieldCheck.id == FieldVerdict.check_id)
        .where(
            FieldCheck.source == source.value,
            FieldVerdict.verdict != Verdict.unreachable.value,
        )
        .order_by(FieldCheck.point_id, FieldVerdict.received_at.desc(), FieldVerdict.id)
    )
    latest: dict[Any, str] = {}
    for point_id, verdict in connection.execute(query):
        latest.setdefault(point_id, verdict)
    return latest


def _with_verdicts(
    verdicts: dict[Any, str], convert: Callable[[pd.DataFrame], pd.DataFrame]
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """``convert`` after adding the ``verdict`` column (None where the point has none)."""

    def typed(frame: pd.DataFrame) -> pd.DataFrame:
        column = np.full(len(frame), None, dtype=object)
        if verdicts and len(frame):
            found = frame["id"].map(verdicts)
            has = found.notna().to_numpy()
            column[has] = found.to_numpy(dtype=object)[has]
        frame[VERDICT] = column
        return convert(frame)

    return typed


def read_points(
    connection: Connection,
    model: Any,
    where: Sequence[ColumnElement[bool]],
) -> pd.DataFrame:
    """The fire hotspots (``model`` :class:`FireHotspot`) or deforestation alerts
    (:class:`DeforestationAlert`) that ``where`` selects, typed, each with its field verdict."""
    if model is FireHotspot:
        names, source, convert = FIRE_HOTSPOT_COLUMNS, CheckSource.firms, _fire_hotspots
    else:
        names, source, convert = DEFORESTATION_COLUMNS, CheckSource.gfw, _deforestation
    verdicts = _latest_verdicts(connection, source)
    statement = select(*_raw(model, names)).where(*where)
    return read_frame(connection, statement, names, _with_verdicts(verdicts, convert))


def read_frame(
    connection: Connection,
    statement: Any,
    names: Sequence[str],
    convert: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The rows of ``statement`` as a DataFrame, streamed in chunks (PostgreSQL: a server-side
    cursor) and built column by column: pandas probing each Row for named-tuple fields would cost
    more than the query, and a national read must not hold every row twice."""
    result = connection.execute(statement, execution_options={"stream_results": True})
    pieces = []
    while rows := result.fetchmany(READ_CHUNK):
        columns = list(zip(*rows, strict=True))
        piece = pd.DataFrame({n: list(v) for n, v in zip(names, columns, strict=True)})
        pieces.append(convert(piece) if convert else piece)  # convert early: raw values die here
    if not pieces:
        empty = pd.DataFrame({name: [] for name in names})
        return convert(empty) if convert else empty
    return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _inside(model: Any, area: Area | None) -> ColumnElement[bool]:
    if area is None:
        return true()
    west, south, east, north = area
    return and_(
        model.longitude >= west,
        model.longitude <= east,
        model.latitude >= south,
        model.latitude <= north,
    )


def _points(frame: pd.DataFrame) -> pd.DataFrame:
    for axis in ("longitude", "latitude"):
        frame[axis] = frame[axis].astype(float)
    return frame


def _labels(frame: pd.DataFrame, names: Sequence[str]) -> None:
    """Few distinct strings in millions of rows: keep them as categories, not one object each."""
    for name in names:
        frame[name] = frame[name].astype("category")


def _reports(frame: pd.DataFrame) -> pd.DataFrame:
    frame["observed_at"] = _utc(frame["observed_at"])
    frame["severity"] = frame["severity"].astype(float)
    return _points(frame)


def _fire_hotspots(frame: pd.DataFrame) -> pd.DataFrame:
    frame["acquired_at"] = _utc(frame["acquired_at"])
    frame["confidence_pct"] = frame["confidence_pct"].astype(float)
    _labels(frame, ("instrument", "confidence"))
    frame[VERDICT] = frame[VERDICT].astype(object)
    return _points(frame)


def _deforestation(frame: pd.DataFrame) -> pd.DataFrame:
    frame["alert_date"] = pd.to_datetime(frame["alert_date"], format="ISO8601")
    frame["area_ha"] = frame["area_ha"].astype(float)
    _labels(frame, ("confidence", "dataset"))
    frame[VERDICT] = frame[VERDICT].astype(object)
    return _points(frame)


def load_patrols(
    connection: Connection,
    *,
    start: datetime,
    end: datetime,
    communities: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Patrols ended from ``start`` to ``end``, with their tracks (few rows: read typed)."""
    query = select(*(Patrol.__table__.c[name] for name in PATROL_COLUMNS)).where(
        Patrol.ended_at >= start, Patrol.ended_at < end
    )
    if communities is not None:
        query = query.where(Patrol.community_code.in_(list(communities)))
    rows = connection.execute(query.order_by(Patrol.ended_at, Patrol.id)).all()
    if not rows:
        return no_patrols()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(PATROL_COLUMNS))
    frame["ended_at"] = pd.to_datetime(frame["ended_at"], utc=True)
    frame["length_km"] = frame["length_km"].astype(float)
    return frame


def load_frames(
    connection: Connection,
    *,
    reports_from: datetime,
    fire_hotspots_from: datetime,
    deforestation_from: datetime,
    end: datetime,
    communities: Sequence[str] | None = None,
    area: Area | None = None,
) -> Frames:
    """Reports and fire hotspots observed from their start to ``end`` (a local midnight) and
    deforestation alerts dated on the local days in between; only ``communities``' reports and
    patrols if given, only the satellite points inside ``area`` if given."""
    report = select(*_raw(Report, REPORT_COLUMNS)).where(
        Report.observed_at >= reports_from, Report.observed_at < end
    )
    fire_hotspot = [
        FireHotspot.acquired_at >= fire_hotspots_from,
        FireHotspot.acquired_at < end,
        _inside(FireHotspot, area),
    ]
    deforestation_alert = [
        DeforestationAlert.alert_date >= deforestation_from.date(),
        DeforestationAlert.alert_date < end.date(),
        _inside(DeforestationAlert, area),
    ]
    if communities is not None:
        report = report.where(Report.community_code.in_(list(communities)))
    reports = read_frame(connection, report, REPORT_COLUMNS, _reports)
    fire_hotspots = read_points(connection, FireHotspot, fire_hotspot)
    deforestation = read_points(connection, DeforestationAlert, deforestation_alert)
    patrols = load_patrols(connection, start=reports_from, end=end, communities=communities)
    return Frames(
        reports=reports, fire_hotspots=fire_hotspots, deforestation=deforestation, patrols=patrols
    )


def load_day_frames(
    connection: Connection,
    spans: Sequence[tuple[int, int]],
    *,
    communities: Sequence[str] | None = None,
    area: Area | None = None,
) -> Frames:
    """Every report, fire hotspot, deforestation alert and patrol observed (a patrol: ended) on the
    local days of ``spans`` (``(first, last)`` day numbers, inclusive): what the rollups of those
    days are built from. Only ``communities``' reports and patrols if given (else whatever
    community), only the satellite points inside ``area`` if given."""
    reports: list[ColumnElement[bool]] = [false()]
    fire_hotspots: list[ColumnElement[bool]] = [false()]
    deforestation: list[ColumnElement[bool]] = [false()]
    for first, last in spans:
        start, end = day_start(first), day_start(last + 1)
        reports.append(and_(Report.observed_at >= start, Report.observed_at < end))
        fire_hotspots.append(and_(FireHotspot.acquired_at >= start, FireHotspot.acquired_at < end))
        deforestation.append(
            DeforestationAlert.alert_date.between(
                EPOCH + timedelta(days=first), EPOCH + timedelta(days=last)
            )
        )
    report = select(*_raw(Report, REPORT_COLUMNS)).where(or_(*reports))
    if communities is not None:
        report = report.where(Report.community_code.in_(list(communities)))
    return Frames(
        reports=read_frame(
            connection,
            report,
            REPORT_COLUMNS,
            _reports,
        ),
        fire_hotspots=read_points(
            connection, FireHotspot, [or_(*fire_hotspots), _inside(FireHotspot, area)]
        ),
        deforestation=read_points(
            connection, DeforestationAlert, [or_(*deforestation), _inside(DeforestationAlert, area)]
        ),
        patrols=pd.concat(
            [
                load_patrols(
                    connection,
                    start=day_start(first),
                    end=day_start(last + 1),
                    communities=communities,
                )
                for first, last in spans
            ]
            or [no_patrols()],
            ignore_index=True,
        ),
    )
