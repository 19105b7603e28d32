"""Request dependencies: the app's state (settings, session factory), the request's session (one
``ews.db.session_scope`` per request) and the caller's key. Role checks: ``ews.api.roles``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Annotated

import anyio
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from ews.api.errors import RefusedAndKept, Unauthorized
from ews.auth.keys import Principal, authenticate
from ews.db import begin_read_only, session_scope
from ews.fields import MAX_ROW_ID
from ews.settings import Settings

__all__ = [
    "MetricsRegistryDep",
    "PrincipalDep",
    "RowId",
    "SessionDep",
    "SessionFactoryDep",
    "SettingsDep",
    "read_only_request",
]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_metrics_registry(request: Request) -> CollectorRegistry:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return registry


# The dependencies that only read the app's state are ``async``: FastAPI runs a sync dependency on
# its thread pool, and each such hop costs a request more CPU than the read itself.


async def _settings(request: Request) -> Settings:
    return get_settings(request)


async def _session_factory(request: Request) -> sessionmaker[Session]:
    return get_session_factory(request)


async def _metrics_registry(request: Request) -> CollectorRegistry:
    return get_metrics_registry(request)


SettingsDep = Annotated[Settings, Depends(_settings)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(_session_factory)]
MetricsRegistryDep = Annotated[CollectorRegistry, Depends(_metrics_registry)]


async def get_session(factory: SessionFactoryDep) -> AsyncIterator[Session]:
    """The request's unit of work (``session_scope``): one commit after the handler, before the
    response is sent. A refused submission kept in quarantine (``RefusedAndKept``) commits too.

    Opening a session does no I/O (it connects at its first statement), so it opens on the event
    loop; only its end (commit or rollback, then close) runs on the thread pool, as FastAPI ends a
    sync dependency: shielded from cancellation, and outside the pool's limit, so an end that frees
    a connection never waits for a thread held by a request waiting for a connection."""
    scope = session_scope(factory, commit_despite=(RefusedAndKept,))
    session = scope.__enter__()
    try:
        yield session
    except BaseException as exc:
        if not await _end(scope, exc):
            raise
    else:
        await _end(scope, None)


async def _end(scope: AbstractContextManager[Session], exc: BaseException | None) -> bool:
    """Run ``scope``'s end for ``exc`` (``None``: no error) on a thread; ``True``: swallowed."""
    with anyio.CancelScope(shield=True):
        swallowed = await anyio.to_thread.run_sync(
            scope.__exit__,
            type(exc) if exc else None,
            exc,
            exc.__traceback__ if exc else None,
            limiter=anyio.CapacityLimiter(1),
        )
    return bool(swallowed)


# scope="function": the commit happens before the response, so a failed commit is a 5xx, not a lie.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def read_only_request(session: SessionDep) -> None:
    """For a route whose request session only reads (a page, the key of a job run): begin it as a
    read (``begin_read_only``), so it leaves SQLite's writer lock to the work it starts."""
    begin_read_only(session)


_bearer = HTTPBearer(auto_error=False, description="Clave de API / API key: `Bearer ews_...`")

UNAUTHORIZED = (
    "Falta una clave de API válida (Authorization: Bearer ...) o fue revocada. / "
    "A valid API key (Authorization: Bearer ...) is missing or was revoked."
)


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    principal = authenticate(session, credentials.credentials) if credentials else None
    if principal is None:
        raise Unauthorized("key_missing", UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]

# A number past the 32-bit row ids of PostgreSQL can name no row, so it is a 422, not a database error.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="id (1 .. 2147483647)")]
