"""The approach zone is drawn in each community's own UTM zone: its outer edge lies at the
configured distance from the territory on the ellipsoid (pyproj.Geod), in zones 17S, 18S and 19S."""

from __future__ import annotations

import pytest
from pyproj import Geod
from shapely import geometry
from shapely.ops import nearest_points

from indicators.geometry import GEOGRAPHIC_CRS, buffer_ring, metric_crs, reproject, utm_crs

GEOD = Geod(ellps="WGS84")
BUFFER_M = 5000.0
# Within its own zone a UTM distance is off by under 0.1% (5 m in 5 km); Madre de Dios drawn in
# Ucayali's zone (18S) is off by 0.4% (20 m). 10 m tells the two apart.
TOLERANCE_M = 10.0

# Territories near their zone's edge (where the scale error is largest), one per zone of Peru:
# Condorcanqui (Amazonas) in 17S, the upper Ucayali in 18S, the Madre de Dios in 19S.
PLACES = {
    "EPSG:32717": (-78.30, -4.50),
    "EPSG:32718": (-72.35, -9.50),
    "EPSG:32719": (-69.60, -12.00),
}


def _territory(lon: float, lat: float) -> geometry.Polygon:
    """An irregular territory about 10 km across, with a hole (an enclave)."""
    return geometry.Polygon(
        [(lon, lat), (lon + 0.09, lat + 0.01), (lon + 0.07, lat + 0.08), (lon - 0.01, lat + 0.06)],
        [[(lon + 0.02, lat + 0.02), (lon + 0.04, lat + 0.02), (lon + 0.03, lat + 0.04)]],
    )


def _edge_distances(territory: geometry.Polygon, ring_geojson: dict) -> list[float]:
    """Geodesic distance (m) from each vertex of the ring's outer edge to the territory (the
    enclave, closer than the buffer distance, is a part of the ring of its own: left aside)."""
    ring = geometry.shape(ring_geojson)
    crs = metric_crs(territory)
    metric_territory = reproject(territory, GEOGRAPHIC_CRS, crs)
    polygons = list(ring.geoms) if ring.geom_type == "MultiPolygon" else [ring]
    outer = max(polygons, key=lambda polygon: polygon.area)
    distances = []
    for lon, lat in outer.exterior.coords:
        vertex = reproject(geometry.Point(lon, lat), GEOGRAPHIC_CRS, crs)
        _, nearest = nearest_points(vertex, metric_territory.exterior)
        near = reproject(nearest, crs, GEOGRAPHIC_CRS)
        _, _, distance = GEOD.inv(lon, lat, near.x, near.y)
        distances.append(distance)
    return distances


@pytest.mark.parametrize("zone", list(PLACES))
def test_the_ring_edge_is_at_the_buffer_distance_on_the_ellipsoid(zone: str) -> None:
    lon, lat = PLACES[zone]
    territory = _territory(lon, lat)
    assert metric_crs(territory) == zone

    ring = buffer_ring(geometry.mapping(territory), BUFFER_M)
    distances = _edge_distances(territory, ring)

    assert len(distances) > 50
    assert max(abs(d - BUFFER_M) for d in distances) < TOLERANCE_M
    # The ring is the approach zone only: the territory is not in it, its enclave is.
    shape = geometry.shape(ring)
    assert not shape.intersects(territory.representative_point())
    assert shape.contains(geometry.Point(lon + 0.03, lat + 0.027))


def test_a_ring_drawn_in_the_wrong_zone_misses_the_distance() -> None:
    """The check above can fail: Madre de Dios drawn in 18S (Ucayali's zone) is metres off."""
    lon, lat = PLACES["EPSG:32719"]
    territory = _territory(lon, lat)
    wrong = buffer_ring(geometry.mapping(territory), BUFFER_M, crs="EPSG:32718")
    assert max(abs(d - BUFFER_M) for d in _edge_distances(territory, wrong)) > TOLERANCE_M


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [
        (-81.3, -4.5, "EPSG:32717"),  # Talara's coast
        (-78.01, -5.0, "EPSG:32717"),
        (-77.99, -5.0, "EPSG:32718"),
        (-72.01, -10.0, "EPSG:32718"),
        (-71.99, -10.0, "EPSG:32719"),
        (-69.0, -12.6, "EPSG:32719"),  # Puerto Maldonado
        (-73.3, 0.5, "EPSG:32618"),  # north of the equator: a northern zone
    ],
)
def test_the_zone_follows_the_longitude(lon: float, lat: float, crs: str) -> None:
    assert utm_crs(lon, lat) == crs
