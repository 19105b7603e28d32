"""Kobo ``_attachments``: fetched from a Kobo-like server on loopback with the configured token,
only from that server, after the submission is stored; a failed fetch is kept and retried once the
server answers, and fetched once."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ews.api.app import create_app
from ews.models import PhotoFetch, Report
from ews.photos.kobo import MAX_REDIRECTS, attachment_urls, may_follow, same_origin
from ews.settings import Settings
from tests.support.photos import DEVICE_WORDS, KoboServer, photo_bytes, read_exif
from tests.support.processes import free_port
from tests.support.web import auth

TOKEN = "kobo-token-0123456789abcdef"
ATTACHMENT = "/api/v2/assets/aBc123/data/101/attachments/7/"
OWNER = "juana_kobo_7731"  # the Kobo account's name, in the attachment's filename and old URLs

ClientFor = Callable[..., TestClient]


@pytest.fixture
def client_for(
    settings: Settings,
    migrated_engine: Engine,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> Iterator[ClientFor]:
    """A client of an app whose Kobo server is ``kobo_url``."""
    clients: list[TestClient] = []

    def make(kobo_url: str, token: str = TOKEN) -> TestClient:
        configured = settings.model_copy(
            update={"photos_dir": tmp_path / "photos", "kobo_url": kobo_url, "kobo_token": token}
        )
        app = create_app(configured, engine=migrated_engine, session_factory=session_factory)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def submission(kobo_url: str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "community": "flor-de-ucayali",
        "threat_type": "tala",
        "severity": "3",
        "start": (now - timedelta(hours=3)).isoformat(),
        "meta/instanceID": f"uuid:{uuid.uuid4()}",
        "_submission_time": now.strftime("%Y-%m-%dT%H:%M:%S"),
        "_submitted_by": OWNER,
        "_attachments": [
            {
                "download_url": f"{kobo_url}{ATTACHMENT}",
                "mimetype": "image/jpeg",
                "filename": f"{OWNER}/attachments/a1b2/101/1700000000.jpg",
                "instance": 101,
                "id": 7,
            },
            # Never fetched: another host, and a recording.
            {"download_url": "http://198.51.100.7/steal.jpg", "mimetype": "image/jpeg"},
            {"download_url": f"{kobo_url}/audio/8/", "mimetype": "audio/amr"},
        ],
    }
    body.update(overrides)
    return body


def listed(client: TestClient, token: str, report_id: str) -> dict[str, Any]:
    items = client.get("/api/v1/reports", headers=auth(token)).json()["items"]
    (item,) = [r for r in items if r["id"] == report_id]
    return dict(item)


def test_attachment_urls_are_images_and_relative_ones_are_on_the_kobo_server() -> None:
    body = {
        "_attachments": [
            {"download_url": "/api/v2/x/1/", "mimetype": "image/png"},
            {"download_large_url": "https://kf.example.org/api/v2/x/2/"},
            {"download_url": "https://kf.example.org/api/v2/x/3/", "mimetype": "video/mp4"},
            "not an attachment",
        ]
    }
    assert attachment_urls(body, "https://kf.example.org") == [
        "https://kf.example.org/api/v2/x/1/",
        "https://kf.example.org/api/v2/x/2/",
    ]
    assert attachment_urls({"_attachments": "x"}, None) == []
    assert same_origin("https://kf.example.org:443/a", "https://kf.example.org")
    assert not same_origin("https://kf.example.org.evil.test/a", "https://kf.example.org")
    assert not same_origin("http://kf.example.org/a", "https://kf.example.org")
    assert not same_origin("https://user:pw@kf.example.org/a", "https://kf.example.org")
    assert not same_origin("file:///etc/passwd", "https://kf.example.org")


def test_kobo_attachment_is_fetched_with_the_token_from_that_server_only(
    client_for: ClientFor,
    db: Session,
    make_key: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    image = photo_bytes()
    feed, analyst = make_key("feed"), make_key("analyst")
    with KoboServer(token=TOKEN, files={ATTACHMENT: image}) as kobo:
        client = client_for(kobo.url)
        answer = client.post("/api/v1/intake/kobo", json=submission(kobo.url), headers=auth(feed))
        assert answer.status_code == 201, answer.text
        assert kobo.requests == [(ATTACHMENT, f"Token {TOKEN}")]
    report_id = answer.json()["id"]
    item = listed(client, analyst, report_id)
    (photo,) = item["photos"]
    assert photo["sha256"] == hashlib.sha256(image).hexdigest()
    assert item["photos_pending"] == 0
    served = client.get(photo["url"], headers=auth(analyst))
    assert served.status_code == 200
    assert read_exif(served.content) == ({}, {}, {})
    for word in DEVICE_WORDS:
        assert word.encode() not in served.content
    fetches = {
        f.url: (f.status, f.attempts)
        for f in db.scalars(select(PhotoFetch).where(PhotoFetch.report_id == report_id))
    }
    assert fetches == {
        f"{kobo.url}{ATTACHMENT}": ("done", 1),
        "http://198.51.100.7/steal.jpg": ("refused", 1),
    }
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert ATTACHMENT not in logs
    assert "198.51.100.7" not in logs
    assert OWNER not in logs


def test_a_wrong_token_keeps_the_submission_and_the_fetch_pending(
    client_for: ClientFor, db: Session, make_key: Any
) -> None:
    feed = make_key("feed")
    with KoboServer(token=TOKEN, files={ATTACHMENT: photo_bytes()}) as kobo:
        client = client_for(kobo.url, token="not-the-token")
        answer = client.post("/api/v1/intake/kobo", json=submission(kobo.url), headers=auth(feed))
        assert answer.status_code == 201, answer.text
        assert kobo.requests == [(ATTACHMENT, "Token not-the-token")]
    fetch = db.scalars(
        select(PhotoFetch).where(
            PhotoFetch.report_id == answer.json()["id"], PhotoFetch.status != "refused"
        )
    ).one()
    assert (fetch.status, fetch.attempts, fetch.last_error) == ("pending", 1, "HTTP 401")


def test_server_down_then_the_retry_fetches_it_once(
    client_for: ClientFor, db: Session, make_key: Any
) -> None:
    feed, analyst = make_key("feed"), make_key("analyst")
    port = free_port()
    kobo_url = f"http://127.0.0.1:{port}"
    client = client_for(kobo_url)
    body = submission(kobo_url)
    answer = client.post("/api/v1/intake/kobo", json=body, headers=auth(feed))
    assert answer.status_code == 201, answer.text
    report_id = answer.json()["id"]
    assert db.get(Report, report_id) is not None  # the submission is kept whatever the fetch
    item = listed(client, analyst, report_id)
    assert (item["photos"], item["photos_pending"]) == ([], 1)
    # A resend while the server is down doubles nothing.
    assert client.post("/api/v1/intake/kobo", json=body, headers=auth(feed)).status_code == 200

    image = photo_bytes(color="brown")
    with KoboServer(token=TOKEN, files={ATTACHMENT: image}, port=port) as kobo:
        run = client.post("/api/v1/jobs/fetch-photos/run", headers=auth(analyst))
        assert run.status_code == 200, run.text
        assert run.json()["summary"] == {
            "fetched": 1,
            "retry": 0,
            "refused": 0,
            "failed": 0,
            "pending": 0,
        }
        again = client.post("/api/v1/jobs/fetch-photos/run", headers=auth(analyst))
        assert again.json()["summary"]["fetched"] == 0
        assert kobo.requests == [(ATTACHMENT, f"Token {TOKEN}")]
    item = listed(client, analyst, report_id)
    assert [p["sha256"] for p in item["photos"]] == [hashlib.sha256(image).hexdigest()]
    assert item["photos_pending"] == 0
    fetch = db.scalars(
        select(PhotoFetch).where(PhotoFetch.report_id == report_id, PhotoFetch.status != "refused")
    ).one()
    assert (fetch.status, fetch.attempts) == ("done", 2)


def test_a_fetch_another_process_holds_is_left_to_it(
    client_for: ClientFor, db: Session, make_key: Any
) -> None:
    feed, analyst = make_key("feed"), make_key("analyst")
    port = free_port()
    kobo_url = f"http://127.0.0.1:{port}"
    client = client_for(kobo_url)
    answer = client.post("/api/v1/intake/kobo", json=submission(kobo_url), headers=auth(feed))
    assert answer.status_code == 201, answer.text
    fetch = db.scalars(
        select(PhotoFetch).where(
            PhotoFetch.report_id == answer.json()["id"], PhotoFetch.status == "pending"
        )
    ).one()
    assert fetch.claimed_until is None  # a failed attempt lets go at once
    fetch.claimed_until = datetime.now(UTC) + timedelta(minutes=5)
    db.commit()
    with KoboServer(token=TOKEN, files={ATTACHMENT: photo_bytes()}, port=port) as kobo:
        run = client.post("/api/v1/jobs/fetch-photos/run", headers=auth(analyst))
        assert run.json()["summary"]["fetched"] == 0
        assert run.json()["summary"]["pending"] == 1
        assert kobo.requests == []
        fetch.claimed_until = datetime.now(UTC) - timedelta(seconds=1)  # its holder died
        db.commit()
        run = client.post("/api/v1/jobs/fetch-photos/run", headers=auth(analyst))
        assert run.json()["summary"]["fetched"] == 1
        assert len(kobo.requests) == 1


def test_a_redirect_to_kobos_storage_is_followed_without_the_token(
    client_for: ClientFor, db: Session, make_key: Any
) -> None:
    image = photo_bytes(color="teal")
    feed, analyst = make_key("feed"), make_key("analyst")
    stored_at = "/media/a1b2/1700000000.jpg?X-Amz-Signature=abc"
    with KoboServer(token=None, files={stored_at: image}) as storage:
        # Another origin (localhost, another port): the file storage Kobo sends the phone to.
        redirect = {ATTACHMENT: f"http://localhost:{storage.port}{stored_at}"}
        with KoboServer(token=TOKEN, redirects=redirect) as kobo:
            client = client_for(kobo.url)
            answer = client.post(
                "/api/v1/intake/kobo", json=submission(kobo.url), headers=auth(feed)
            )
            assert answer.status_code == 201, answer.text
            assert kobo.requests == [(ATTACHMENT, f"Token {TOKEN}")]
        assert storage.requests == [(stored_at, None)]  # the token stays with Kobo
    (photo,) = listed(client, analyst, answer.json()["id"])["photos"]
    assert photo["sha256"] == hashlib.sha256(image).hexdigest()


def test_a_redirect_loop_is_cut_and_a_redirect_elsewhere_is_refused(
    client_for: ClientFor, db: Session, make_key: Any
) -> None:
    feed = make_key("feed")
    elsewhere = "/api/v2/assets/aBc123/data/101/attachments/8/"
    with KoboServer(
        token=TOKEN, redirects={ATTACHMENT: ATTACHMENT, elsewhere: "file:///etc/passwd"}
    ) as kobo:
        client = client_for(kobo.url)
        body = submission(kobo.url)
        body["_attachments"] = [
            {"download_url": f"{kobo.url}{ATTACHMENT}", "mimetype": "image/jpeg"},
            {"download_url": f"{kobo.url}{elsewhere}", "mimetype": "image/jpeg"},
        ]
        answer = client.post("/api/v1/intake/kobo", json=body, headers=auth(feed))
        assert answer.status_code == 201, answer.text
        assert [path for path, _ in kobo.requests].count(ATTACHMENT) == MAX_REDIRECTS + 1
    fetches = {
        f.url.removeprefix(kobo.url): (f.status, f.last_error)
        for f in db.scalars(select(PhotoFetch).where(PhotoFetch.report_id == answer.json()["id"]))
    }
    assert fetches[ATTACHMENT] == (
        "pending",
        f"más de {MAX_REDIRECTS} redirecciones / more than {MAX_REDIRECTS} redirects",
    )
    assert fetches[elsewhere][0] == "refused"
    assert fetches[elsewhere][1].startswith("redirección a una dirección no permitida")


def test_which_redirects_may_be_followed() -> None:
    assert may_follow("https://kf.example.org/a", "https://storage.example.net/b?sig=1")
    assert may_follow("http://127.0.0.1:8000/a", "http://localhost:9000/b")
    assert may_follow("http://kf.example.org/a", "https://kf.example.org/b")
    assert not may_follow("https://kf.example.org/a", "http://kf.example.org/b")  # downgrade
    assert not may_follow("https://kf.example.org/a", "https://u:p@storage.example.net/b")
    assert not may_follow("https://kf.example.org/a", "file:///etc/passwd")
    assert not may_follow("https://kf.example.org/a", "ftp://storage.example.net/b")
