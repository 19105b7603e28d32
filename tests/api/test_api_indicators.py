"""``POST /api/v1/jobs/{name}/run`` and ``GET /api/v1/indicators`` (JSON pages and CSV)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import AuditLog, JobRun, Report
from ews.models.base import utcnow
from indicators import CATALOG
from tests.support.web import auth


def add_report(db: Session, threat: str, days_ago: float, severity: int = 3) -> None:
    db.add(
        Report(
            id=str(uuid.uuid4()),
            community_code="flor-de-ucayali",
            threat_type=threat,
            severity=severity,
            observed_at=utcnow() - timedelta(days=days_ago),
            reporter_pseudonym="secret-pseudonym-" + "x" * 47,
            content_hash=uuid.uuid4().hex * 2,
        )
    )
    db.commit()


def test_only_analysts_and_admins_run_jobs(client: TestClient, make_key) -> None:
    assert client.post("/api/v1/jobs/compute-indicators/run").status_code == 401
    for role in ("monitor", "institution", "feed"):
        kwargs = {"community": "flor-de-ucayali"} if role == "monitor" else {}
        if role == "institution":
            kwargs = {"institution": "MINJUS"}
        token = make_key(role, **kwargs)
        response = client.post("/api/v1/jobs/compute-indicators/run", headers=auth(token))
        assert response.status_code == 403, role


def test_run_a_job_now_and_read_the_series(client: TestClient, db: Session, make_key) -> None:
    add_report(db, "threat_to_defender", 1, severity=4)
    analyst = make_key("analyst")
    unknown = client.post("/api/v1/jobs/nope/run", headers=auth(analyst))
    assert unknown.status_code == 404
    assert "compute-indicators" in unknown.json()["detail"]
    now = utcnow()
    for days_back in (2, 1, 0):
        as_of = (now - timedelta(days=days_back)).isoformat()
        response = client.post(
            "/api/v1/jobs/compute-indicators/run", headers=auth(analyst), json={"as_of": as_of}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "succeeded"
        assert body["summary"]["inserted"] == len(CATALOG)
    assert db.execute(select(JobRun).where(JobRun.status == "succeeded")).scalars().all()
    institution = make_key("institution", institution="MINJUS")
    series = client.get(
        "/api/v1/indicators",
        params={"community": "flor-de-ucayali", "code": "defender_threats"},
        headers=auth(institution),
    )
    assert series.status_code == 200
    items = series.json()["items"]
    assert [item["value"] for item in items] == [0, 1, 1]
    assert items[-1]["level"] == "critical"
    assert items[0]["window_end"] < items[1]["window_end"] < items[2]["window_end"]
    assert items[-1]["details"]["evidence"]["report_ids"]
    assert "secret-pseudonym" not in series.text
    # Paging: every code for three days, in pages of 10, each row once.
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/indicators", params=params, headers=auth(analyst)).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(CATALOG) * 3
    # since/until bound the window end.
    last_end = items[-1]["window_end"]
    recent = client.get(
        "/api/v1/indicators", params={"since": last_end}, headers=auth(analyst)
    ).json()
    assert len(recent["items"]) == len(CATALOG)


def test_csv_export_has_no_reporter_identity_and_is_audited(
    client: TestClient, db: Session, make_key
) -> None:
    add_report(db, "settler_invasion", 2)
    admin = make_key("admin", name="Ana Analista")
    assert client.post("/api/v1/jobs/pipeline/run", headers=auth(admin)).status_code == 200
    response = client.get("/api/v1/indicators", params={"format": "csv"}, headers=auth(admin))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(CATALOG)
    invasion = next(r for r in rows if r["code"] == "invasion_reports")
    assert invasion["value"] == "1.0"
    assert invasion["level"] == "warning"
    assert invasion["core_value"] == "1.0"
    assert "secret-pseudonym" not in response.text
    assert "Ana Analista" not in response.text
    assert db.execute(select(AuditLog).where(AuditLog.action == "indicators.exported")).scalar_one()


def test_indicator_filters_are_validated(client: TestClient, make_key) -> None:
    analyst = make_key("analyst")
    naive = client.get(
        "/api/v1/indicators", params={"since": "2026-11-01T00:00:00"}, headers=auth(analyst)
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "since"
    bad_cursor = client.get("/api/v1/indicators", params={"cursor": "zzz"}, headers=auth(analyst))
    assert bad_cursor.status_code == 422
    monitor = make_key("monitor", community="flor-de-ucayali")
    assert client.get("/api/v1/indicators", headers=auth(monitor)).status_code == 403
