"""Importing an official boundary file into the store (both engines): the good features load with
their rings in their own UTM zone, a re-import changes nothing and says so, a changed feature is
reported by what changed, and where each boundary came from is kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import geometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.demo.national import national_communities
from ews.models import AuditLog, Community
from ews.reference.boundaries import FieldMapping, RawFeature, community_records, read_layer
from ews.reference.boundary_import import OUTCOMES, ImportReport, import_communities
from ews.reference.loader import load_reference_data
from indicators.geometry import buffer_ring, metric_crs
from tests.support.boundary_files import standard_features, write_features
from tests.support.paths import FIXTURES_DIR
from tests.support.web import auth, sign_in

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
LONG_SOURCE = (
    "Comunidades_Nativas_Tituladas_Amazonia_Peruana_conjunto_nacional.gpkg · capa "
    "comunidades_sinteticas · 2026-11-29 04:00 UTC"
)


def import_file(db: Session, path: Path, source: str = "oficial.gpkg") -> ImportReport:
    layer = read_layer(path)
    read = community_records(
        layer.features, fields=FieldMapping().resolve(layer.fields), crs=layer.crs
    )
    report = import_communities(db, read.records, errors=read.errors, source=source, now=NOW)
    db.commit()
    return report


def test_an_import_loads_the_good_features_and_reports_the_bad_one(
    db: Session, tmp_path: Path
) -> None:
    report = import_file(db, write_features(tmp_path / "a.gpkg", standard_features()))

    assert report.counts() == {
        "added": 3,
        "geometry_changed": 0,
        "attributes_changed": 0,
        "unchanged": 0,
        "repaired": 1,
        "rejected": 1,
    }
    assert report.repaired == ["cn-mono"]
    assert [(e.index, e.reason) for e in report.rejected] == [(3, "no_code")]
    hueco = db.get(Community, "cn-hueco")
    assert hueco is not None
    assert hueco.name == "CN Con Hueco"
    assert (hueco.region, hueco.region_ubigeo, hueco.ubigeo) == ("Ucayali", "25", "250101")
    assert hueco.boundary_source == "oficial.gpkg"
    assert hueco.buffer_m == 5000
    assert hueco.buffer == buffer_ring(hueco.boundary, 5000)  # in its own zone, 18S
    assert len(geometry.shape(hueco.boundary).interiors) == 1
    assert geometry.shape(db.get(Community, "cn-dos").boundary).geom_type == "MultiPolygon"
    audit = db.execute(
        select(AuditLog).where(AuditLog.action == "communities.imported")
    ).scalar_one()
    assert audit.details["added"] == 3
    assert audit.details["source"] == "oficial.gpkg"


def test_a_second_import_of_the_same_file_changes_nothing(db: Session, tmp_path: Path) -> None:
    path = write_features(tmp_path / "a.geojson", standard_features())
    import_file(db, path)
    before = {c.code: (c.boundary, c.buffer, c.boundary_source) for c in _imported(db)}

    again = import_file(db, path, source="otra vez.geojson")

    assert again.counts()["unchanged"] == 3
    assert again.added == again.geometry_changed == again.attributes_changed == []
    after = {c.code: (c.boundary, c.buffer, c.boundary_source) for c in _imported(db)}
    assert after == before  # the boundary still comes from the first file
    assert db.execute(select(AuditLog).where(AuditLog.action == "communities.imported")).all()


def test_a_changed_feature_is_reported_by_what_changed(db: Session, tmp_path: Path) -> None:
    import_file(db, write_features(tmp_path / "v1.gpkg", standard_features()))
    features = standard_features()
    features[0] = ({**features[0][0], "name": "CN Con Hueco (nuevo nombre)"}, features[0][1])
    moved = geometry.box(-74.40, -9.20, -74.34, -9.14)  # cn-dos, redrawn as one part
    features[1] = (features[1][0], moved)

    report = import_file(db, write_features(tmp_path / "v2.gpkg", features), source="v2.gpkg")

    assert report.attributes_changed == ["cn-hueco"]
    assert report.geometry_changed == ["cn-dos"]
    assert report.unchanged == ["cn-mono"]
    dos = db.get(Community, "cn-dos")
    assert geometry.shape(dos.boundary).equals(moved)
    assert dos.buffer == buffer_ring(dos.boundary, 5000)
    assert dos.boundary_source == "v2.gpkg"
    hueco = db.get(Community, "cn-hueco")
    assert hueco.name == "CN Con Hueco (nuevo nombre)"
    assert hueco.boundary_source == "oficial.gpkg"  # its boundary did not change


def test_the_national_synthetic_set_imports_in_three_utm_zones(db: Session, tmp_path: Path) -> None:
    from ews.reference.boundaries import write_layer

    communities = national_communities(120, seed=3)
    path = tmp_path / "nacional.gpkg"
    write_layer(
        path,
        rows=[c.properties() for c in communities],
        geometries=[c.geometry for c in communities],
    )

    report = import_file(db, path, source=LONG_SOURCE)

    assert report.counts()["added"] == 120
    rows = db.execute(select(Community).where(Community.code.like("sint-%"))).scalars().all()
    assert len(rows) == 120
    assert all(row.synthetic for row in rows)
    assert all(row.boundary_source == f"sintético / synthetic · {LONG_SOURCE}" for row in rows)
    assert all(row.name.startswith("Sintética") for row in rows)
    assert {metric_crs(row.boundary) for row in rows} == {"EPSG:32717", "EPSG:32718", "EPSG:32719"}
    assert {row.region_ubigeo for row in rows} == {"25", "16", "17", "12", "19", "08", "01", "22"}
    kinds = {geometry.shape(row.boundary).geom_type for row in rows}
    assert kinds == {"Polygon", "MultiPolygon"}


def test_a_new_community_without_a_ubigeo_is_rejected(db: Session, tmp_path: Path) -> None:
    features = [({"code": "cn-sin-ubigeo", "name": "CN"}, geometry.box(-74.4, -9.2, -74.3, -9.1))]
    report = import_file(db, write_features(tmp_path / "u.geojson", features))
    assert [(e.index, e.reason) for e in report.rejected] == [(0, "no_ubigeo")]
    assert db.get(Community, "cn-sin-ubigeo") is None


def test_fixtures_keep_an_imported_boundary(db: Session, tmp_path: Path) -> None:
    """The official polygon of Flor de Ucayali, once imported, survives ``ews init``."""
    official = geometry.box(-74.16, -8.40, -74.00, -8.25)
    features = [({"code": "flor-de-ucayali", "ubigeo": "250101"}, official)]
    report = import_file(db, write_features(tmp_path / "flor.gpkg", features), source="flor.gpkg")
    assert report.geometry_changed == ["flor-de-ucayali"]

    load_reference_data(db, FIXTURES_DIR)
    db.commit()

    flor = db.get(Community, "flor-de-ucayali")
    assert flor.boundary_source == "flor.gpkg"
    assert geometry.shape(flor.boundary).equals(official)
    assert flor.name == "Comunidad Nativa Flor de Ucayali"


def _imported(db: Session) -> list[Community]:
    return list(
        db.execute(select(Community).where(Community.code.like("cn-%")).order_by(Community.code))
        .scalars()
        .all()
    )


def test_the_api_and_dashboard_say_where_a_boundary_came_from(
    db: Session, tmp_path: Path, client, make_key
) -> None:
    code = "cn-hueco"
    import_file(
        db, write_features(tmp_path / "a.gpkg", standard_features()), source="sicna-2026.gpkg"
    )
    body = client.get("/api/v1/reference/communities", headers=auth(make_key("analyst"))).json()
    sources = {
        (f["properties"]["code"], f["properties"]["zone"]): f["properties"]["boundary_source"]
        for f in body["features"]
    }
    assert sources[(code, "territory")] == "sicna-2026.gpkg"
    assert sources[("flor-de-ucayali", "territory")] == "illustrative"

    sign_in(client, make_key("analyst"))
    page = client.get(f"/dashboard/communities/{code}").text
    assert "Origen del límite" in page
    assert "sicna-2026.gpkg" in page


# A model-based check: any sequence of imports, each of some communities in some version, against
# an oracle that remembers, per code, the version last loaded and the source of its boundary.
VERSIONS = st.dictionaries(
    st.integers(min_value=0, max_value=3),  # which of four communities the file carries
    st.tuples(st.integers(0, 1), st.integers(0, 1)),  # (boundary version, name version)
    max_size=4,
)


def _boundary_version(slot: int, version: int) -> geometry.Polygon:
    west = -74.9 + 0.2 * slot
    return geometry.box(west, -9.5, west + 0.05 + 0.03 * version, -9.45)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(steps=st.lists(VERSIONS, min_size=1, max_size=5))
def test_any_sequence_of_imports_matches_the_oracle(db: Session, steps) -> None:  # type: ignore[no-untyped-def]
    run = uuid.uuid4().hex[:8]
    oracle: dict[str, tuple[int, int, str]] = {}  # code -> (boundary, name, boundary_source)
    for number, carried in enumerate(steps):
        source = f"paso-{number}.gpkg"
        features = [
            RawFeature(
                index,
                {"code": f"hm-{run}-{slot}", "name": f"CN {slot} v{name}", "ubigeo": "250101"},
                _boundary_version(slot, shape),
            )
            for index, (slot, (shape, name)) in enumerate(sorted(carried.items()))
        ]
        read = community_records(
            features, fields=FieldMapping().resolve(["code", "name", "ubigeo"]), crs=None
        )
        report = import_communities(db, read.records, source=source, now=NOW)
        db.commit()

        expected: dict[str, list[str]] = {k: [] for k in OUTCOMES if k != "rejected"}
        for slot, (shape, name) in sorted(carried.items()):
            code = f"hm-{run}-{slot}"
            before = oracle.get(code)
            if before is None:
                expected["added"].append(code)
                oracle[code] = (shape, name, source)
            elif before[0] != shape:
                expected["geometry_changed"].append(code)
                oracle[code] = (shape, name, source)
            elif before[1] != name:
                expected["attributes_changed"].append(code)
                oracle[code] = (shape, name, before[2])
            else:
                expected["unchanged"].append(code)
        assert report.added == expected["added"]
        assert report.geometry_changed == expected["geometry_changed"]
        assert report.attributes_changed == expected["attributes_changed"]
        assert report.unchanged == expected["unchanged"]
        assert report.rejected == []

        for code, (shape, name, boundary_source) in oracle.items():
            row = db.get(Community, code)
            assert row is not None
            slot = int(code.rsplit("-", 1)[1])
            stored, wanted = geometry.shape(row.boundary), _boundary_version(slot, shape)
            assert stored.normalize().equals_exact(wanted.normalize(), tolerance=1e-7)
            assert row.name == f"CN {slot} v{name}"
            assert row.boundary_source == boundary_source
            assert row.buffer == buffer_ring(row.boundary, 5000)
    stored = db.execute(select(Community.code).where(Community.code.like(f"hm-{run}-%")))
    assert sorted(stored.scalars()) == sorted(oracle)
