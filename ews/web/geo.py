"""The territory map as SVG geometry: pure functions from GeoJSON and points to drawing data.

Everything is projected to Web Mercator pixels at a whole zoom level, so that optional raster tiles
(``settings.map_tile_url``, none by default) line up with the drawing exactly. The SVG ``viewBox``
is the extent in those pixels; the browser scales it to the page width.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from indicators.levels import Level

TILE_PX = 256
TARGET_WIDTH_PX = 760  # the drawing's width at the chosen zoom lies between half this and this
MARGIN_FRACTION = 0.04
MAX_SINGLE_POINTS = (
    600  # above this a layer is drawn as a density grid instead of one mark per point
)
GRID_CELL_PX = 4.0
MAX_GRID_CELLS = 2_500  # a grid with more cells is redrawn with cells twice as wide


@dataclass(frozen=True)
class MapPoint:
    lon: float
    lat: float
    kind: str  # the CSS class: a threat type, a hotspot confidence, a deforestation dataset
    title: str  # the tooltip (date, type, severity); never a reporter's identity


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    title: str


@dataclass
class Layer:
    """One kind of point on the map: marks one by one, or a density grid when there are many."""

    name: str
    count: int
    marks_by_kind: dict[str, list[Mark]] = field(default_factory=dict)
    grid_paths: list[tuple[int, str]] = field(default_factory=list)  # (density class 1-3, path)
    grid_cell: float = GRID_CELL_PX

    @property
    def grouped(self) -> bool:
        return bool(self.grid_paths)


@dataclass(frozen=True)
class Tile:
    href: str
    x: float
    y: float


@dataclass
class MapView:
    width: float
    height: float
    zoom: int
    territory_path: str
    buffer_path: str
    layers: list[Layer]
    tiles: list[Tile]
    tile_origin: str | None


def world_px(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a WGS84 position at ``zoom`` (256-pixel tiles)."""
    size = TILE_PX * (2**zoom)
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = (lon + 180.0) / 360.0 * size
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size
    return x, y


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coordinates)
    if kind == "MultiPolygon":
        return [ring for polygon in coordinates for ring in polygon]
    return []


def choose_zoom(min_lon: float, max_lon: float, target_px: float = TARGET_WIDTH_PX) -> int:
    """The largest whole zoom at which the extent is at most ``target_px`` wide."""
    for zoom in range(18, 0, -1):
        left, _ = world_px(min_lon, 0.0, zoom)
        right, _ = world_px(max_lon, 0.0, zoom)
        if right - left <= target_px:
            return zoom
    return 1


class Projection:
    """World pixels at ``zoom`` shifted so the extent's north-west corner (with margin) is 0,0."""

    def __init__(
        self, bounds: tuple[float, float, float, float], max_height_px: float | None = None
    ) -> None:
        min_lon, min_lat, max_lon, max_lat = bounds
        self.zoom = choose_zoom(min_lon, max_lon)
        left, top = world_px(min_lon, max_lat, self.zoom)
        right, bottom = world_px(max_lon, min_lat, self.zoom)
        while max_height_px and bottom - top > max_height_px and self.zoom > 1:
            self.zoom -= 1  # a tall extent: zoom out until it fits the height too
            left, top = world_px(min_lon, max_lat, self.zoom)
            right, bottom = world_px(max_lon, min_lat, self.zoom)
        margin = MARGIN_FRACTION * max(right - left, bottom - top)
        self.origin_x = left - margin
        self.origin_y = top - margin
        self.width = round(right - left + 2 * margin, 1)
        self.height = round(bottom - top + 2 * margin, 1)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = world_px(lon, lat, self.zoom)
        return round(x - self.origin_x, 1), round(y - self.origin_y, 1)

    def contains(self, x: float, y: float) -> bool:
        return 0 <= x <= self.width and 0 <= y <= self.height


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def svg_path(geometry: dict[str, Any], project: Projection) -> str:
    """An SVG path (``M x y L ... Z`` per ring) for a GeoJSON Polygon or MultiPolygon."""
    parts = []
    for ring in _rings(geometry):
        points = [project(lon, lat) for lon, lat, *_ in ring]
        if len(points) < 3:
            continue
        head, *tail = points
        parts.append(
            f"M{_num(head[0])} {_num(head[1])}"
            + "".join(f"L{_num(x)} {_num(y)}" for x, y in tail)
            + "Z"
        )
    return "".join(parts)


def build_layer(name: str, points: Sequence[MapPoint], project: Projection) -> Layer:
    """Marks for the points inside the map, or a density grid when there are too many to draw."""
    projected = [(project(p.lon, p.lat), p) for p in points]
    inside = [(xy, p) for xy, p in projected if project.contains(*xy)]
    layer = Layer(name=name, count=len(inside))
    if len(inside) <= MAX_SINGLE_POINTS:
        for (x, y), point in inside:
            layer.marks_by_kind.setdefault(point.kind, []).append(Mark(x, y, point.title))
        return layer
    cell = GRID_CELL_PX
    counts = Counter((int(x // cell), int(y // cell)) for (x, y), _ in inside)
    while len(counts) > MAX_GRID_CELLS:
        cell *= 2
        counts = Counter((int(x // cell), int(y // cell)) for (x, y), _ in inside)
    layer.grid_cell = cell
    densest = max(counts.values())
    by_class: dict[int, list[str]] = {1: [], 2: [], 3: []}
    for (column, row), count in sorted(counts.items()):
        density = 1 if count * 3 <= densest else (2 if count * 3 <= 2 * densest else 3)
        by_class[density].append(
            f"M{_num(column * cell)} {_num(row * cell)}h{_num(cell)}v{_num(cell)}h-{_num(cell)}z"
        )
    layer.grid_paths = [(density, "".join(cells)) for density, cells in by_class.items() if cells]
    return layer


def tiles_for(template: str, project: Projection) -> list[Tile]:
    """The raster tiles that cover the map, placed in its pixel space (``{z}/{x}/{y}`` template)."""
    first_x = int(project.origin_x // TILE_PX)
    first_y = int(project.origin_y // TILE_PX)
    last_x = int((project.origin_x + project.width) // TILE_PX)
    last_y = int((project.origin_y + project.height) // TILE_PX)
    tiles = []
    for tile_y in range(first_y, last_y + 1):
        for tile_x in range(first_x, last_x + 1):
            href = (
                template.replace("{z}", str(project.zoom))
                .replace("{x}", str(tile_x))
                .replace("{y}", str(tile_y))
            )
            tiles.append(
                Tile(
                    href=href,
                    x=round(tile_x * TILE_PX - project.origin_x, 1),
                    y=round(tile_y * TILE_PX - project.origin_y, 1),
                )
            )
    return tiles


def tile_origin(template: str | None) -> str | None:
    """``scheme://host[:port]`` of a tile template, for the page's Content-Security-Policy."""
    if not template or "://" not in template:
        return None
    scheme, rest = template.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


def build_map(
    *,
    boundary: dict[str, Any],
    buffer: dict[str, Any],
    bounds: tuple[float, float, float, float],
    layers: Iterable[tuple[str, Sequence[MapPoint]]],
    tile_template: str | None = None,
) -> MapView:
    """Everything the map template draws, in the SVG's own pixel coordinates.

    ``bounds`` is (min_lon, min_lat, max_lon, max_lat) of the territory with its buffer.
    """
    project = Projection(bounds)
    return MapView(
        width=project.width,
        height=project.height,
        zoom=project.zoom,
        territory_path=svg_path(boundary, project),
        buffer_path=svg_path(buffer, project),
        layers=[build_layer(name, points, project) for name, points in layers],
        tiles=tiles_for(tile_template, project) if tile_template else [],
        tile_origin=tile_origin(tile_template),
    )


def geometry_bounds(*geometries: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) over every ring of the geometries."""
    lons: list[float] = []
    lats: list[float] = []
    for geometry in geometries:
        for ring in _rings(geometry):
            for lon, lat, *_ in ring:
                lons.append(lon)
                lats.append(lat)
    return min(lons), min(lats), max(lons), max(lats)


@dataclass(frozen=True)
class Place:
    """One community on the overview map: its outline, a dot at its middle, its highest level."""

    code: str
    name: str
    level: str  # critical | high | warning | none
    open_alerts: int
    path: str
    x: float
    y: float


@dataclass
class Overview:
    width: float
    height: float
    places: list[Place]


OVERVIEW_MAX_HEIGHT_PX = 520
OVERVIEW_ASPECT = 1.6  # width over height, at least


def _rank(level: str) -> int:
    return Level(level).rank if level in Level.__members__ else 0


def build_overview(
    communities: Sequence[tuple[str, str, dict[str, Any]]], levels: dict[str, tuple[str, int]]
) -> Overview:
    """Every community (code, name, boundary) on one map, coloured by its highest open alert
    (``levels``: code -> (level, open alerts)); the most urgent are drawn last, so on top. Each
    gets a dot at the middle of its box as well, so a small territory stays visible and clickable
    at national scale."""
    lons: list[float] = []
    lats: list[float] = []
    for _code, _name, boundary in communities:
        for ring in _rings(boundary):
            for lon, lat, *_ in ring:
                lons.append(lon)
                lats.append(lat)
    if not lons:
        return Overview(width=TARGET_WIDTH_PX, height=TARGET_WIDTH_PX / 2, places=[])
    west, south, east, north = min(lons), min(lats), max(lons), max(lats)
    # A landscape map fills the page: widen a tall extent (near the equator, degrees of longitude
    # and latitude draw about the same length).
    widen = max(OVERVIEW_ASPECT * (north - south) - (east - west), 0.0) / 2
    project = Projection(
        (west - widen, south, east + widen, north), max_height_px=OVERVIEW_MAX_HEIGHT_PX
    )
    places = []
    for code, name, boundary in communities:
        left, bottom, right, top = geometry_bounds(boundary)
        x, y = project((left + right) / 2, (bottom + top) / 2)
        level, count = levels.get(code, ("none", 0))
        places.append(Place(code, name, level, count, svg_path(boundary, project), x, y))
    places.sort(key=lambda p: (_rank(p.level), p.name))
    return Overview(width=project.width, height=project.height, places=places)
