"""Photos as evidence through the API: the hash of the bytes received, device and owner EXIF
removed (time and GPS only when allowed), orientation applied, a thumbnail, idempotent by content,
limits answered with 4xx and nothing stored, and only the report's readers see them."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from ews.api.app import create_app
from ews.models import Alert, Community, Photo
from ews.reference.loader import community_values, read_fixture
from ews.settings import Settings
from tests.support.paths import FIXTURES_DIR
from tests.support.photos import DEVICE_WORDS, TAKEN_AT, photo_bytes, read_exif
from tests.support.web import auth

COMMUNITY = "flor-de-ucayali"
OTHER = "otra-comunidad"


@pytest.fixture
def photos_dir(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def app(  # type: ignore[no-untyped-def]
    settings: Settings,
    migrated_engine: Engine,
    session_factory: sessionmaker[Session],
    photos_dir: Path,
):
    photo_settings = settings.model_copy(
        update={"photos_dir": photos_dir, "photo_max_bytes": 200_000}
    )
    return create_app(photo_settings, engine=migrated_engine, session_factory=session_factory)


@pytest.fixture
def monitor(make_key: Any) -> str:
    return str(make_key("monitor", community=COMMUNITY))


@pytest.fixture
def report_id(client: TestClient, monitor: str) -> str:
    body = {
        "id": str(uuid.uuid4()),
        "community": COMMUNITY,
        "threat_type": "illegal_logging",
        "severity": 3,
        "observed_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
    }
    created = client.post("/api/v1/reports", json=body, headers=auth(monitor))
    assert created.status_code == 201, created.text
    return str(body["id"])


def upload(client: TestClient, token: str, report_id: str, data: bytes, **form: str) -> Any:
    return client.post(
        f"/api/v1/reports/{report_id}/photos",
        files={"file": ("foto.jpg", data, "image/jpeg")},
        data=form,
        headers=auth(token),
    )


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def photo_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Photo)) or 0)


def test_upload_records_the_hash_of_the_bytes_and_strips_the_device(
    client: TestClient, monitor: str, report_id: str, photos_dir: Path
) -> None:
    data = photo_bytes()
    answer = upload(client, monitor, report_id, data)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["report_id"] == report_id
    assert body["kept_time_and_place"] is False

    stored = client.get(body["url"], headers=auth(monitor))
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(stored.content).hexdigest() == body["stored_sha256"]
    base, exif, gps = read_exif(stored.content)
    assert base == {}
    assert exif == {}
    assert gps == {}
    for word in DEVICE_WORDS:
        assert word.encode() not in stored.content
    # The orientation (6: turn 90°) is applied: the red band is now on the right edge.
    image = Image.open(io.BytesIO(stored.content)).convert("RGB")
    assert image.size == (480, 640)
    red, green, _blue = image.getpixel((image.width - 5, image.height // 2))  # type: ignore[misc]
    assert red > 200
    assert green < 80

    thumbnail = client.get(body["thumbnail_url"], headers=auth(monitor))
    assert thumbnail.status_code == 200
    assert len(thumbnail.content) < len(stored.content)
    small = Image.open(io.BytesIO(thumbnail.content))
    assert max(small.size) <= 320
    assert read_exif(thumbnail.content) == ({}, {}, {})
    # Files named by content hash: the cleaned image and the thumbnail.
    names = {p.stem for p in files_in(photos_dir)}
    assert body["stored_sha256"] in names
    assert len(names) == 2


def test_time_and_place_kept_only_when_the_monitor_allows(
    client: TestClient, monitor: str, report_id: str
) -> None:
    answer = upload(client, monitor, report_id, photo_bytes(), keep_time_and_place="true")
    assert answer.status_code == 201, answer.text
    assert answer.json()["kept_time_and_place"] is True
    stored = client.get(answer.json()["url"], headers=auth(monitor)).content
    base, exif, gps = read_exif(stored)
    assert base[ExifTags.Base.DateTime] == TAKEN_AT
    assert ExifTags.Base.Make not in base
    assert ExifTags.Base.Model not in base
    assert ExifTags.Base.Artist not in base
    assert ExifTags.Base.Orientation not in base  # applied, so no longer said
    assert set(exif) == {ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal}
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "S"
    assert [float(x) for x in gps[ExifTags.GPS.GPSLongitude]] == [74.0, 4.0, 48.0]
    for word in DEVICE_WORDS:
        assert word.encode() not in stored


def test_same_bytes_again_answer_the_same_photo(
    client: TestClient, db: Session, monitor: str, report_id: str, photos_dir: Path
) -> None:
    data = photo_bytes(format="PNG", orientation=None)
    first = upload(client, monitor, report_id, data)
    assert first.status_code == 201, first.text
    again = upload(client, monitor, report_id, data)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert photo_count(db) == 1
    assert len(files_in(photos_dir)) == 2
    other = upload(client, monitor, report_id, photo_bytes(format="WEBP", color="navy"))
    assert other.status_code == 201, other.text
    assert other.json()["media_type"] == "image/webp"
    assert photo_count(db) == 2

    listed = client.get("/api/v1/reports", headers=auth(monitor)).json()["items"]
    (item,) = [r for r in listed if r["id"] == report_id]
    assert [p["id"] for p in item["photos"]] == [first.json()["id"], other.json()["id"]]
    assert item["photos"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert item["photos"][0]["url"] == f"/api/v1/photos/{first.json()['id']}"
    assert item["photos_pending"] == 0


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("oversized", 413),
        ("not an image", 415),
        ("gif", 415),
        ("truncated", 422),
        ("wrong field name", 422),
        ("bad permission", 422),
    ],
)
def test_refused_files_store_nothing(
    client: TestClient,
    db: Session,
    monitor: str,
    report_id: str,
    photos_dir: Path,
    case: str,
    status: int,
) -> None:
    jpeg = photo_bytes()
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    sent: dict[str, Any] = {"files": {"file": ("foto.jpg", jpeg, "image/jpeg")}}
    if case == "oversized":
        big = Image.frombytes("RGB", (400, 400), random.Random(15).randbytes(400 * 400 * 3))
        buffer = io.BytesIO()
        big.save(buffer, format="PNG")
        assert 200_000 < len(buffer.getvalue()) < 1_000_000
        sent["files"] = {"file": ("foto.png", buffer.getvalue(), "image/png")}
    elif case == "not an image":
        sent["files"] = {"file": ("foto.jpg", b"%PDF-1.4 not a photo" * 50, "image/jpeg")}
    elif case == "gif":
        sent["files"] = {"file": ("foto.jpg", gif.getvalue(), "image/jpeg")}
    elif case == "truncated":
        sent["files"] = {"file": ("foto.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")}
    elif case == "wrong field name":
        sent["files"] = {"photo": ("foto.jpg", jpeg, "image/jpeg")}
    else:
        sent["data"] = {"keep_time_and_place": "quizas"}
    answer = client.post(f"/api/v1/reports/{report_id}/photos", headers=auth(monitor), **sent)
    assert answer.status_code == status, answer.text
    fields = [error["field"] for error in answer.json()["errors"]]
    assert fields == (["keep_time_and_place"] if case == "bad permission" else ["file"])
    assert answer.json()["detail"][:1].isupper()  # a sentence, Spanish first
    assert photo_count(db) == 0
    assert files_in(photos_dir) == []


def add_other_community(db: Session) -> None:
    entry = next(
        e
        for e in read_fixture(FIXTURES_DIR, "communities.yaml")["communities"]
        if e["code"] == COMMUNITY
    )
    db.add(Community(**{**community_values(entry), "code": OTHER, "name": "Otra comunidad"}))
    db.commit()


def route_alert(db: Session, report_id: str, institution: str) -> None:
    now = datetime.now(UTC)
    db.add(
        Alert(
            fingerprint=f"{COMMUNITY}:illegal_logging:{uuid.uuid4().hex[:6]}",
            community_code=COMMUNITY,
            category="deforestation",
            level="warning",
            status="open",
            routed_to=[institution],
            opened_at=now,
            updated_at=now,
            evidence={"report_ids": [report_id], "indicators": []},
            context={},
        )
    )
    db.commit()


def test_only_the_reports_readers_see_its_photos(
    client: TestClient, db: Session, make_key: Any, monitor: str, report_id: str
) -> None:
    add_other_community(db)
    stranger = make_key("monitor", community=OTHER)
    analyst, admin, feed = make_key("analyst"), make_key("admin"), make_key("feed")
    routed, unrouted = (
        make_key("institution", institution="MINAM"),
        make_key("institution", institution="PNP"),
    )
    route_alert(db, report_id, "MINAM")

    # Writers: a monitor of the report's community, an admin; a stranger is told nothing.
    assert upload(client, stranger, report_id, photo_bytes()).status_code == 404
    assert upload(client, analyst, report_id, photo_bytes()).status_code == 403
    assert upload(client, monitor, str(uuid.uuid4()), photo_bytes()).status_code == 404
    by_admin = upload(client, admin, report_id, photo_bytes(color="olive"))
    assert by_admin.status_code == 201, by_admin.text
    photo = upload(client, monitor, report_id, photo_bytes()).json()

    for token, allowed in (
        (monitor, True),
        (analyst, True),
        (admin, True),
        (routed, True),
        (stranger, False),
        (unrouted, False),
    ):
        for url in (photo["url"], photo["thumbnail_url"]):
            answer = client.get(url, headers=auth(token))
            assert answer.status_code == (200 if allowed else 404), (token, url)
    assert client.get(photo["url"], headers=auth(feed)).status_code == 403
    assert client.get(photo["url"]).status_code == 401
    assert client.get(f"/api/v1/photos/{uuid.uuid4()}", headers=auth(analyst)).status_code == 404
    assert client.get(f"{photo['url']}?size=huge", headers=auth(analyst)).status_code == 422
