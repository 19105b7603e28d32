"""Territory geometry in metres: each territory is measured in its own UTM zone (Peru spans 17S,
18S and 19S), chosen by the longitude of its centroid, so a 5 km ring is 5 km wherever it is."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import shapely
from pyproj import Transformer
from shapely import geometry

GEOGRAPHIC_CRS = "EPSG:4326"
UTM_ZONE_DEGREES = 6


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 UTM zone of a point as ``"EPSG:327NN"`` (south) or ``"EPSG:326NN"`` (north).

    Peru: zone 17S (EPSG:32717) west of 78°W, 18S (EPSG:32718) from 78°W to 72°W, 19S (EPSG:32719)
    east of 72°W.
    """
    zone = min(math.floor((lon + 180.0) / UTM_ZONE_DEGREES) + 1, 60)
    return f"EPSG:{32700 + zone if lat < 0 else 32600 + zone}"


def metric_crs(boundary: dict[str, Any] | Any) -> str:
    """The UTM zone a territory (GeoJSON or shapely, lon/lat) is measured in: its centroid's."""
    shape = boundary if isinstance(boundary, shapely.Geometry) else geometry.shape(boundary)
    centre = shape.centroid
    return utm_crs(float(centre.x), float(centre.y))


def buffer_ring(
    boundary: dict[str, Any], buffer_m: float, *, crs: str | None = None
) -> dict[str, Any]:
    """Return the ring ``buffer(boundary, buffer_m) - boundary`` as a GeoJSON geometry (WGS84),
    drawn in the territory's own UTM zone (or ``crs``).

    Parameters
    ----------
    boundary : GeoJSON Polygon or MultiPolygon in lon/lat.
    buffer_m : width of the approach zone in metres.
    crs : the metric CRS to draw in; by default :func:`metric_crs` of the boundary.
    """
    territory = geometry.shape(boundary)
    metric_name = crs or metric_crs(territory)
    metric = reproject(territory, GEOGRAPHIC_CRS, metric_name)
    ring_metric = metric.buffer(buffer_m, quad_segs=16).difference(metric)
    ring = reproject(ring_metric, metric_name, GEOGRAPHIC_CRS)
    if ring.geom_type == "Polygon":
        ring = geometry.polygon.orient(ring)
    mapping: dict[str, Any] = _as_lists(geometry.mapping(ring))
    return mapping


def reproject(geom: Any, source: str, target: str) -> Any:
    """A shapely geometry from the ``source`` CRS to the ``target`` CRS (e.g. lon/lat to metres)."""
    transformer = _transformer(source, target)
    return shapely.transform(geom, transformer.transform, interleaved=False)


def area_ha(boundary: dict[str, Any]) -> float:
    """Area of a lon/lat GeoJSON geometry in hectares (in its own UTM zone)."""
    shape = geometry.shape(boundary)
    metric = reproject(shape, GEOGRAPHIC_CRS, metric_crs(shape))
    return float(metric.area / 10_000)


def _as_lists(value: Any) -> Any:
    """GeoJSON with lists, not tuples, so it round-trips through JSON columns unchanged."""
    if isinstance(value, dict):
        return {key: _as_lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_lists(item) for item in value]
    return value


# The national overview map: about 20 degrees across in ~1,000 drawing units, so a unit is ~0.02°.
# Simplifying at half of that and keeping a 0.001° grid (~110 m) loses nothing visible there.
OVERVIEW_TOLERANCE_DEG = 0.01
OVERVIEW_GRID_DEG = 0.001


def overview_shape(boundary: dict[str, Any]) -> dict[str, Any]:
    """A territory simplified for a national map (GeoJSON, lon/lat): the outline simplified with
    ``OVERVIEW_TOLERANCE_DEG`` (topology kept, holes and parts kept while they still have area),
    coordinates on a ``OVERVIEW_GRID_DEG`` grid; a territory smaller than the tolerance becomes a
    Point (where it lies: a point inside it), drawn as a marker."""
    territory = shapely.make_valid(geometry.shape(boundary))
    simple = shapely.simplify(territory, OVERVIEW_TOLERANCE_DEG, preserve_topology=True)
    simple = shapely.set_precision(simple, OVERVIEW_GRID_DEG)
    polygons = [
        g for g in getattr(simple, "geoms", [simple]) if g.geom_type == "Polygon" and g.area > 0
    ]
    min_lon, min_lat, max_lon, max_lat = territory.bounds
    if not polygons or max(max_lon - min_lon, max_lat - min_lat) < OVERVIEW_TOLERANCE_DEG:
        point = territory.representative_point()
        return {"type": "Point", "coordinates": [round(point.x, 3), round(point.y, 3)]}
    shape = polygons[0] if len(polygons) == 1 else geometry.MultiPolygon(polygons)
    rounded: dict[str, Any] = _rounded(_as_lists(geometry.mapping(shape)))
    return rounded


def _rounded(value: Any) -> Any:
    """Coordinates rounded to the grid's decimals (set_precision leaves float noise behind)."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


as_lists = _as_lists
