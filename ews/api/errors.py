"""Errors as JSON a person can act on: ``{"detail": "...", "errors": [{"field", "message"}]}``.

Routes and dependencies only raise: an ``ApiError`` (a stable ``code``, the HTTP status, Spanish-first
``detail`` and the fields at fault), or an exception of a service that ``ews.api.handlers`` names;
its handlers, registered once, map them all to that one shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

from fastapi import FastAPI, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

INVALID_REQUEST = (
    "La solicitud tiene datos inválidos; corrija los campos indicados. / "
    "The request has invalid data; fix the fields listed."
)
INVALID_REPORT = (
    "El reporte tiene datos inválidos; corrija los campos indicados. / The report has invalid "
    "data; fix the fields listed."
)


class ApiError(Exception):
    """A request refused: ``code`` (stable: what code and logs tell refusals apart by, never the
    words), ``status_code`` (the class's, unless given), ``detail`` (Spanish first, then English),
    ``errors`` (``{"field", "message"}`` pairs) and response headers. The body carries ``detail``
    and ``errors`` only (see ``error_response``)."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.detail = detail
        self.errors = [{"field": e["field"], "message": e["message"]} for e in errors]
        self.headers = dict(headers or {})

    @classmethod
    def field(cls, code: str, detail: str, field: str, message: str) -> Self:
        """The error of one field."""
        return cls(code, detail, errors=[{"field": field, "message": message}])


class Unauthorized(ApiError):
    """No key, or a key that is unknown or revoked."""

    status_code = status.HTTP_401_UNAUTHORIZED


class Forbidden(ApiError):
    """The key's role (or community) may not do this."""

    status_code = status.HTTP_403_FORBIDDEN


class NotFound(ApiError):
    """No such thing, or the caller may not know it exists."""

    status_code = status.HTTP_404_NOT_FOUND


class Conflict(ApiError):
    """The thing exists in another form or state (same id, other content)."""

    status_code = status.HTTP_409_CONFLICT


class TooLarge(ApiError):
    """More than the service takes in one request."""

    status_code = status.HTTP_413_CONTENT_TOO_LARGE


class InvalidData(ApiError):
    """Fields the caller must fix; ``errors`` names them."""

    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT


class TooManyRequests(ApiError):
    """The key's rate is used up; ``Retry-After`` says when to come back."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class Failed(ApiError):
    """The service itself failed at what was asked (a job run now)."""

    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR


class Unavailable(ApiError):
    """A dependency (the database) is down; retrying later is right."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class RefusedAndKept(ApiError):
    """A refused submission the handler kept in quarantine: the request's work commits (see
    ``ews.api.deps.get_session``) although the answer is an error. Its status is per refusal."""


def error_response(error: ApiError) -> JSONResponse:
    """The one error shape: ``detail``, and ``errors`` when fields are at fault."""
    body: dict[str, Any] = {"detail": error.detail}
    if error.errors:
        body["errors"] = error.errors
    return JSONResponse(
        jsonable_encoder(body), status_code=error.status_code, headers=error.headers or None
    )


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "Spanish first, then English"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


def document_error_shape(app: FastAPI) -> None:
    """Make the OpenAPI document describe our 422 answers (``detail`` text plus ``errors``), not
    FastAPI's default list of pydantic errors."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_SCHEMA
                schemas.pop("ValidationError", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
