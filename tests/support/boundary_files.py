"""Boundary files for the import tests, written with pyogrio in each format the import reads."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from shapely import geometry

from indicators.geometry import GEOGRAPHIC_CRS, reproject

FORMATS = ("geojson", "gpkg", "shp.zip", "kml")

# In the Ucayali basin (UTM 18S), clear of Flor de Ucayali.
WITH_HOLE = geometry.Polygon(
    [(-74.60, -9.20), (-74.50, -9.20), (-74.50, -9.10), (-74.60, -9.10)],
    [[(-74.57, -9.17), (-74.57, -9.13), (-74.53, -9.13), (-74.53, -9.17)]],
)
TWO_PARTS = geometry.MultiPolygon(
    [
        geometry.box(-74.40, -9.20, -74.35, -9.15),
        geometry.box(-74.33, -9.20, -74.30, -9.17),
    ]
)
# A ring that crosses itself (a bow tie): make_valid turns it into its two triangles.
BOW_TIE = shapely.from_wkt(
    "POLYGON ((-74.20 -9.20, -74.10 -9.10, -74.10 -9.20, -74.20 -9.10, -74.20 -9.20))"
)
NO_CODE = geometry.box(-74.00, -9.20, -73.95, -9.15)


def standard_features() -> list[tuple[dict[str, Any], Any]]:
    """Four features: a polygon with a hole, a multipolygon, a bow tie, and one with no code."""
    return [
        ({"code": "cn-hueco", "name": "CN Con Hueco", "ubigeo": "250101"}, WITH_HOLE),
        ({"code": "cn-dos", "name": "CN Dos Partes", "ubigeo": "250105"}, TWO_PARTS),
        ({"code": "cn-mono", "name": "CN Moño", "ubigeo": "250104"}, BOW_TIE),
        ({"code": "", "name": "CN Sin Código", "ubigeo": "250101"}, NO_CODE),
    ]


def write_features(
    path: Path,
    features: Sequence[tuple[dict[str, Any], Any]],
    *,
    crs: str = GEOGRAPHIC_CRS,
    geometry_type: str = "Unknown",
) -> Path:
    """Write ``(properties, lon/lat geometry)`` pairs to ``path`` in the format its name says
    (``.geojson``, ``.gpkg``, ``.shp.zip``, ``.kml``), the geometries reprojected to ``crs``."""
    names = list(features[0][0])
    columns = [np.array([props[name] for props, _ in features], dtype=object) for name in names]
    geoms = [
        None
        if geom is None
        else reproject(geom, GEOGRAPHIC_CRS, crs)
        if crs != GEOGRAPHIC_CRS
        else geom
        for _, geom in features
    ]
    wkbs = np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    name = path.name
    if name.endswith(".shp.zip"):
        folder = path.parent / name.removesuffix(".shp.zip")
        folder.mkdir()
        shp = folder / "comunidades.shp"
        pyogrio.raw.write(
            shp, wkbs, columns, names, crs=crs, geometry_type="Polygon", driver="ESRI Shapefile"
        )
        with zipfile.ZipFile(path, "w") as archive:
            for part in sorted(folder.iterdir()):
                archive.write(part, part.name)
        return path
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML"}[path.suffix.lstrip(".")]
    pyogrio.raw.write(
        path, wkbs, columns, names, crs=crs, geometry_type=geometry_type, driver=driver
    )
    return path
