from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import ApiKey
from tests.support.web import auth


def test_healthz_checks_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/reference/institutions" in paths


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reference/institutions",
        "/api/v1/reference/communities",
        "/api/v1/reference/factsheet",
    ],
)
def test_reference_needs_a_key(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert "clave" in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_or_malformed_key_is_401(client: TestClient) -> None:
    for token in ("nonsense", "ews_000000000000_abc", "ews__"):
        assert client.get("/api/v1/reference/institutions", headers=auth(token)).status_code == 401


def test_a_revoked_key_is_401(client: TestClient, make_key, db: Session) -> None:
    token = make_key("analyst")
    assert client.get("/api/v1/reference/institutions", headers=auth(token)).status_code == 200
    row = db.execute(select(ApiKey).where(ApiKey.prefix == token.split("_")[1])).scalar_one()
    row.revoked_at = datetime.now(UTC)
    db.commit()
    assert client.get("/api/v1/reference/institutions", headers=auth(token)).status_code == 401


@pytest.mark.parametrize("role", ["admin", "analyst", "monitor", "institution", "feed"])
def test_every_role_reads_the_institutions(client: TestClient, make_key, role: str) -> None:
    binding = {"monitor": {"community": "flor-de-ucayali"}, "institution": {"institution": "DP"}}
    token = make_key(role, **binding.get(role, {}))
    response = client.get("/api/v1/reference/institutions", headers=auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    minjus = next(item for item in body["items"] if item["code"] == "MINJUS")
    assert minjus["name_es"] == "Ministerio de Justicia y Derechos Humanos"
    assert "defender_safety" in minjus["mandates"]


def test_communities_are_a_geojson_feature_collection(client: TestClient, make_key) -> None:
    body = client.get("/api/v1/reference/communities", headers=auth(make_key("analyst"))).json()
    assert body["type"] == "FeatureCollection"
    zones = {
        f["properties"]["zone"]: f
        for f in body["features"]
        if f["properties"]["code"] == "flor-de-ucayali"
    }
    assert set(zones) == {"territory", "buffer"}
    assert zones["territory"]["properties"]["boundary_source"] == "illustrative"
    territory = shape(zones["territory"]["geometry"])
    ring = shape(zones["buffer"]["geometry"])
    assert ring.envelope.contains(territory)
    assert zones["buffer"]["properties"]["buffer_m"] == 5000


def test_factsheet_lists_the_working_groups(client: TestClient, make_key) -> None:
    body = client.get("/api/v1/reference/factsheet", headers=auth(make_key("analyst"))).json()
    groups = {g["title_en"]: g["country_count"] for g in body["working_groups"]}
    assert groups["Strengthening of the National Drug Observatories"] == 28
    assert (
        groups["Special research techniques, new technologies and inter-agency cooperation"] == 13
    )
    assert len(body["prototype_blocks"]) == 4
    assert any(a["code"] == "early-warning-lab" for a in body["national_actions"])
