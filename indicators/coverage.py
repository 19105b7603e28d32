"""Patrol effort on the ground: how long a track is and which cells of a territory it covers (pure).

The territory and its approach zone (the buffer ring) are cut into square cells of ``cell_m``
metres in the territory's own UTM zone (:func:`indicators.geometry.metric_crs`); a cell belongs to the
zone its centre falls in. A track covers a cell when the cell's centre lies within ``reach_m``
metres of it (what a patrol sees either side of its path). Coverage is the share, 0-100, of the
cells covered by at least one track.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import shapely
from pyproj import Geod
from shapely import geometry

from indicators.geometry import GEOGRAPHIC_CRS, metric_crs, reproject
from indicators.zones import BUFFER, CORE

_GEOD = Geod(ellps="WGS84")
# A process keeps the grids of this many territories and the covered cells of this many (track,
# grid) pairs between runs: a national set is about 2,300 territories, and a run after a few new
# rows then measures coverage again without redrawing a grid or a track it has seen.
GRIDS_KEPT = 4096
TRACKS_KEPT = 65536


def _shape(value: Any) -> Any:
    if isinstance(value, shapely.Geometry):
        return value
    return geometry.shape(value)


def track_lines(track: Mapping[str, Any]) -> list[list[tuple[float, float]]]:
    """The lines of a GeoJSON LineString or MultiLineString as lists of ``(lon, lat)``."""
    kind = track.get("type")
    coordinates = track.get("coordinates") or []
    lines = [coordinates] if kind == "LineString" else list(coordinates)
    return [[(float(p[0]), float(p[1])) for p in line] for line in lines]


def track_length_km(track: Mapping[str, Any]) -> float:
    """Geodesic length (WGS84 ellipsoid) of a GeoJSON LineString or MultiLineString, in km."""
    total = 0.0
    for line in track_lines(track):
        if len(line) >= 2:
            lons, lats = zip(*line, strict=True)
            total += float(_GEOD.line_length(lons, lats))
    return total / 1000.0


@dataclass(frozen=True)
class Grid:
    """The cells of a territory and its ring: centres in metres (in ``crs``, the territory's UTM
    zone) and each cell's zone."""

    x: np.ndarray
    y: np.ndarray
    zone: np.ndarray  # CORE | BUFFER per cell
    cell_m: float
    crs: str
    key: str = ""  # what the grid was drawn from (geometries and cell size); "" if unknown

    def __len__(self) -> int:
        return len(self.x)


def territory_grid(
    boundary: Mapping[str, Any] | Any, buffer: Mapping[str, Any] | Any | None, cell_m: float
) -> Grid:
    """Square cells of ``cell_m`` metres over the territory (``core``) and its ring (``buffer``),
    kept where their centre lies in one of them (the territory wins on the shared edge)."""
    territory = _shape(boundary)
    crs = metric_crs(territory)
    core = reproject(territory, GEOGRAPHIC_CRS, crs)
    ring = reproject(_shape(buffer), GEOGRAPHIC_CRS, crs) if buffer else None
    whole = core if ring is None else shapely.union(core, ring)
    west, south, east, north = whole.bounds
    xs = np.arange(west + cell_m / 2, east, cell_m)
    ys = np.arange(south + cell_m / 2, north, cell_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    centres = shapely.points(gx, gy)
    in_core = shapely.intersects(core, centres)
    in_ring = shapely.intersects(ring, centres) if ring is not None else np.zeros_like(in_core)
    keep = in_core | in_ring
    zone = np.where(in_core, CORE, BUFFER)[keep].astype(object)
    return Grid(x=gx[keep], y=gy[keep], zone=zone, cell_m=float(cell_m), crs=crs)


def covered_cells(track: Mapping[str, Any], grid: Grid, reach_m: float) -> np.ndarray:
    """Indices (sorted, read-only) of the cells whose centre lies within ``reach_m`` metres of the
    track (kept per track and grid when the grid knows what it was drawn from)."""
    if not grid.key:
        return _covered_cells(track, grid, reach_m)
    return _TRACKS.get(
        (_digest(repr(track)), grid.key, float(reach_m)),
        lambda: _covered_cells(track, grid, reach_m),
    )


def _covered_cells(track: Mapping[str, Any], grid: Grid, reach_m: float) -> np.ndarray:
    lines = [line for line in track_lines(track) if len(line) >= 2]
    if not lines or not len(grid):
        return np.array([], dtype=np.int64)
    metric = reproject(geometry.MultiLineString(lines), GEOGRAPHIC_CRS, grid.crs)
    near = shapely.dwithin(metric, shapely.points(grid.x, grid.y), reach_m)
    cells = np.flatnonzero(near).astype(np.int64)
    cells.flags.writeable = False
    return cells


def coverage_shares(grid: Grid, covered: Iterable[int]) -> tuple[float, float, float]:
    """``(all, core, buffer)``: the shares 0-100 of the grid's cells (all, the territory's, the
    ring's) among ``covered``; 0 for a zone with no cells."""
    hit = np.zeros(len(grid), dtype=bool)
    index = np.fromiter(covered, dtype=np.int64)
    hit[index] = True
    is_core = grid.zone == CORE

    def share(mask: np.ndarray) -> float:
        cells = int(mask.sum())
        return 100.0 * float((hit & mask).sum()) / cells if cells else 0.0

    return share(np.ones(len(grid), dtype=bool)), share(is_core), share(~is_core)


def coverage_of_tracks(
    tracks: Iterable[Mapping[str, Any]],
    *,
    boundary: Mapping[str, Any],
    buffer: Mapping[str, Any] | None,
    cell_m: float,
    reach_m: float,
) -> tuple[float, float, float]:
    """The coverage shares ``(all, core, buffer)`` of a territory and its ring by some tracks."""
    grid = territory_grid(boundary, buffer, cell_m)
    covered: set[int] = set()
    for track in tracks:
        covered.update(int(i) for i in covered_cells(track, grid, reach_m))
    return coverage_shares(grid, covered)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Kept(Generic[K, V]):
    """The ``size`` values made last, by key (least recently used out first; thread-safe)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


_GRIDS: _Kept[tuple[str, str, float], Grid] = _Kept(GRIDS_KEPT)
_TRACKS: _Kept[tuple[str, str, float], np.ndarray] = _Kept(TRACKS_KEPT)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _text(value: Any) -> str:
    """A geometry (GeoJSON mapping or shapely) as a short key."""
    if value is None:
        return ""
    return _digest(
        shapely.to_wkb(value, hex=True) if isinstance(value, shapely.Geometry) else repr(value)
    )


def grid_of(code: str, boundary: Any, buffer: Any, cell_m: float) -> Grid:
    """A community's grid (drawn once per geometry and cell size in a process)."""
    key = (_text(boundary), _text(buffer), float(cell_m))

    def draw() -> Grid:
        grid = territory_grid(boundary, buffer, cell_m)
        return Grid(
            x=grid.x,
            y=grid.y,
            zone=grid.zone,
            cell_m=grid.cell_m,
            crs=grid.crs,
            key="|".join(map(str, key)),
        )

    return _GRIDS.get(key, draw)
