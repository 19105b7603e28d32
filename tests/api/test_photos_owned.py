"""Photos of field checks and patrols: the same processing as a report's, listed in what they are
of, read by those who may read it, never who took them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ews.models import FieldCheck
from tests.api import test_photos
from tests.api.test_patrols import patrol
from tests.api.test_photos import COMMUNITY, OTHER, add_other_community
from tests.support.photos import photo_bytes, read_exif
from tests.support.web import auth

# The photos' tests' fixtures: an app with a photo store, a monitor's key.
app = test_photos.app
photos_dir = test_photos.photos_dir
monitor = test_photos.monitor


def add_check(db: Session, community: str = COMMUNITY) -> str:
    check_id = str(uuid.uuid4())
    db.add(
        FieldCheck(
            id=check_id,
            source="firms",
            point_id=1,
            community_code=community,
            zone="core",
            seen_at=datetime(2026, 11, 20, 18, tzinfo=UTC),
            day=0,
        )
    )
    db.commit()
    return check_id


def send(client: TestClient, token: str, path: str, data: bytes) -> Any:
    return client.post(path, files={"file": ("foto.jpg", data, "image/jpeg")}, headers=auth(token))


def test_a_field_check_takes_photos_lists_them_and_shows_them_to_its_readers(
    client: TestClient, db: Session, make_key: Any, monitor: str
) -> None:
    add_other_community(db)
    check_id = add_check(db)
    path = f"/api/v1/checks/{check_id}/photos"
    stranger = make_key("monitor", community=OTHER)
    analyst, admin = make_key("analyst"), make_key("admin")

    created = send(client, monitor, path, photo_bytes())
    assert created.status_code == 201, created.text
    photo = created.json()
    assert photo["check_id"] == check_id and photo["report_id"] is None
    assert send(client, monitor, path, photo_bytes()).json()["id"] == photo["id"]
    assert send(client, monitor, path, photo_bytes()).status_code == 200
    assert send(client, analyst, path, photo_bytes(color="olive")).status_code == 201
    assert send(client, admin, path, photo_bytes(color="navy")).status_code == 201
    assert send(client, stranger, path, photo_bytes()).status_code == 404
    assert send(client, monitor, f"/api/v1/checks/{uuid.uuid4()}/photos", b"x").status_code == 404
    refused = send(client, monitor, path, b"%PDF-1.4 not a photo" * 50)
    assert refused.status_code == 415
    assert [e["field"] for e in refused.json()["errors"]] == ["file"]

    listed = client.get("/api/v1/checks", params={"status": "open"}, headers=auth(monitor))
    item = next(i for i in listed.json()["items"] if i["id"] == check_id)
    assert len(item["photos"]) == 3 and item["photos"][0]["id"] == photo["id"]
    assert "reporter" not in str(item) and "pseudonym" not in str(item)

    for token, allowed in ((monitor, True), (analyst, True), (admin, True), (stranger, False)):
        for url in (photo["url"], photo["thumbnail_url"]):
            assert client.get(url, headers=auth(token)).status_code == (200 if allowed else 404)
    institution = make_key("institution", institution="MINAM")
    assert client.get(photo["url"], headers=auth(institution)).status_code == 404
    image = client.get(photo["url"], headers=auth(analyst)).content
    assert "Make" not in str(read_exif(image))


def test_a_patrol_takes_photos_lists_them_and_shows_them_to_its_readers(
    client: TestClient, db: Session, make_key: Any, monitor: str
) -> None:
    add_other_community(db)
    body = patrol()
    assert client.post("/api/v1/patrols", json=body, headers=auth(monitor)).status_code == 201
    path = f"/api/v1/patrols/{body['id']}/photos"
    stranger = make_key("monitor", community=OTHER)
    analyst, admin = make_key("analyst"), make_key("admin")

    created = send(client, monitor, path, photo_bytes())
    assert created.status_code == 201, created.text
    photo = created.json()
    assert photo["patrol_id"] == body["id"] and photo["report_id"] is None
    assert send(client, monitor, path, photo_bytes()).status_code == 200
    assert send(client, admin, path, photo_bytes(color="olive")).status_code == 201
    assert send(client, analyst, path, photo_bytes()).status_code == 403
    assert send(client, stranger, path, photo_bytes()).status_code == 404
    assert send(client, monitor, f"/api/v1/patrols/{uuid.uuid4()}/photos", b"x").status_code == 404

    listed = client.get("/api/v1/patrols", headers=auth(analyst)).json()["items"]
    item = next(i for i in listed if i["id"] == body["id"])
    assert [p["id"] for p in item["photos"]][:1] == [photo["id"]] and len(item["photos"]) == 2

    for token, allowed in ((monitor, True), (analyst, True), (admin, True), (stranger, False)):
        for url in (photo["url"], photo["thumbnail_url"]):
            assert client.get(url, headers=auth(token)).status_code == (200 if allowed else 404)
    institution = make_key("institution", institution="MINAM")
    assert client.get(photo["url"], headers=auth(institution)).status_code == 404
