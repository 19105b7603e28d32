"""Feed files: ``POST /api/v1/feeds/{source}`` with a CSV body or a multipart file."""

from __future__ import annotations

import tempfile
from typing import BinaryIO

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ews.api.deps import SessionDep, SettingsDep
from ews.api.limits import enforce_intake_rate
from ews.api.roles import FeedOrAdmin
from ews.intake.feeds import FeedError, FeedSource, ingest_feed

router = APIRouter(prefix="/api/v1/feeds", tags=["feeds"])
SPOOL_IN_MEMORY = 8 * 1024 * 1024


class RejectedRow(BaseModel):
    row: int
    error: str


class IngestOut(BaseModel):
    rows: int
    inserted: int
    duplicates: int
    rejected: list[RejectedRow]
    rejected_total: int
    batch_id: str
    layout: str


def _too_large(limit: int) -> FeedError:
    return FeedError(
        f"El archivo pasa el límite de {limit} bytes; divídalo. / The file is over the "
        f"{limit}-byte limit; split it.",
        status_code=413,
    )


async def _spool(request: Request, limit: int) -> tuple[BinaryIO, str]:
    """The uploaded file (multipart) or the body, spooled to disk past a few MB, and its origin."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise _too_large(limit)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        uploads = [value for value in form.values() if isinstance(value, UploadFile)]
        if not uploads:
            raise FeedError(
                "Falta el archivo: envíe el CSV en un campo de archivo (p. ej. file=@hotspots.csv). / "
                "The file is missing: send the CSV in a file field (e.g. file=@hotspots.csv).",
                status_code=422,
            )
        upload = uploads[0]
        return upload.file, f"upload:{upload.filename or 'file'}"
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by caller
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            spool.close()
            raise _too_large(limit)
        spool.write(chunk)
    return spool, "api"  # type: ignore[return-value]


@router.post(
    "/{source}",
    response_model=IngestOut,
    summary="Cargar un archivo FIRMS o GFW / Load a FIRMS or GFW file",
    responses={400: {}, 413: {}, 415: {}, 422: {}},
)
async def post_feed(
    source: FeedSource,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: FeedOrAdmin,
) -> IngestOut:
    """A CSV body (``text/csv``) or a multipart file. Answers ``{"rows", "inserted", "duplicates",
    "rejected": [{"row", "error"}]}``; ``rejected`` lists the first 1000 bad rows (all are kept in
    quarantine), ``rejected_total`` counts them all. A ``FeedError`` refuses the whole file (the
    request's session rolls back)."""
    enforce_intake_rate(request, principal)
    stream, origin = await _spool(request, settings.max_csv_bytes)
    try:
        summary = await run_in_threadpool(
            lambda: ingest_feed(
                session=session,
                source=source,
                stream=stream,
                origin=origin,
                max_bytes=settings.max_csv_bytes,
            )
        )
    finally:
        stream.close()
    return IngestOut.model_validate(summary.as_dict())
