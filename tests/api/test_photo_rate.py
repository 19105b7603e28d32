"""A per-key rate on photo uploads: one bucket for the photos of reports, field checks and patrols,
apart from the intake rate. Past it, 429 with ``Retry-After`` and nothing stored; another key is not
held back; the phone sends the rest at its next try."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ews.api.app import create_app
from ews.settings import Settings
from tests.api.test_patrols import patrol
from tests.api.test_photos import COMMUNITY, photo_count, upload
from tests.api.test_photos_owned import add_check, send
from tests.support.photos import photo_bytes
from tests.support.web import auth


def test_photo_uploads_share_a_per_key_rate_apart_from_intake(
    settings: Settings,
    migrated_engine: Engine,
    session_factory: sessionmaker[Session],
    db: Session,
    make_key: Any,
    tmp_path: Any,
) -> None:
    limited = settings.model_copy(
        update={"photos_dir": tmp_path / "photos", "photo_rate_per_minute": 3}
    )
    app = create_app(limited, engine=migrated_engine, session_factory=session_factory)
    monitor, admin = make_key("monitor", community=COMMUNITY), make_key("admin")
    check_id = add_check(db)
    with TestClient(app) as client:
        walk = patrol()
        assert client.post("/api/v1/patrols", json=walk, headers=auth(monitor)).status_code == 201
        report = {
            "id": str(uuid.uuid4()),
            "community": COMMUNITY,
            "threat_type": "illegal_logging",
            "severity": 3,
            "observed_at": walk["ended_at"],
        }
        assert client.post("/api/v1/reports", json=report, headers=auth(monitor)).status_code == 201

        # Three photos, one to each kind of record, use up the key's bucket...
        assert upload(client, monitor, report["id"], photo_bytes()).status_code == 201
        checks = f"/api/v1/checks/{check_id}/photos"
        assert send(client, monitor, checks, photo_bytes(color="olive")).status_code == 201
        patrols = f"/api/v1/patrols/{walk['id']}/photos"
        assert send(client, monitor, patrols, photo_bytes(color="navy")).status_code == 201
        assert photo_count(db) == 3

        # ...the fourth is refused, whichever record it is for, and nothing is stored.
        refused = send(client, monitor, patrols, photo_bytes(color="teal"))
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert "nada se perdió" in refused.json()["detail"]
        assert upload(client, monitor, report["id"], photo_bytes(color="teal")).status_code == 429
        assert photo_count(db) == 3

        # The intake rate is another bucket; another key has its own photo bucket.
        again = dict(report, id=str(uuid.uuid4()))
        assert client.post("/api/v1/reports", json=again, headers=auth(monitor)).status_code == 201
        assert send(client, admin, patrols, photo_bytes(color="teal")).status_code == 201
        assert photo_count(db) == 4
