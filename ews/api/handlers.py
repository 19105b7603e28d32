"""The exception handlers of the app, registered once by ``install_error_handlers``: an
``ApiError``, an exception of a service (the table ``REFUSALS``), a request that fails validation
and an unreachable database all answer in the one error shape of ``ews.api.errors``."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from ews.alerting.actions import ActionNotFound
from ews.alerting.service import (
    AlertActionForbidden,
    AlertNotFound,
    AlertStateConflict,
    InvalidInput,
    SilenceNotFound,
)
from ews.api.errors import (
    INVALID_REPORT,
    INVALID_REQUEST,
    ApiError,
    Conflict,
    Forbidden,
    InvalidData,
    NotFound,
    Unavailable,
    error_response,
)
from ews.delivery.outbox import NotDead
from ews.fields import field_errors
from ews.intake.feeds import FeedError
from ews.intake.reports import ReportNotForKey

logger = logging.getLogger(__name__)

ALERT_NOT_FOUND = (
    "No existe la alerta o no está dirigida a su institución. / "
    "No such alert, or it is not routed to your institution."
)
ALERT_RESOLVED = "La alerta ya está resuelta. / The alert is already resolved."
DATABASE_UNAVAILABLE = (
    "La base de datos no está disponible; reintente en unos segundos, nada se guardó a medias. / "
    "The database is unavailable; retry in a few seconds, nothing was half-saved."
)


def _not_dead(exc: Exception) -> ApiError:
    state = exc.args[0] if exc.args else "?"
    return Conflict(
        "notification_not_dead",
        f"Solo se reencolan mensajes muertos; este está «{state}». / "
        f"Only dead messages are requeued; this one is {state!r}.",
    )


def _invalid_input(exc: Exception) -> ApiError:
    assert isinstance(exc, InvalidInput)
    return InvalidData.field("invalid_input", INVALID_REQUEST, exc.field, exc.message)


def _feed_refused(exc: Exception) -> ApiError:
    assert isinstance(exc, FeedError)
    # A whole file refused: its status (400, 413, 415, 422) says why; nothing of it is kept.
    return ApiError("feed_refused", exc.message, status_code=exc.status_code)


def _report_not_for_key(exc: Exception) -> ApiError:
    assert isinstance(exc, ReportNotForKey)
    return Forbidden("report_not_for_key", INVALID_REPORT, errors=exc.errors)


# What each exception of a service answers, whichever route it came from.
REFUSALS: dict[type[Exception], Callable[[Exception], ApiError]] = {
    AlertNotFound: lambda _exc: NotFound("alert_not_found", ALERT_NOT_FOUND),
    AlertStateConflict: lambda _exc: Conflict("alert_resolved", ALERT_RESOLVED),
    AlertActionForbidden: lambda exc: Forbidden(
        "role_forbidden",
        f"Su clave ({exc}) no permite esta acción. / Your key ({exc}) may not do this.",
    ),
    ActionNotFound: lambda _exc: NotFound(
        "action_not_found",
        "No existe la acción en esta alerta, o no es de su institución. / "
        "No such action on this alert, or it is not your institution's.",
    ),
    SilenceNotFound: lambda _exc: NotFound(
        "silence_not_found", "No existe el silencio. / No such silence."
    ),
    InvalidInput: _invalid_input,
    NotDead: _not_dead,
    FeedError: _feed_refused,
    ReportNotForKey: _report_not_for_key,
}

# Every exception that answers as an ``ApiError`` (the pages catch them to show an error page).
REFUSAL_TYPES: tuple[type[Exception], ...] = (ApiError, *REFUSALS)


def refusal_of(exc: Exception) -> ApiError:
    """The ``ApiError`` an exception answers as (itself, or its entry in ``REFUSALS``)."""
    if isinstance(exc, ApiError):
        return exc
    for exception_type in type(exc).__mro__:
        if exception_type in REFUSALS:
            return REFUSALS[exception_type](exc)
    raise TypeError(f"no answer for {type(exc).__name__}") from exc


async def _refusal_handler(request: Request, exc: Exception) -> JSONResponse:
    refusal = refusal_of(exc)
    logger.debug("%s %s refused: %s", request.method, request.url.path, refusal.code)
    return error_response(refusal)


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        InvalidData("invalid_request", INVALID_REQUEST, errors=field_errors(exc.errors()))
    )


async def _database_unavailable_handler(_request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", type(exc).__name__)
    return error_response(
        Unavailable("database_unavailable", DATABASE_UNAVAILABLE, headers={"Retry-After": "5"})
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register, once for the app, the mapping of every refusal to the one error shape."""
    for exception_type in REFUSAL_TYPES:
        app.add_exception_handler(exception_type, _refusal_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(OperationalError, _database_unavailable_handler)


__all__ = ["REFUSALS", "REFUSAL_TYPES", "install_error_handlers", "refusal_of"]
