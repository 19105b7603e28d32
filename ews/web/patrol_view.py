"""The community page's patrol section: the tracks of the last patrols and the cells patrolled and
not patrolled (an inline SVG drawn like :mod:`ews.web.geo`, no tiles), the effort indicators, and
report counts per 100 km patrolled beside the raw counts (SMART's encounter rate)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import Community, IndicatorRule, IndicatorValue, Patrol
from ews.web import geo
from indicators import LIMA
from indicators.coverage import covered_cells, grid_of, track_lines
from indicators.geometry import GEOGRAPHIC_CRS, reproject

WINDOW_DAYS = 30
EARTH_M = 2 * math.pi * 6_378_137.0
MAX_TRACKS = 200  # the newest; older tracks of the window still count in the cells


@dataclass
class PatrolMap:
    width: float
    height: float
    territory_path: str
    buffer_path: str
    patrolled_path: str
    unpatrolled_path: str
    tracks: list[tuple[str, str]]  # (path, tooltip)
    cells: int
    cells_patrolled: int


@dataclass
class EffortView:
    patrols: int
    km: float | None
    coverage: float | None
    rates: list[dict[str, Any]] = field(default_factory=list)  # per code: name, value, per 100 km
    map: PatrolMap | None = None


def _track_path(track: dict[str, Any], project: geo.Projection) -> str:
    parts = []
    for line in track_lines(track):
        points: list[tuple[float, float]] = []
        for lon, lat in line:
            xy = project(lon, lat)
            if not points or abs(xy[0] - points[-1][0]) + abs(xy[1] - points[-1][1]) >= 1.0:
                points.append(xy)  # closer than a pixel to the last point: not drawn
        if len(points) >= 2:
            head, *tail = points
            parts.append(f"M{head[0]} {head[1]}" + "".join(f"L{x} {y}" for x, y in tail))
    return "".join(parts)


def _cells_paths(
    community: Community, tracks: list[dict[str, Any]], project: geo.Projection, params: Any
) -> tuple[str, str, int, int]:
    cell_m = float(params.get("cell_m", 500))
    reach_m = float(params.get("reach_m", 250))
    grid = grid_of(community.code, community.boundary, community.buffer, cell_m)
    hit: set[int] = set()
    for track in tracks:
        hit.update(int(i) for i in covered_cells(track, grid, reach_m))
    if not len(grid):
        return "", "", 0, 0
    centres = reproject(shapely.points(grid.x, grid.y), grid.crs, GEOGRAPHIC_CRS)
    lat_mid = (community.min_lat + community.max_lat) / 2
    metres_per_px = EARTH_M * math.cos(math.radians(lat_mid)) / (geo.TILE_PX * 2**project.zoom)
    side = round(cell_m / metres_per_px, 1)
    patrolled: list[str] = []
    unpatrolled: list[str] = []
    for index, centre in enumerate(centres):
        x, y = project(centre.x, centre.y)
        square = f"M{round(x - side / 2, 1)} {round(y - side / 2, 1)}h{side}v{side}h-{side}z"
        (patrolled if index in hit else unpatrolled).append(square)
    return "".join(patrolled), "".join(unpatrolled), len(grid), len(hit)


def effort_view(
    session: Session,
    *,
    community: Community,
    rules: dict[str, IndicatorRule],
    latest: dict[str, IndicatorValue],
    now: datetime,
    lang: str,
) -> EffortView:
    """The patrols ended in the last 30 days, the latest effort values and encounter rates."""
    rows = list(
        session.execute(
            select(Patrol.id, Patrol.ended_at, Patrol.length_km, Patrol.monitors, Patrol.track)
            .where(
                Patrol.community_code == community.code,
                Patrol.ended_at >= now - timedelta(days=WINDOW_DAYS),
            )
            .order_by(Patrol.ended_at.desc(), Patrol.id)
        ).all()
    )
    km_value = latest.get("patrol_km")
    coverage_value = latest.get("patrol_coverage")
    view = EffortView(
        patrols=len(rows),
        km=km_value.value if km_value is not None else None,
        coverage=coverage_value.value if coverage_value is not None else None,
    )
    rates = ((km_value.details or {}).get("encounter_rates") or {}) if km_value else {}
    for code, entry in rates.items():
        rule = rules.get(code)
        name = (rule.name_en if lang == "en" else rule.name_es) if rule else code
        view.rates.append({"code": code, "name": name, **entry})
    bounds = geo.geometry_bounds(community.boundary, community.buffer)
    project = geo.Projection(bounds)
    tracks = [row.track for row in rows]
    params = rules["patrol_coverage"].params if "patrol_coverage" in rules else {}
    patrolled, unpatrolled, cells, hit = _cells_paths(community, tracks, project, params or {})
    view.map = PatrolMap(
        width=project.width,
        height=project.height,
        territory_path=geo.svg_path(community.boundary, project),
        buffer_path=geo.svg_path(community.buffer, project),
        patrolled_path=patrolled,
        unpatrolled_path=unpatrolled,
        tracks=[
            (
                _track_path(row.track, project),
                f"{row.ended_at.astimezone(LIMA):%d/%m/%Y} · {row.length_km:.1f} km · "
                f"{row.monitors} {'monitors' if lang == 'en' else 'monitores'}",
            )
            for row in rows[:MAX_TRACKS]
        ],
        cells=cells,
        cells_patrolled=hit,
    )
    return view
