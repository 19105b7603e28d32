"""Patrol reports after the answer: listeners run after the commit with new ids only and never
delay the answer, concurrent resends store one row, and the intake routes share a per-key rate."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ews.api.app import create_app
from ews.auth.keys import Role, create_key
from ews.db import build_engine, build_session_factory, session_scope
from ews.intake.listeners import ForThreats
from ews.models import Report
from ews.settings import Settings
from tests.support.patrol_reports import COMMUNITY, report
from tests.support.serving import loopback_socket, serving
from tests.support.web import auth


def test_listeners_run_after_commit_with_new_ids_only(
    app: Any, client: TestClient, monitor: str, session_factory: Any
) -> None:
    seen: list[tuple[str, bool]] = []

    def listener(report_id: str) -> None:
        # A fresh session sees the row: the listener runs after the request's commit.
        with session_factory() as session:
            seen.append((report_id, session.get(Report, report_id) is not None))

    def broken(_report_id: str) -> None:
        raise RuntimeError("a failing listener must not stop the others")

    app.state.report_listeners.extend([broken, listener])
    single = report()
    client.post("/api/v1/reports", json=single, headers=auth(monitor))
    client.post("/api/v1/reports", json=single, headers=auth(monitor))  # duplicate: no call
    batch = [report(), report(severity=0), report()]
    client.post("/api/v1/reports/batch", json={"reports": batch}, headers=auth(monitor))
    assert seen == [(single["id"], True), (batch[0]["id"], True), (batch[2]["id"], True)]


def test_a_listener_for_some_threats_wakes_only_for_reports_of_those(
    app: Any, client: TestClient, monitor: str
) -> None:
    """The urgent fast path is such a listener: a report of another type costs it nothing, a
    defender threat still reaches it, alone or in a batch."""
    every: list[str] = []
    defender: list[str] = []
    app.state.report_listeners.extend(
        [every.append, ForThreats(frozenset({"threat_to_defender"}), defender.append)]
    )
    quiet = report(threat_type="all_quiet", severity=1)
    urgent = report(threat_type="threat_to_defender", severity=5)
    for body in (quiet, urgent):
        assert client.post("/api/v1/reports", json=body, headers=auth(monitor)).status_code == 201
    batch = [report(threat_type="threat_to_defender", severity=4), report()]
    client.post("/api/v1/reports/batch", json={"reports": batch}, headers=auth(monitor))
    assert every == [quiet["id"], urgent["id"], batch[0]["id"], batch[1]["id"]]
    assert defender == [urgent["id"], batch[0]["id"]]


def test_concurrent_resends_store_exactly_one_row(fresh_settings: Settings) -> None:
    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    with session_scope(factory) as session:
        _row, token = create_key(session, role=Role.monitor, name="m", community_code=COMMUNITY)
    app = create_app(fresh_settings, engine=engine, session_factory=factory)
    body = report()
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        with TestClient(app) as client:
            barrier.wait()
            statuses.append(
                client.post("/api/v1/reports", json=body, headers=auth(token)).status_code
            )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [201]
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
    engine.dispose()


def test_listener_runs_after_the_commit_and_the_answer_does_not_wait(
    fresh_settings: Settings,
) -> None:
    """A real server on loopback: the 201 arrives while the listener is still blocked, and the
    listener, reading through a connection of its own, finds the report committed."""
    import httpx

    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    with session_scope(factory) as session:
        _row, token = create_key(session, role=Role.monitor, name="m", community_code=COMMUNITY)
    app = create_app(fresh_settings, engine=engine, session_factory=factory)
    release = threading.Event()
    seen: list[tuple[str, bool]] = []
    done = threading.Event()

    def listener(report_id: str) -> None:
        release.wait(timeout=30)
        other = build_engine(fresh_settings)
        with session_scope(build_session_factory(other)) as session:
            seen.append((report_id, session.get(Report, report_id) is not None))
        other.dispose()
        done.set()

    app.state.report_listeners.append(listener)
    try:
        with serving(app, loopback_socket()) as url:
            body = report()
            response = httpx.post(
                f"{url}/api/v1/reports", json=body, headers=auth(token), timeout=10
            )
            assert response.status_code == 201
            assert seen == []  # answered while the listener still waits
            release.set()
            assert done.wait(timeout=30)
            assert seen == [(body["id"], True)]
    finally:
        release.set()
        engine.dispose()


def test_intake_routes_share_the_per_key_rate(
    settings: Settings, migrated_engine: Any, session_factory: Any, make_key: Any
) -> None:
    from tests.support.settings import make_settings

    limited = make_settings(settings.database_url, intake_rate_per_minute=2)
    app = create_app(limited, engine=migrated_engine, session_factory=session_factory)
    monitor = make_key("monitor", community=COMMUNITY)
    feed = make_key("feed")
    with TestClient(app) as client:
        assert (
            client.post("/api/v1/reports", json=report(), headers=auth(monitor)).status_code == 201
        )
        batch = {"reports": [report()]}
        assert (
            client.post("/api/v1/reports/batch", json=batch, headers=auth(monitor)).status_code
            == 200
        )
        refused = client.post("/api/v1/reports", json=report(), headers=auth(monitor))
        assert refused.status_code == 429
        assert "Retry-After" in refused.headers
        # Another key has its own bucket; Kobo and the feeds draw on the same one.
        for _ in range(2):
            assert (
                client.post("/api/v1/intake/kobo", json={}, headers=auth(feed)).status_code == 422
            )
        assert (
            client.post("/api/v1/feeds/firms", content=b"", headers=auth(feed)).status_code == 429
        )
