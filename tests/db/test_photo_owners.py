"""0018 on a running store: photos (and their Kobo fetches) of reports survive; a photo is then of
exactly one report, field check or patrol; a downgrade keeps the reports' photos."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from ews import migrate
from tests.db import test_database
from tests.db.test_database import insert_flor_de_ucayali

empty_database = test_database.empty_database

MOMENT = datetime(2026, 11, 20, 12, tzinfo=UTC)
PHOTO = (
    "INSERT INTO photo (id, {owner}, sha256, original_bytes, stored_sha256, media_type, width, "
    "height, thumbnail_sha256, kept_time_and_place, source, received_at) VALUES (:id, :owner, "
    ":sha, 10, :sha, 'image/jpeg', 1, 1, :sha, false, 'api', :t)"
)


def photo(owner: str, owner_id: Any, sha: str) -> tuple[str, dict[str, Any]]:
    return PHOTO.format(owner=owner), {
        "id": str(uuid.uuid4()),
        "owner": owner_id,
        "sha": sha * 64,
        "t": MOMENT,
    }


def test_photos_of_reports_survive_and_each_photo_has_one_owner(empty_database: Engine) -> None:
    migrate.upgrade(empty_database, "0017")
    report_id = str(uuid.uuid4())
    with empty_database.begin() as conn:
        insert_flor_de_ucayali(conn)
        conn.execute(
            text(
                "INSERT INTO report (id, community_code, threat_type, severity, observed_at, "
                "received_at, reporter_pseudonym, source, content_hash, synthetic) VALUES "
                "(:id, 'flor-de-ucayali', 'illegal_logging', 3, :t, :t, 'p', 'api', 'h', false)"
            ),
            {"id": report_id, "t": MOMENT},
        )
        statement, values = photo("report_id", report_id, "a")
        conn.execute(text(statement), values)
        conn.execute(
            text(
                "INSERT INTO photo_fetch (report_id, url, keep_time_and_place, status, attempts, "
                "photo_id, created_at) VALUES (:r, 'https://kobo/x', false, 'done', 1, :p, :t)"
            ),
            {"r": report_id, "p": values["id"], "t": MOMENT},
        )
    migrate.upgrade(empty_database)
    with empty_database.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM photo")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM photo_fetch")).scalar_one() == 1
    # A photo of nothing is refused (the check constraint: exactly one owner).
    with pytest.raises(IntegrityError), empty_database.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO photo (id, sha256, original_bytes, stored_sha256, media_type, "
                "width, height, thumbnail_sha256, kept_time_and_place, source, received_at) "
                "VALUES (:id, :sha, 1, :sha, 'image/jpeg', 1, 1, :sha, false, 'api', :t)"
            ),
            {"id": str(uuid.uuid4()), "sha": "b" * 64, "t": MOMENT},
        )
    config = migrate.alembic_config(empty_database)
    with empty_database.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0017")
    with empty_database.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM photo")).scalar_one() == 1
