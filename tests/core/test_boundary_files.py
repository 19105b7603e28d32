"""Official boundary files read into community records (no database): every format, any CRS, a
broken ring repaired, multipolygons and holes kept, each bad feature named by its index."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely import geometry

from ews.reference.boundaries import (
    BoundaryFileError,
    FieldMapping,
    community_records,
    read_layer,
)
from tests.support.boundary_files import (
    BOW_TIE,
    FORMATS,
    TWO_PARTS,
    WITH_HOLE,
    standard_features,
    write_features,
)


def _read(path: Path, mapping: FieldMapping | None = None):  # type: ignore[no-untyped-def]
    layer = read_layer(path)
    fields = (mapping or FieldMapping()).resolve(layer.fields)
    return community_records(layer.features, fields=fields, crs=layer.crs)


@pytest.mark.parametrize("extension", FORMATS)
def test_each_format_loads_its_good_features_and_names_the_bad_one(
    tmp_path: Path, extension: str
) -> None:
    path = write_features(tmp_path / f"comunidades.{extension}", standard_features())
    read = _read(path)

    assert [record.code for record in read.records] == ["cn-hueco", "cn-dos", "cn-mono"]
    assert [(e.index, e.reason) for e in read.errors] == [(3, "no_code")]
    assert "sin código" in read.errors[0].message

    by_code = {record.code: record for record in read.records}
    hole = geometry.shape(by_code["cn-hueco"].boundary)
    assert hole.geom_type == "Polygon" and len(hole.interiors) == 1
    assert hole.area == pytest.approx(WITH_HOLE.area, rel=1e-6)
    parts = geometry.shape(by_code["cn-dos"].boundary)
    assert parts.geom_type == "MultiPolygon" and len(parts.geoms) == 2
    assert parts.area == pytest.approx(TWO_PARTS.area, rel=1e-6)
    assert by_code["cn-hueco"].attributes["name"] == "CN Con Hueco"
    assert by_code["cn-dos"].attributes["region"] == "Ucayali"
    assert by_code["cn-dos"].attributes["ubigeo"] == "250105"


@pytest.mark.parametrize("extension", FORMATS)
def test_a_self_intersecting_ring_is_repaired_into_its_valid_parts(
    tmp_path: Path, extension: str
) -> None:
    path = write_features(tmp_path / f"comunidades.{extension}", standard_features())
    record = next(r for r in _read(path).records if r.code == "cn-mono")
    repaired = geometry.shape(record.boundary)

    assert not BOW_TIE.is_valid
    assert record.repaired
    assert repaired.is_valid
    assert repaired.geom_type == "MultiPolygon" and len(repaired.geoms) == 2  # its two triangles
    assert repaired.area == pytest.approx(0.005, rel=1e-6)  # 2 x (0.1 x 0.05 / 2) square degrees


@pytest.mark.parametrize(
    ("extension", "crs"),
    [
        ("gpkg", "EPSG:32718"),  # WGS 84 / UTM 18S
        ("shp.zip", "EPSG:32718"),
        ("gpkg", "EPSG:24878"),  # PSAD56 / UTM 18S, in older Peruvian cadastres
        ("geojson", "EPSG:4326"),
    ],
)
def test_a_file_in_metres_gives_the_same_lon_lat_boundaries_as_one_in_lon_lat(
    tmp_path: Path, extension: str, crs: str
) -> None:
    projected = _read(
        write_features(tmp_path / f"proyectado.{extension}", standard_features(), crs=crs)
    ).records
    lon_lat = _read(
        write_features(tmp_path / "wgs84.gpkg", standard_features(), crs="EPSG:4326")
    ).records

    codes = ["cn-hueco", "cn-dos", "cn-mono"]
    assert [r.code for r in projected] == [r.code for r in lon_lat] == codes
    for a, b in zip(projected, lon_lat, strict=True):
        one, other = geometry.shape(a.boundary), geometry.shape(b.boundary)
        assert -75 < one.centroid.x < -74 and -10 < one.centroid.y < -9  # in degrees, in Ucayali
        assert one.symmetric_difference(other).area < 1e-9 * other.area + 1e-12


def test_points_empty_geometries_and_bad_attributes_are_reported_by_index(tmp_path: Path) -> None:
    features = [
        ({"code": "cn-ok", "ubigeo": "250101", "titled_area_ha": "1500"}, WITH_HOLE),
        ({"code": "cn-punto", "ubigeo": "250101", "titled_area_ha": None}, geometry.Point(-74, -9)),
        ({"code": "cn-vacia", "ubigeo": "250101", "titled_area_ha": None}, None),
        ({"code": "cn-ok", "ubigeo": "250101", "titled_area_ha": None}, TWO_PARTS),
        ({"code": "cn-ubigeo", "ubigeo": "990101", "titled_area_ha": None}, TWO_PARTS),
        ({"code": "cn-area", "ubigeo": "250101", "titled_area_ha": "mucho"}, TWO_PARTS),
        ({"code": "a/b", "ubigeo": "250101", "titled_area_ha": None}, TWO_PARTS),
    ]
    read = _read(write_features(tmp_path / "mixta.geojson", features))

    assert [r.code for r in read.records] == ["cn-ok"]
    assert read.records[0].attributes["titled_area_ha"] == 1500.0
    assert [(e.index, e.code, e.reason) for e in read.errors] == [
        (1, "cn-punto", "not_polygon"),
        (2, "cn-vacia", "empty_geometry"),
        (3, "cn-ok", "duplicate_code"),
        (4, "cn-ubigeo", "bad_ubigeo"),
        (5, "cn-area", "bad_area"),
        (6, "a/b", "bad_code"),
    ]
    assert "Point" in read.errors[0].message


def test_field_names_are_mapped_and_a_missing_field_stops_the_file(tmp_path: Path) -> None:
    features = [
        (
            {"COD_CN": 1234, "NOMBRE_CN": "CN Mil", "UBIGEO": 80101, "PUEBLO": "Matsigenka"},
            WITH_HOLE,
        )
    ]
    path = write_features(tmp_path / "sicna.gpkg", features)
    mapping = FieldMapping(code="cod_cn", name="nombre_cn", people="pueblo")
    read = _read(path, mapping)

    [record] = read.records
    assert record.code == "1234"
    assert record.attributes["name"] == "CN Mil"
    assert record.attributes["people"] == "Matsigenka"
    assert record.attributes["ubigeo"] == "080101"  # the number lost its leading zero
    assert record.attributes["region"] == "Cusco"
    with pytest.raises(BoundaryFileError, match="--code-field"):
        _read(path)  # no field called code
    with pytest.raises(BoundaryFileError, match="'codigo_oficial'"):
        _read(path, FieldMapping(code="codigo_oficial"))


def test_a_file_that_is_not_a_boundary_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "notas.geojson"
    path.write_text("esto no es GeoJSON", encoding="utf-8")
    with pytest.raises(BoundaryFileError, match=r"notas\.geojson"):
        read_layer(path)


def test_a_file_with_several_layers_needs_one_chosen(tmp_path: Path) -> None:
    import numpy as np
    import pyogrio
    import shapely

    path = write_features(tmp_path / "capas.gpkg", standard_features())
    wkb = np.array([shapely.to_wkb(WITH_HOLE)], dtype=object)
    pyogrio.raw.write(
        path,
        wkb,
        [np.array(["otra"], dtype=object)],
        ["code"],
        layer="anexos",
        crs="EPSG:4326",
        geometry_type="Polygon",
        driver="GPKG",
        append=True,
    )
    with pytest.raises(BoundaryFileError, match="--layer"):
        read_layer(path)
    assert [f.properties["code"] for f in read_layer(path, "anexos").features] == ["otra"]
    with pytest.raises(BoundaryFileError, match="'nada'"):
        read_layer(path, "nada")
