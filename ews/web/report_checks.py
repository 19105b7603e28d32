"""``GET /report/checks``: what the report page keeps on the phone to verify satellite points
offline: the monitor's community (its centre and a light outline for the small map) and its open
field checks. The verdicts go to ``POST /api/v1/checks/{id}/verdict`` (``report-checks.js``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from shapely.geometry import mapping, shape

from ews.api.deps import SessionDep, SettingsDep
from ews.api.roles import MonitorOrAdmin
from ews.checks.listing import CheckOut, CheckStatus, list_checks
from ews.models import Community

router = APIRouter(prefix="/report", include_in_schema=False)
# About 200 m: enough for a phone's sketch of the territory, a few hundred bytes per community.
OUTLINE_TOLERANCE = 0.002
CHECKS_KEPT = 200


class CommunitySketch(BaseModel):
    code: str
    name: str
    centre: tuple[float, float]  # lon, lat
    outline: list[list[tuple[float, float]]]  # rings of (lon, lat)


class PhoneChecks(BaseModel):
    community: CommunitySketch | None
    items: list[CheckOut]


def _rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    simple = mapping(shape(geometry).simplify(OUTLINE_TOLERANCE, preserve_topology=True))
    polygons = (
        simple["coordinates"] if simple["type"] == "MultiPolygon" else [simple["coordinates"]]
    )
    return [
        [(round(float(x), 4), round(float(y), 4)) for x, y, *_ in polygon[0]]
        for polygon in polygons
    ]


def sketch(community: Community) -> CommunitySketch:
    """The community's code, name, centre (a point inside it) and simplified outer rings."""
    core = shape(community.boundary)
    centre = core.representative_point()
    return CommunitySketch(
        code=community.code,
        name=community.name,
        centre=(round(centre.x, 5), round(centre.y, 5)),
        outline=_rings(community.boundary),
    )


@router.get("/checks")
def phone_checks(
    principal: MonitorOrAdmin, session: SessionDep, settings: SettingsDep
) -> PhoneChecks:
    """A monitor's community and its open checks, newest first (an admin key has no community:
    no checks)."""
    code = principal.community_code
    community = session.get(Community, code) if code else None
    if community is None:
        return PhoneChecks(community=None, items=[])
    items, _ = list_checks(
        session,
        community=community.code,
        status=CheckStatus.open,
        source=None,
        after=None,
        limit=min(CHECKS_KEPT, settings.page_max),
    )
    return PhoneChecks(community=sketch(community), items=items)
