"""Photos as evidence: ``POST /api/v1/reports/{id}/photos`` and ``GET /api/v1/photos/{id}``.

A photo is added by the report's writers (a monitor of its community, an admin) and read by the
report's readers (analysts, admins, monitors of its community, institutions with an alert routed to
them that the report is evidence of); another key of those roles gets 404, as if it did not exist,
and a feed key 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy.orm import Session

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import ApiError, NotFound
from ews.api.limits import enforce_photo_rate
from ews.api.roles import MonitorAnalystInstitutionOrAdmin, MonitorOrAdmin
from ews.models import Photo, Report
from ews.models.base import utcnow
from ews.photos.images import ImageRefused
from ews.photos.links import PhotoLink
from ews.photos.service import (
    may_add_photos,
    may_read_photo,
    receive_photo,
    store_of,
)
from ews.photos.storage import THUMBNAIL_MEDIA_TYPE
from ews.settings import Settings

router = APIRouter(tags=["photos"])

# The errors of these routes, in one place (the same shapes as the report routes).
REPORT_NOT_FOUND = (
    "No existe el reporte o su clave no puede añadirle fotos. / No such report, or your key may "
    "not add photos to it."
)
PHOTO_NOT_FOUND = (
    "No existe la foto o su clave no puede verla. / No such photo, or your key may not see it."
)
FILE_MISSING = (
    "El archivo de la foto ya no está en el almacén; avise al administrador. / The photo's file is "
    "no longer in the store; tell the administrator."
)
REFUSED = (
    "La foto no se guardó; corrija lo indicado. / The photo was not stored; fix what is listed."
)


def _refused(refusal: ImageRefused) -> ApiError:
    return ApiError(
        "photo_refused",
        REFUSED,
        errors=[{"field": "file", "message": refusal.message}],
        status_code=refusal.status,
    )


class PhotoOut(PhotoLink):
    # What the photo is evidence of: one of a report, a field check, a patrol.
    report_id: str | None
    check_id: str | None = None
    patrol_id: str | None = None
    width: int
    height: int
    original_bytes: int
    kept_time_and_place: bool
    received_at: datetime

    @classmethod
    def of_photo(cls, photo: Photo) -> PhotoOut:
        return cls(
            **PhotoLink.of(photo).model_dump(),
            report_id=photo.report_id,
            check_id=photo.check_id,
            patrol_id=photo.patrol_id,
            width=photo.width,
            height=photo.height,
            original_bytes=photo.original_bytes,
            kept_time_and_place=photo.kept_time_and_place,
            received_at=photo.received_at,
        )


def store_upload(
    session: Session,
    settings: Settings,
    file: UploadFile,
    keep_time_and_place: bool,
    **owner: Any,
) -> JSONResponse:
    """Receive ``file`` for its ``owner`` (``report=``, ``check=`` or ``patrol=``): 201 with the
    photo, 200 when these bytes were already sent for it, the refusal raised otherwise."""
    data = file.file.read(settings.photo_max_bytes + 1)
    try:
        received = receive_photo(
            session,
            settings=settings,
            data=data,
            keep_time_and_place=keep_time_and_place,
            source="api",
            now=utcnow(),
            **owner,
        )
    except ImageRefused as refusal:
        raise _refused(refusal) from refusal
    body = PhotoOut.of_photo(received.photo).model_dump(mode="json")
    code = status.HTTP_201_CREATED if received.created else status.HTTP_200_OK
    return JSONResponse(body, status_code=code)


@router.post(
    "/api/v1/reports/{report_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=PhotoOut,
    summary="Añadir una foto a un reporte / Add a photo to a report",
    responses={
        200: {"description": "Los mismos bytes ya estaban / the same bytes were already there"},
        404: {},
        413: {},
        415: {},
        422: {},
        429: {},
    },
)
def post_photo(
    request: Request,
    report_id: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorOrAdmin,
    file: Annotated[UploadFile, File(description="JPEG, PNG o WebP")],
    keep_time_and_place: Annotated[
        bool,
        Form(
            description="conservar la hora y la posición GPS de la foto (por defecto no) / keep "
            "the photo's time and GPS position (default: no)"
        ),
    ] = False,
) -> Any:
    """201 with the photo's ``id`` and the ``sha256`` of the bytes received; 200 with the same
    photo when these bytes were already sent for this report; 413, 415 or 422 naming ``file``,
    with nothing stored; 429 with ``Retry-After`` past the key's photo rate."""
    enforce_photo_rate(request, principal)
    report = session.get(Report, report_id)
    if report is None or not may_add_photos(principal, report):
        raise NotFound("report_not_found", REPORT_NOT_FOUND)
    return store_upload(session, settings, file, keep_time_and_place, report=report)


@router.get(
    "/api/v1/photos/{photo_id}",
    summary="Una foto (o su miniatura) / A photo (or its thumbnail)",
    response_class=FileResponse,
    responses={404: {}},
)
def get_photo(
    photo_id: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorAnalystInstitutionOrAdmin,
    size: Literal["full", "thumb"] = "full",
) -> FileResponse:
    """The cleaned image (``size=full``) or its JPEG thumbnail (``size=thumb``)."""
    photo = session.get(Photo, photo_id) if len(photo_id) <= 36 else None
    if photo is None or not may_read_photo(session, principal, photo):
        raise NotFound("photo_not_found", PHOTO_NOT_FOUND)
    store = store_of(settings)
    if size == "thumb":
        path = store.path_of(photo.thumbnail_sha256, THUMBNAIL_MEDIA_TYPE)
        media_type = THUMBNAIL_MEDIA_TYPE
    else:
        path = store.path_of(photo.stored_sha256, photo.media_type)
        media_type = photo.media_type
    if not path.is_file():
        raise NotFound("photo_file_missing", FILE_MISSING)
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )
