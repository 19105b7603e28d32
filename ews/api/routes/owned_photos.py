"""Photos taken at a field check or on a patrol: ``POST /api/v1/checks/{id}/photos`` and
``POST /api/v1/patrols/{id}/photos``.

The same processing as a report's photos (``ews.photos.service.receive_photo``): idempotent by
content, metadata removed, a thumbnail, 413/415/422 naming ``file`` with nothing stored. Read back
through ``GET /api/v1/photos/{id}`` by those who may read what the photo is of; never who took it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile, status

from ews.api.deps import SessionDep, SettingsDep
from ews.api.errors import NotFound
from ews.api.limits import enforce_photo_rate
from ews.api.roles import MonitorAnalystOrAdmin, MonitorOrAdmin
from ews.api.routes.photos import PhotoOut, store_upload
from ews.auth.keys import Principal, Role
from ews.models import FieldCheck, Patrol

router = APIRouter(tags=["photos"])

NO_CHECK = (
    "No existe esa verificación o su clave no puede añadirle fotos. / No such field check, or "
    "your key may not add photos to it."
)
NO_PATROL = (
    "No existe ese patrullaje o su clave no puede añadirle fotos. / No such patrol, or your key "
    "may not add photos to it."
)
FileField = Annotated[UploadFile, File(description="JPEG, PNG o WebP")]
KeepField = Annotated[
    bool,
    Form(
        description="conservar la hora y la posición GPS de la foto (por defecto no) / keep the "
        "photo's time and GPS position (default: no)"
    ),
]
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Los mismos bytes ya estaban / the same bytes were already there"},
    404: {},
    413: {},
    415: {},
    422: {},
    429: {},
}


def _of_community(principal: Principal, community_code: str) -> bool:
    """A monitor writes only for its own community; analysts and admins (when the route lets them
    in) for every one."""
    return principal.role is not Role.monitor or principal.community_code == community_code


@router.post(
    "/api/v1/checks/{check_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=PhotoOut,
    summary="Añadir una foto a una verificación de campo / Add a photo to a field check",
    responses=RESPONSES,
)
def post_check_photo(
    request: Request,
    check_id: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorAnalystOrAdmin,
    file: FileField,
    keep_time_and_place: KeepField = False,
) -> Any:
    """By a monitor of the check's community, an analyst or an admin: 201 with the photo, 200
    when these bytes were already sent for this check; the check lists it in ``photos``."""
    enforce_photo_rate(request, principal)
    check = session.get(FieldCheck, check_id) if len(check_id) <= 36 else None
    if check is None or not _of_community(principal, check.community_code):
        raise NotFound("check_not_found", NO_CHECK)
    return store_upload(session, settings, file, keep_time_and_place, check=check)


@router.post(
    "/api/v1/patrols/{patrol_id}/photos",
    status_code=status.HTTP_201_CREATED,
    response_model=PhotoOut,
    summary="Añadir una foto a un patrullaje / Add a photo to a patrol",
    responses=RESPONSES,
)
def post_patrol_photo(
    request: Request,
    patrol_id: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: MonitorOrAdmin,
    file: FileField,
    keep_time_and_place: KeepField = False,
) -> Any:
    """By a monitor of the patrol's community or an admin: 201 with the photo, 200 when these
    bytes were already sent for this patrol; ``GET /api/v1/patrols`` lists it in ``photos``."""
    enforce_photo_rate(request, principal)
    patrol = session.get(Patrol, patrol_id) if len(patrol_id) <= 36 else None
    if patrol is None or not _of_community(principal, patrol.community_code):
        raise NotFound("patrol_not_found", NO_PATROL)
    return store_upload(session, settings, file, keep_time_and_place, patrol=patrol)
