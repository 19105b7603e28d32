"""The territory map as SVG geometry: pure functions from GeoJSON and points to drawing data.

Everything is projected to Web Mercator pixels at a whole zoom level, so that optional raster tiles
(``settings.map_tile_url``, none by default) line up with the drawing exactly. The SVG ``viewBox``
is the extent in those pixels; the browser scales it to the page width.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
import shapely.geometry

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
    """One community on the overview map: its simplified outline (``path``, relative moves; empty
    for a territory too small to draw at this scale, then drawn as a marker at x, y), its highest
    open level and how many alerts are open."""

    code: str
    name: str
    level: str  # critical | high | warning | none
    open_alerts: int
    path: str
    x: int
    y: int


@dataclass
class Overview:
    width: int
    height: int
    places: list[Place]

    def data(self, texts: dict[str, str]) -> str:
        """The map as compact JSON for the page's script (``overview.js`` draws it): one array
        per community, [code, name, level, open alerts, x, y, path], safe inside a ``<script>``."""
        body = {
            "w": self.width,
            "h": self.height,
            "t": texts,
            "c": [[p.code, p.name, p.level, p.open_alerts, p.x, p.y, p.path] for p in self.places],
        }
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


OVERVIEW_WIDTH = 1000  # drawing units across; the browser scales the SVG to the page
OVERVIEW_ASPECT = 1.6  # width over height, at least
UNIT_TOLERANCE = 0.7  # the outlines' second simplification, in drawing units
MIN_SHAPE_UNITS = 3  # a territory narrower than this on the map is drawn as a marker


def _rank(level: str) -> int:
    return Level(level).rank if level in Level.__members__ else 0


def _mercator_y(lat: float) -> float:
    sin = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
    return math.degrees(math.log((1 + sin) / (1 - sin)) / 2)


def _points(shape: dict[str, Any]) -> list[tuple[float, float]]:
    if shape.get("type") == "Point":
        lon, lat, *_ = shape["coordinates"]
        return [(lon, lat)]
    return [(lon, lat) for ring in _rings(shape) for lon, lat, *_ in ring]


def relative_path(rings: Iterable[Sequence[tuple[int, int]]]) -> str:
    """``M x y`` then relative moves (``l dx dy ...``) and ``z`` per ring, on whole units,
    repeated points dropped; a ring left with fewer than 3 points is dropped."""
    parts = []
    for ring in rings:
        points: list[tuple[int, int]] = []
        for point in ring:
            if not points or point != points[-1]:
                points.append(point)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        if len(points) < 3:
            continue
        (x0, y0), previous = points[0], points[0]
        moves = []
        for x, y in points[1:]:
            moves.append(f"{x - previous[0]} {y - previous[1]}")
            previous = (x, y)
        parts.append(f"M{x0} {y0}l" + " ".join(moves).replace(" -", "-") + "z")
    return "".join(parts)


def build_overview(
    communities: Sequence[tuple[str, str, dict[str, Any]]], levels: dict[str, tuple[str, int]]
) -> Overview:
    """Every community (code, name, overview shape: ``indicators.geometry.overview_shape``) on one
    map, coloured by its highest open alert (``levels``: code -> (level, open alerts)); the most
    urgent drawn last, so on top. Coordinates are whole units of a map ``OVERVIEW_WIDTH`` wide
    (north up, Mercator); a territory under ``MIN_SHAPE_UNITS`` across is drawn as a marker."""
    shapes = [(code, name, shape, _points(shape)) for code, name, shape in communities]
    lons = [lon for *_, points in shapes for lon, _lat in points]
    ys = [_mercator_y(lat) for *_, points in shapes for _lon, lat in points]
    if not lons:
        return Overview(width=OVERVIEW_WIDTH, height=OVERVIEW_WIDTH // 2, places=[])
    west, east, bottom, top = min(lons), max(lons), min(ys), max(ys)
    across = max(east - west, OVERVIEW_ASPECT * (top - bottom), 0.01)
    scale = OVERVIEW_WIDTH / (across * (1 + 2 * MARGIN_FRACTION))
    margin_x = (OVERVIEW_WIDTH - (east - west) * scale) / 2
    margin_y = MARGIN_FRACTION * across * scale
    height = round((top - bottom) * scale + 2 * margin_y)

    def project(lon: float, lat: float) -> tuple[int, int]:
        return (
            round((lon - west) * scale + margin_x),
            round((top - _mercator_y(lat)) * scale + margin_y),
        )

    def to_units(coords: np.ndarray) -> np.ndarray:
        lat = np.radians(np.clip(coords[:, 1], -85.0, 85.0))
        y = np.degrees(np.log((1 + np.sin(lat)) / (1 - np.sin(lat))) / 2)
        return np.column_stack(
            ((coords[:, 0] - west) * scale + margin_x, (top - y) * scale + margin_y)
        )

    places = []
    for code, name, shape, points in shapes:
        level, count = levels.get(code, ("none", 0))
        projected = [project(lon, lat) for lon, lat in points]
        xs = [x for x, _ in projected]
        ys_ = [y for _, y in projected]
        x, y = (min(xs) + max(xs)) // 2, (min(ys_) + max(ys_)) // 2
        path = ""
        if (
            shape.get("type") != "Point"
            and max(max(xs) - min(xs), max(ys_) - min(ys_)) >= MIN_SHAPE_UNITS
        ):
            # Simplified again on the map's own units, so whole units carry no zig-zag.
            drawn = shapely.simplify(
                shapely.transform(shapely.geometry.shape(shape), to_units),
                UNIT_TOLERANCE,
                preserve_topology=True,
            )
            path = relative_path(
                [(round(px), round(py)) for px, py in ring.coords]
                for polygon in getattr(drawn, "geoms", [drawn])
                for ring in (polygon.exterior, *polygon.interiors)
            )
        places.append(Place(code, name, level, count, path, x, y))
    places.sort(key=lambda p: (_rank(p.level), p.name))
    return Overview(width=OVERVIEW_WIDTH, height=height, places=places)
