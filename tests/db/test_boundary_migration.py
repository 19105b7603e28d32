"""Migration 0022 on a running store (both engines): ``community.boundary_source`` becomes text,
every community keeps its source and its reports, and a downgrade gives the short column back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, text

from ews import migrate
from ews.db import build_engine
from tests.db.test_database import insert_flor_de_ucayali
from tests.support.settings import PostgresDatabases, make_settings, new_database_url

LONG_SOURCE = "Comunidades_Nativas_Tituladas_2026.gpkg · capa comunidades · 2026-11-29 04:00 UTC"


@pytest.fixture
def store(
    engine_name: str, postgres_databases: PostgresDatabases | None, tmp_path: Path
) -> Iterator[Engine]:
    engine = build_engine(
        make_settings(new_database_url(engine_name, postgres_databases, tmp_path))
    )
    yield engine
    engine.dispose()


def test_boundary_source_becomes_text_and_keeps_every_row(store: Engine) -> None:
    migrate.upgrade(store, "0018")
    with store.begin() as conn:
        insert_flor_de_ucayali(conn)
        report = Table("report", MetaData(), autoload_with=conn)
        conn.execute(
            report.insert().values(
                id="r1",
                community_code="flor-de-ucayali",
                threat_type="all_quiet",
                severity=1,
                observed_at=datetime(2026, 3, 2, 2, 0),
                received_at=datetime(2026, 3, 2, 2, 0),
                reporter_pseudonym="x" * 64,
                source="api",
                content_hash="h" * 64,
                synthetic=False,
            )
        )

    migrate.upgrade(store)

    select_source = text("SELECT boundary_source FROM community WHERE code = 'flor-de-ucayali'")
    with store.begin() as conn:
        assert conn.execute(select_source).scalar_one() == "illustrative"
        assert conn.execute(text("SELECT count(*) FROM report")).scalar_one() == 1
        conn.execute(
            text("UPDATE community SET boundary_source = :s WHERE code = 'flor-de-ucayali'"),
            {"s": LONG_SOURCE},
        )
    with store.connect() as conn:
        assert conn.execute(select_source).scalar_one() == LONG_SOURCE

    config = migrate.alembic_config(store)
    with store.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0018")
    with store.connect() as conn:
        assert conn.execute(select_source).scalar_one() == LONG_SOURCE[:40]
        assert conn.execute(text("SELECT count(*) FROM report")).scalar_one() == 1
