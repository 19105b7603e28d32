from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ews import audit, migrate
from ews.db import build_engine
from ews.models import AuditAction, AuditLog, Base, Community, Report
from ews.reference.loader import community_values, load_reference_data, read_fixture
from indicators import LIMA
from tests.support.paths import FIXTURES_DIR
from tests.support.settings import make_settings


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path) -> None:
    engine = build_engine(make_settings(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_sqlite_transactions_are_real_and_roll_back_ddl_and_savepoints(tmp_path) -> None:
    engine = build_engine(make_settings(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1)"))
        nested = conn.begin_nested()
        conn.execute(text("INSERT INTO t VALUES (2)"))
        nested.rollback()
        trans.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]
    engine.dispose()


def test_a_sqlite_database_in_a_new_folder_is_created(tmp_path) -> None:
    path = tmp_path / "nested" / "folder" / "ews.sqlite3"
    engine = build_engine(make_settings(f"sqlite:///{path}"))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert path.exists()
    engine.dispose()


def test_postgresql_urls_use_psycopg3() -> None:
    engine = build_engine(make_settings("postgresql://user@127.0.0.1:5432/ews"))
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_datetimes_come_back_aware_in_utc(db: Session) -> None:
    lima = timezone(timedelta(hours=-5))
    observed = datetime(2026, 3, 1, 7, 30, tzinfo=lima)
    db.add(
        Report(
            id="7c3ad1d8-4f1e-4c35-9b8b-6d2f8d2a0c11",
            community_code="flor-de-ucayali",
            threat_type="all_quiet",
            severity=1,
            observed_at=observed,
            received_at=datetime(2026, 3, 1, 13, 0, tzinfo=UTC),
            reporter_pseudonym="x" * 64,
            content_hash="y" * 64,
        )
    )
    db.flush()
    db.expire_all()
    stored = db.execute(select(Report.observed_at)).scalar_one()
    assert stored == observed
    assert stored.utcoffset() == timedelta(0)


def test_foreign_keys_are_enforced(db: Session) -> None:
    db.add(
        Report(
            id="8c3ad1d8-4f1e-4c35-9b8b-6d2f8d2a0c11",
            community_code="no-such-community",
            threat_type="all_quiet",
            severity=1,
            observed_at=datetime(2026, 3, 1, tzinfo=UTC),
            reporter_pseudonym="x" * 64,
            content_hash="y" * 64,
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()


def test_audit_log_refuses_update_and_delete_in_the_database(db: Session) -> None:
    entry = audit.record(
        db, actor="tester", action="key.created", object_type="api_key", object_id=1
    )
    db.flush()
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("DELETE FROM audit_log"))
    assert (
        db.execute(select(AuditLog.actor).where(AuditLog.id == entry.id)).scalar_one() == "tester"
    )


@pytest.fixture
def empty_database(engine_name, postgres_databases, tmp_path):
    from tests.support.settings import new_database_url

    url = new_database_url(engine_name, postgres_databases, tmp_path)
    engine = build_engine(make_settings(url))
    yield engine
    engine.dispose()


def test_migrations_upgrade_an_empty_database_to_head(empty_database: Engine) -> None:
    migrate.upgrade(empty_database)
    tables = set(inspect(empty_database).get_table_names())
    assert set(Base.metadata.tables) <= tables
    migrate.upgrade(empty_database)  # a second upgrade is a no-op


def test_models_and_migrations_agree(empty_database: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate.upgrade(empty_database)
    with empty_database.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def insert_flor_de_ucayali(conn: Connection, code: str = "flor-de-ucayali") -> None:
    """The fixture's Flor de Ucayali (under ``code``), with only the columns the migrated schema
    has (the ORM model is the head's)."""
    entry = next(
        e
        for e in read_fixture(FIXTURES_DIR, "communities.yaml")["communities"]
        if e["code"] == "flor-de-ucayali"
    )
    table = Table("community", MetaData(), autoload_with=conn)
    values = {"code": code, **community_values(entry)}
    conn.execute(table.insert().values({k: v for k, v in values.items() if k in table.c}))


def test_monitoring_starts_at_the_first_report_or_the_migration_day(empty_database: Engine) -> None:
    """0013 on a running store: a community that reported is watched since its first report (its
    silence is what it was); one that never reported is watched from the day of the migration."""
    migrate.upgrade(empty_database, "0012b")
    with empty_database.begin() as conn:
        insert_flor_de_ucayali(conn)
        insert_flor_de_ucayali(conn, code="never-reported")
        report = Table("report", MetaData(), autoload_with=conn)
        conn.execute(
            report.insert().values(
                id="r1",
                community_code="flor-de-ucayali",
                threat_type="all_quiet",
                severity=1,
                # 2026-03-02 02:00 UTC is still the 1st of March in Lima.
                observed_at=datetime(2026, 3, 2, 2, 0),
                received_at=datetime(2026, 3, 2, 2, 0),
                reporter_pseudonym="x" * 64,
                source="api",
                content_hash="h" * 64,
                synthetic=False,
            )
        )
    migrate.upgrade(empty_database)
    with Session(empty_database) as session:
        load_reference_data(session, FIXTURES_DIR)  # a later `ews init` keeps the day
        session.commit()
        flor = session.get(Community, "flor-de-ucayali")
        assert flor is not None
        assert flor.monitored_since == date(2026, 3, 1)
        quiet = session.get(Community, "never-reported")
        today = datetime.now(UTC).astimezone(LIMA).date()
        assert quiet is not None
        assert quiet.monitored_since in {today, today - timedelta(days=1)}  # (midnight aside)


def test_the_timing_migration_keeps_what_alerts_had_seen(empty_database: Engine) -> None:
    """0011 on a running store: existing values are revision 1 and every alert has seen it (no
    alert is raised again from old values), an alert that was below warning starts its
    auto-resolve time, and the next computation is a full one."""
    migrate.upgrade(empty_database, "0004")
    moment = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with empty_database.begin() as conn:
        insert_flor_de_ucayali(conn)
        for status, count in (("open", 1), ("resolved", 0)):
            conn.execute(
                text(
                    "INSERT INTO alert (fingerprint, community_code, category, level, status, "
                    "routed_to, opened_at, updated_at, below_warning_count, evidence, context) "
                    "VALUES (:f, 'flor-de-ucayali', 'fire', 'high', :s, '[]', :t, :t, :c, "
                    "'{}', '{}')"
                ),
                {"f": f"flor-de-ucayali:fire:{status}", "s": status, "t": moment, "c": count},
            )
        conn.execute(
            text(
                "INSERT INTO indicator_value (code, community_code, window_start, window_end, "
                "value, level, baseline, inputs, computed_at, algorithm_version, details) VALUES "
                "('fire_hotspots', 'flor-de-ucayali', :t, :t, 4, 'warning', 0, 4, :t, '1', '{}')"
            ),
            {"t": moment},
        )
        conn.execute(
            text(
                "INSERT INTO indicator_rollup_state (name, rules_hash, watermark, updated_at) "
                "VALUES ('rollups', 'x', :t, :t)"
            ),
            {"t": moment},
        )
    migrate.upgrade(empty_database)
    with empty_database.connect() as conn:
        alerts = conn.execute(
            text("SELECT status, seen_revision, below_warning_since FROM alert ORDER BY id")
        ).all()
        assert [(a.status, a.seen_revision) for a in alerts] == [("open", 1), ("resolved", 1)]
        assert alerts[0].below_warning_since is not None
        assert alerts[1].below_warning_since is None
        assert conn.execute(text("SELECT revision FROM indicator_value")).scalar() == 1
        assert (
            conn.execute(
                text("SELECT value FROM counter WHERE name = 'indicator_revision'")
            ).scalar()
            == 1
        )
        assert conn.execute(text("SELECT count(*) FROM indicator_rollup_state")).scalar() == 0
        triggers = (
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'pending%' "
            "AND name NOT LIKE 'pending_work_patrol%'"
            if empty_database.dialect.name == "sqlite"
            else "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pending_work%' "
            "AND tgname NOT LIKE 'pending_work_patrol%'"
        )
        # insert, update, delete on 3 tables (patrols add theirs in 0016)
        assert conn.execute(text(triggers)).scalar() == 9


def test_audit_actions_are_renamed_to_the_past_tense_and_back(empty_database: Engine) -> None:
    """0014 on a running store: the imperative actions read in the past tense like the others (the
    append-only log stays append-only); a downgrade gives the old words back."""
    migrate.upgrade(empty_database, "0013")
    insert = text(
        "INSERT INTO audit_log (at, actor, action, object_type, object_id, details) "
        "VALUES (:t, 'tester', :a, 'alert', '1', '{}')"
    )
    moment = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with empty_database.begin() as conn:
        for action in ("alert.acknowledge", "silence.expire", "key.created"):
            conn.execute(insert, {"t": moment, "a": action})
    migrate.upgrade(empty_database)
    query = text("SELECT action FROM audit_log ORDER BY id")
    with empty_database.connect() as conn:
        assert conn.execute(query).scalars().all() == [
            AuditAction.alert_acknowledged,
            AuditAction.silence_expired,
            AuditAction.key_created,
        ]
    with pytest.raises(DBAPIError, match="append-only"), empty_database.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone else'"))
    config = migrate.alembic_config(empty_database)
    with empty_database.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    with empty_database.connect() as conn:
        assert conn.execute(query).scalars().all() == [
            "alert.acknowledge",
            "silence.expire",
            "key.created",
        ]


def test_sqlite_keeps_statement_journals_in_memory(tmp_path) -> None:
    """The pending-work triggers make each insert keep a statement journal: not on disk."""
    engine = build_engine(make_settings(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
    engine.dispose()
