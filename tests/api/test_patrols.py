"""Patrols through the API: JSON, GPX and Kobo geotrace; idempotent on the UUID; roles; refusals
that store nothing; and, on the user's timeline (post, run, look), effort and silence the same day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.models import Patrol
from indicators.days import LIMA
from tests.support.web import auth, sign_in

COMMUNITY = "flor-de-ucayali"
# Inside the territory (lon -74.15..-74.01, lat -8.39..-8.26): about 4.4 km east along -8.30.
TRACK = {"type": "LineString", "coordinates": [[-74.12, -8.30], [-74.08, -8.30]]}


def patrol(**overrides: Any) -> dict[str, Any]:
    end = datetime.now(UTC) - timedelta(minutes=5)
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "community": COMMUNITY,
        "started_at": (end - timedelta(hours=3)).isoformat(),
        "ended_at": end.isoformat(),
        "monitors": 4,
        "track": TRACK,
    }
    body.update(overrides)
    return body


def gpx(points: list[tuple[float, float]], *, with_times: bool = True) -> str:
    """A GPX track walked at one point every 10 minutes, its last point a minute ago (so the patrol
    ends on today's local day, whatever the hour: a test run just after Lima's midnight too)."""
    start = datetime.now(UTC) - timedelta(minutes=10 * (len(points) - 1) + 1)
    rows = "".join(
        f'<trkpt lat="{lat}" lon="{lon}">'
        + (
            f"<time>{(start + timedelta(minutes=10 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time>"
            if with_times
            else ""
        )
        + "</trkpt>"
        for i, (lat, lon) in enumerate(points)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Patrullaje</name><trkseg>'
        f"{rows}</trkseg></trk></gpx>"
    )


GPX_HEADERS = {"Content-Type": "application/gpx+xml"}


@pytest.fixture
def monitor(make_key: Any) -> str:
    return str(make_key("monitor", community=COMMUNITY))


def _count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Patrol)).scalar_one())


def _latest(client: TestClient, key: str, code: str) -> dict[str, Any]:
    rows = client.get(
        "/api/v1/indicators", params={"community": COMMUNITY, "code": code}, headers=auth(key)
    ).json()["items"]
    return max(rows, key=lambda r: r["window_end"])


def test_gpx_patrol_then_a_run_changes_effort_and_ends_silence_the_same_day(
    client: TestClient, monitor: str, make_key: Any
) -> None:
    admin = make_key("admin")
    assert client.post("/api/v1/jobs/pipeline/run", headers=auth(admin)).status_code == 200
    before = {c: _latest(client, admin, c) for c in ("patrol_km", "patrol_coverage")}
    silence_before = _latest(client, admin, "patrol_silence_days")
    assert before["patrol_km"]["value"] == 0
    assert before["patrol_coverage"]["value"] == 0
    patrol_id = str(uuid.uuid4())
    body = gpx([(-8.30, -74.12), (-8.30, -74.10), (-8.29, -74.08), (-8.28, -74.08)])
    sent = client.post(
        "/api/v1/patrols",
        params={"id": patrol_id, "community": COMMUNITY},
        content=body,
        headers={**auth(monitor), **GPX_HEADERS},
    )
    assert sent.status_code == 201, sent.text
    stored = sent.json()
    assert stored["monitors"] == 1 and stored["source"] == "gpx"
    assert stored["length_km"] == pytest.approx(5.77, abs=0.05)
    assert client.post("/api/v1/jobs/pipeline/run", headers=auth(admin)).status_code == 200
    km = _latest(client, admin, "patrol_km")
    coverage = _latest(client, admin, "patrol_coverage")
    assert km["value"] == pytest.approx(stored["length_km"], abs=0.01)
    assert 0 < coverage["value"] < 100
    assert coverage["details"]["evidence"]["patrol_ids"] == [patrol_id]
    silence = _latest(client, admin, "patrol_silence_days")
    assert silence_before["value"] >= 0
    # Zero the day it ended (Lima); in the minute after Lima's midnight it ended yesterday.
    ended = datetime.fromisoformat(stored["ended_at"]).astimezone(LIMA).date()
    assert silence["value"] == (datetime.now(LIMA).date() - ended).days
    assert silence["window_end"] == silence_before["window_end"]  # the same day
    # The community page maps the track.
    sign_in(client, make_key("analyst"))
    page = client.get(f"/dashboard/communities/{COMMUNITY}")
    assert page.status_code == 200
    assert 'class="patrol-track"' in page.text
    assert "patrol-cells" in page.text


def test_json_patrol_created_then_identical_resend_then_conflict(
    client: TestClient, monitor: str, db: Session
) -> None:
    body = patrol()
    first = client.post("/api/v1/patrols", json=body, headers=auth(monitor))
    assert first.status_code == 201, first.text
    assert first.json()["track"]["type"] == "MultiLineString"
    assert first.json()["length_km"] == pytest.approx(4.4, abs=0.1)
    again = client.post("/api/v1/patrols", json=body, headers=auth(monitor))
    assert again.status_code == 200
    assert again.json() == first.json()
    changed = client.post("/api/v1/patrols", json={**body, "monitors": 2}, headers=auth(monitor))
    assert changed.status_code == 409
    assert _count(db) == 1


def test_roles_monitor_writes_its_own_community_analysts_read(
    client: TestClient, monitor: str, make_key: Any, db: Session
) -> None:
    other = client.post(
        "/api/v1/patrols", json=patrol(community="comunidad-demo-sintetica"), headers=auth(monitor)
    )
    assert other.status_code in (403, 422)
    assert (
        client.post("/api/v1/patrols", json=patrol(), headers=auth(make_key("analyst"))).status_code
        == 403
    )
    assert (
        client.post("/api/v1/patrols", json=patrol(), headers=auth(make_key("feed"))).status_code
        == 403
    )
    assert (
        client.post("/api/v1/patrols", json=patrol(), headers=auth(make_key("admin"))).status_code
        == 201
    )
    assert client.get("/api/v1/patrols", headers=auth(monitor)).status_code == 403
    assert client.get("/api/v1/patrols").status_code == 401
    page = client.get(
        "/api/v1/patrols", params={"community": COMMUNITY}, headers=auth(make_key("analyst"))
    )
    assert page.status_code == 200
    assert len(page.json()["items"]) == 1
    assert page.json()["next"] is None
    text = page.text
    assert "pseudonym" not in text and "submitter" not in text


def test_list_pages_with_a_cursor_and_filters(
    client: TestClient, monitor: str, make_key: Any
) -> None:
    now = datetime.now(UTC)
    for hours in (30, 20, 10):
        end = now - timedelta(hours=hours)
        body = patrol(started_at=(end - timedelta(hours=1)).isoformat(), ended_at=end.isoformat())
        assert client.post("/api/v1/patrols", json=body, headers=auth(monitor)).status_code == 201
    analyst = make_key("analyst")
    first = client.get("/api/v1/patrols", params={"limit": 2}, headers=auth(analyst)).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = client.get(
        "/api/v1/patrols", params={"limit": 2, "cursor": first["next"]}, headers=auth(analyst)
    ).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    since = (now - timedelta(hours=15)).isoformat()
    recent = client.get("/api/v1/patrols", params={"since": since}, headers=auth(analyst)).json()
    assert len(recent["items"]) == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"track": {"type": "Point", "coordinates": [-74.1, -8.3]}}, "track", "LineString"),
        (
            {"track": {"type": "LineString", "coordinates": [[-74.1, -8.3]]}},
            "track",
            "al menos 2 puntos",
        ),
        (
            {"track": {"type": "LineString", "coordinates": [[-8.3, -74.1], [-8.3, -74.0]]}},
            "track",
            "fuera del Perú",
        ),
        (
            {"track": {"type": "LineString", "coordinates": [[2.35, 48.85], [2.36, 48.86]]}},
            "track",
            "fuera del Perú",
        ),
        (
            {"track": {"type": "LineString", "coordinates": [[True, -8.3], [-74.0, -8.3]]}},
            "track",
            "número",
        ),
        ({"track": None}, "track", "falta la ruta"),
        ({"ended_at": "2020-01-01T00:00:00-05:00"}, "ended_at", "anterior al inicio"),
        ({"monitors": 0}, "monitors", "mayor o igual"),
        ({"community": "no-existe"}, "community", "comunidad desconocida"),
        ({"walker": "Juan"}, "walker", "campo no reconocido"),
    ],
)
def test_bad_json_patrols_name_the_field_and_store_nothing(
    client: TestClient, monitor: str, db: Session, change: dict[str, Any], field: str, words: str
) -> None:
    response = client.post("/api/v1/patrols", json=patrol(**change), headers=auth(monitor))
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("body", "params", "field", "words"),
    [
        ("<gpx><trk>", {}, "gpx", "no se pudo leer"),
        (
            '<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
            '<gpx version="1.1"><trk><trkseg><trkpt lat="&x;" lon="-74.1"/></trkseg></trk></gpx>',
            {},
            "gpx",
            "DOCTYPE",
        ),
        ("not xml at all", {}, "gpx", "no se pudo leer"),
        (gpx([(-8.30, -74.12)]), {}, "track", "al menos 2 puntos"),
        (gpx([(48.85, 2.35), (48.86, 2.36)]), {}, "track", "fuera del Perú"),
        (gpx([(-8.30, -74.12), (-8.30, -74.10)], with_times=False), {}, "started_at", "falta"),
        (gpx([(-8.30, -74.12), (-8.30, -74.10)]), {"walker": "x"}, "walker", "no reconocido"),
    ],
)
def test_bad_gpx_is_refused_and_nothing_stored(
    client: TestClient,
    monitor: str,
    db: Session,
    body: str,
    params: dict[str, str],
    field: str,
    words: str,
) -> None:
    response = client.post(
        "/api/v1/patrols",
        params={"id": str(uuid.uuid4()), "community": COMMUNITY, **params},
        content=body,
        headers={**auth(monitor), **GPX_HEADERS},
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert _count(db) == 0


def kobo_patrol(**overrides: Any) -> dict[str, Any]:
    end = datetime.now(UTC) - timedelta(minutes=30)
    body: dict[str, Any] = {
        "meta/instanceID": f"uuid:{uuid.uuid4()}",
        "patrol/community": COMMUNITY,
        "start": (end - timedelta(hours=2)).isoformat(),
        "end": end.isoformat(),
        "patrol/monitors": "3",
        "patrol/patrol_track": "-8.30 -74.12 150 5;-8.30 -74.10 152 5;-8.29 -74.09 151 4",
        "_submitted_by": "maria.lopez",
    }
    body.update(overrides)
    return body


def test_kobo_geotrace_becomes_a_patrol_idempotent_on_its_instance(
    client: TestClient, make_key: Any, db: Session
) -> None:
    feed = make_key("feed")
    body = kobo_patrol()
    first = client.post("/api/v1/intake/kobo", json=body, headers=auth(feed))
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "patrol"
    assert first.json()["id"] == body["meta/instanceID"].removeprefix("uuid:")
    again = client.post("/api/v1/intake/kobo", json=body, headers=auth(feed))
    assert again.status_code == 200
    stored = db.execute(select(Patrol)).scalar_one()
    assert stored.monitors == 3 and stored.points == 3 and stored.source == "kobo"
    assert stored.track["coordinates"][0][0] == [-74.12, -8.30]  # lon, lat
    assert "maria" not in repr(stored.__dict__)
    other = client.post(
        "/api/v1/intake/kobo", json={**body, "patrol/monitors": "5"}, headers=auth(feed)
    )
    assert other.status_code == 409


@pytest.mark.parametrize(
    "geotrace",
    ["-8.30 -74.12 150 5", "-8.30;-74.12", "norte sur;-8.3 -74.1", "-74.12 -8.30;-74.10 -8.30"],
)
def test_bad_geotrace_is_refused_naming_the_question(
    client: TestClient, make_key: Any, db: Session, geotrace: str
) -> None:
    response = client.post(
        "/api/v1/intake/kobo",
        json=kobo_patrol(**{"patrol/patrol_track": geotrace}),
        headers=auth(make_key("feed")),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "patrol_track"
    assert _count(db) == 0


def test_a_gpx_resend_is_the_same_patrol_and_monitors_come_from_the_query(
    client: TestClient, monitor: str, db: Session
) -> None:
    params = {"id": str(uuid.uuid4()), "community": COMMUNITY, "monitors": "5"}
    body = gpx([(-8.30, -74.12), (-8.30, -74.10)])
    headers = {**auth(monitor), **GPX_HEADERS}
    first = client.post("/api/v1/patrols", params=params, content=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["monitors"] == 5
    again = client.post("/api/v1/patrols", params=params, content=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert _count(db) == 1


def test_a_kobo_edit_replaces_the_patrol_in_place(
    client: TestClient, make_key: Any, db: Session
) -> None:
    feed = make_key("feed")
    body = kobo_patrol()
    assert client.post("/api/v1/intake/kobo", json=body, headers=auth(feed)).status_code == 201
    edit = {
        **body,
        "meta/instanceID": f"uuid:{uuid.uuid4()}",
        "meta/deprecatedID": body["meta/instanceID"],
        "patrol/monitors": "6",
    }
    replaced = client.post("/api/v1/intake/kobo", json=edit, headers=auth(feed))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "replaced"
    stored = db.execute(select(Patrol)).scalar_one()
    assert stored.monitors == 6
    assert stored.id == body["meta/instanceID"].removeprefix("uuid:")
