"""``/static/<name>``: the pages' assets, served by the app itself."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from ews.api.errors import NotFound
from ews.web.assets import asset
from ews.web.pages import PAGE_NOT_FOUND, WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def asset_response(request: Request, name: str, *, cache: str) -> Response:
    found = asset(name)
    if found is None:
        raise NotFound("asset_not_found", PAGE_NOT_FOUND)
    etag = f'"{found.etag}"'
    headers = {"ETag": etag, "Cache-Control": cache}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)


@router.get("/static/{name}")
def static_file(request: Request, name: str, v: str | None = None) -> Response:
    found = asset(name)
    versioned = found is not None and v == found.etag
    cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=300"
    return asset_response(request, name, cache=cache)
