"""Errors as JSON a person can act on: ``{"detail": "...", "errors": [{"field", "message"}]}``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)

# Pydantic error types in words a monitor understands (Spanish first, English second).
_MESSAGES: dict[str, str] = {
    "missing": "falta este campo / this field is required",
    "string_type": "debe ser texto / must be text",
    "int_parsing": "debe ser un número entero / must be a whole number",
    "int_type": "debe ser un número entero / must be a whole number",
    "float_parsing": "debe ser un número / must be a number",
    "float_type": "debe ser un número / must be a number",
    "uuid_parsing": "debe ser un UUID (p. ej. 0f8fad5b-d9cb-469f-a165-70867728950e) / must be a UUID",
    "uuid_type": "debe ser un UUID / must be a UUID",
    "datetime_parsing": (
        "debe ser fecha y hora ISO 8601 con zona horaria, p. ej. 2026-11-26T08:30:00-05:00 / "
        "must be an ISO 8601 date-time with an offset"
    ),
    "datetime_type": "debe ser fecha y hora / must be a date-time",
    "timezone_aware": (
        "la fecha y hora necesita zona horaria, p. ej. -05:00 / the date-time needs an offset, "
        "e.g. -05:00"
    ),
    "json_invalid": "el cuerpo no es JSON válido / the body is not valid JSON",
    "model_attributes_type": "se esperaba un objeto JSON / expected a JSON object",
    "dict_type": "se esperaba un objeto JSON / expected a JSON object",
    "list_type": "se esperaba una lista / expected a list",
    "extra_forbidden": "campo no reconocido / unknown field",
    "too_long": "demasiados elementos / too many items",
    "too_short": "faltan elementos / too few items",
    "string_too_long": "texto demasiado largo / text too long",
}


# Bounds, with the limit pydantic reports in the error's context.
_BOUNDS: dict[str, tuple[str, str, str]] = {
    "greater_than_equal": ("ge", "debe ser mayor o igual a", "must be at least"),
    "greater_than": ("gt", "debe ser mayor que", "must be greater than"),
    "less_than_equal": ("le", "debe ser menor o igual a", "must be at most"),
    "less_than": ("lt", "debe ser menor que", "must be less than"),
}


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Turn pydantic errors into ``{"field", "message"}`` pairs with human words."""
    result = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        kind = error.get("type", "")
        message = _MESSAGES.get(kind)
        bound = _BOUNDS.get(kind)
        context = error.get("ctx") or {}
        if bound is not None and bound[0] in context:
            limit = context[bound[0]]
            message = f"{bound[1]} {limit} / {bound[2]} {limit}"
        if message is None:
            raw = str(error.get("msg", "valor inválido / invalid value"))
            message = raw.removeprefix("Value error, ")
        result.append({"field": ".".join(location) or "body", "message": message})
    return result


def problem(
    status_code: int, detail: str, errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(jsonable_encoder(body), status_code=status_code)


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "La solicitud tiene datos inválidos; corrija los campos indicados. / "
        "The request has invalid data; fix the fields listed.",
        field_errors(exc.errors()),
    )


async def _database_unavailable_handler(_request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", type(exc).__name__)
    return JSONResponse(
        {
            "detail": "La base de datos no está disponible; reintente en unos segundos, nada se "
            "guardó a medias. / The database is unavailable; retry in a few seconds, nothing was "
            "half-saved."
        },
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(OperationalError, _database_unavailable_handler)


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
