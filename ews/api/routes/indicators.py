"""``GET /api/v1/indicators``: the indicator series (analyst, institution, admin), as JSON pages or
a CSV export. No reporter identity: values, levels, baselines and counts only."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ews import audit
from ews.api.deps import SessionDep, SessionFactoryDep, SettingsDep
from ews.api.errors import InvalidData
from ews.api.roles import AnalystInstitutionOrAdmin
from ews.db import read_only_session
from ews.fields import FilterTime, clamp_utc, row_id_in_range
from ews.models import AuditAction, IndicatorValue
from indicators.columns import VALUE_COLUMNS

router = APIRouter(prefix="/api/v1", tags=["indicators"])
# The export: a stored value's columns (the core's, without its details), and where it came from.
CSV_COLUMNS = (
    *(column for column in VALUE_COLUMNS if column != "details"),
    "core_value",
    "buffer_value",
    "computed_at",
    "algorithm_version",
)
BAD_CURSOR = "Cursor inválido; use el valor de 'next'. / Invalid cursor; use the 'next' value."


class IndicatorOut(BaseModel):
    id: int
    code: str
    community_code: str
    window_start: datetime
    window_end: datetime
    value: float
    level: str
    baseline: float | None
    inputs: int
    computed_at: datetime
    algorithm_version: str
    details: dict[str, Any]


class IndicatorPage(BaseModel):
    items: list[IndicatorOut]
    next: str | None = None


def _encode(row: IndicatorValue) -> str:
    raw = f"{row.window_end.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        end, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment, row_id = datetime.fromisoformat(end), int(ident)
        if moment.tzinfo is None or not row_id_in_range(row_id):
            raise ValueError(cursor)
        return clamp_utc(moment), row_id
    except ValueError as exc:
        raise InvalidData("bad_cursor", BAD_CURSOR) from exc


def _query(
    community: str | None, code: str | None, since: datetime | None, until: datetime | None
) -> Select[Any]:
    query = select(IndicatorValue)
    if community:
        query = query.where(IndicatorValue.community_code == community)
    if code:
        query = query.where(IndicatorValue.code == code)
    if since:
        query = query.where(IndicatorValue.window_end >= since)
    if until:
        query = query.where(IndicatorValue.window_end <= until)
    return query.order_by(IndicatorValue.window_end, IndicatorValue.id)


@router.get(
    "/indicators",
    response_model=IndicatorPage,
    summary="Series de indicadores / Indicator series",
    responses={200: {"content": {"text/csv": {}}}},
)
def list_indicators(
    principal: AnalystInstitutionOrAdmin,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    community: Annotated[
        str | None, Query(description="Código de comunidad / community code")
    ] = None,
    code: Annotated[str | None, Query(description="Código del indicador / indicator code")] = None,
    since: Annotated[FilterTime | None, Query(description="window_end >= since")] = None,
    until: Annotated[FilterTime | None, Query(description="window_end <= until")] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: str | None = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    query = _query(community, code, since, until)
    if format == "csv":
        audit.record(
            session,
            actor=principal.identity,
            action=AuditAction.indicators_exported,
            object_type="indicator_value",
            object_id="*",
            details={
                "community": community,
                "code": code,
                "since": str(since),
                "until": str(until),
            },
        )
        return StreamingResponse(
            _csv_rows(factory, query),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="indicators.csv"'},
        )
    limit = min(limit, settings.page_max)
    if cursor:
        end, ident = _decode(cursor)
        query = query.where(
            or_(
                IndicatorValue.window_end > end,
                and_(IndicatorValue.window_end == end, IndicatorValue.id > ident),
            )
        )
    rows = session.execute(query.limit(limit + 1)).scalars().all()
    page = rows[:limit]
    return IndicatorPage(
        items=[IndicatorOut.model_validate(row, from_attributes=True) for row in page],
        next=_encode(page[-1]) if len(rows) > limit else None,
    )


def _csv_rows(factory: sessionmaker[Session], query: Select[Any]) -> Iterator[str]:
    """The export, streamed in chunks from a read-only session of its own (the request's has
    committed by then)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    with read_only_session(factory) as session:
        for number, row in enumerate(
            session.scalars(query.execution_options(yield_per=1000)), start=1
        ):
            writer.writerow(
                (
                    row.code,
                    row.community_code,
                    row.window_start.isoformat(),
                    row.window_end.isoformat(),
                    row.value,
                    row.level,
                    "" if row.baseline is None else row.baseline,
                    row.inputs,
                    row.details.get("core_value", ""),
                    row.details.get("buffer_value", ""),
                    row.computed_at.isoformat(),
                    row.algorithm_version,
                )
            )
            if number % 1000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()
