"""Request dependencies: the session (one commit per request) and the caller's key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from ews.api.fields import MAX_ROW_ID
from ews.auth.keys import Principal, Role, authenticate
from ews.settings import Settings

__all__ = ["MAX_ROW_ID", "PrincipalDep", "RowId", "SessionDep", "SettingsDep", "require_roles"]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit once after the handler, before the response is sent."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the commit happens before the response, so a failed commit is a 5xx, not a lie.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

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
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets through only the given roles (403 for the others)."""
    allowed = frozenset(roles)

    def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"Su clave ({principal.role.value}) no permite esta acción; se requiere: {names}. / "
                f"Your key ({principal.role.value}) may not do this; it needs: {names}.",
            )
        return principal

    return dependency


# A number past the 32-bit row ids of PostgreSQL can name no row, so it is a 422, not a database error.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="id (1 .. 2147483647)")]
