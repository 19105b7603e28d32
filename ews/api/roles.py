"""Who may call what: each set of roles once, and for each a dependency that lets through only
those roles (403 for the others). A name lists the roles it admits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from ews.api.deps import PrincipalDep
from ews.api.errors import Forbidden
from ews.auth.keys import Principal, Role

ADMIN = frozenset({Role.admin})
ANALYST_ADMIN = frozenset({Role.analyst, Role.admin})
ANALYST_INSTITUTION_ADMIN = frozenset({Role.analyst, Role.institution, Role.admin})
FEED_ADMIN = frozenset({Role.feed, Role.admin})
INSTITUTION_ADMIN = frozenset({Role.institution, Role.admin})
MONITOR_ADMIN = frozenset({Role.monitor, Role.admin})
MONITOR_ANALYST_ADMIN = frozenset({Role.monitor, Role.analyst, Role.admin})
# Roles that read some reports; which ones is decided per report (the others are 404).
MONITOR_ANALYST_INSTITUTION_ADMIN = frozenset(
    {Role.monitor, Role.analyst, Role.institution, Role.admin}
)


def require_roles(allowed: frozenset[Role]) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only the ``allowed`` roles (``async``: a check of the key
    already read, run on the event loop without a hop to the thread pool)."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Forbidden(
                "role_forbidden",
                f"Su clave ({principal.role.value}) no permite esta acción; se requiere: {names}. / "
                f"Your key ({principal.role.value}) may not do this; it needs: {names}.",
            )
        return principal

    return dependency


AdminOnly = Annotated[Principal, Depends(require_roles(ADMIN))]
AnalystOrAdmin = Annotated[Principal, Depends(require_roles(ANALYST_ADMIN))]
AnalystInstitutionOrAdmin = Annotated[Principal, Depends(require_roles(ANALYST_INSTITUTION_ADMIN))]
InstitutionOrAdmin = Annotated[Principal, Depends(require_roles(INSTITUTION_ADMIN))]
FeedOrAdmin = Annotated[Principal, Depends(require_roles(FEED_ADMIN))]
MonitorOrAdmin = Annotated[Principal, Depends(require_roles(MONITOR_ADMIN))]
MonitorAnalystOrAdmin = Annotated[Principal, Depends(require_roles(MONITOR_ANALYST_ADMIN))]
MonitorAnalystInstitutionOrAdmin = Annotated[
    Principal, Depends(require_roles(MONITOR_ANALYST_INSTITUTION_ADMIN))
]
