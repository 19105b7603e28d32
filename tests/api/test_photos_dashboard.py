"""Photos on the dashboard: the signed-in analyst sees a report's thumbnails (linking to the full
image) and fetches them through the session cookie; an institution the report's alert is not
routed to gets 404; no session goes to sign-in. Never who took them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from ews.models import Alert, FieldCheck, FireHotspot
from tests.api import test_photos
from tests.api.test_photos import COMMUNITY, upload
from tests.support.photos import photo_bytes
from tests.support.web import auth, sign_in

# The photos' tests' fixtures: an app with a photo store, a monitor's key, one report.
app = test_photos.app
photos_dir = test_photos.photos_dir
monitor = test_photos.monitor
report_id = test_photos.report_id


def add_alert(db: Session, report_ids: list[str], institution: str) -> int:
    now = datetime.now(UTC)
    alert = Alert(
        fingerprint=f"{COMMUNITY}:illegal_logging:{uuid.uuid4().hex[:6]}",
        community_code=COMMUNITY,
        category="deforestation",
        level="warning",
        status="open",
        routed_to=[institution],
        opened_at=now,
        updated_at=now,
        evidence={"report_ids": report_ids, "indicators": []},
        context={},
    )
    db.add(alert)
    db.commit()
    return int(alert.id)


def test_the_analyst_sees_the_reports_photos_on_the_dashboard(
    client: TestClient, db: Session, make_key: Any, monitor: str, report_id: str
) -> None:
    photo = upload(client, monitor, report_id, photo_bytes()).json()
    alert_id = add_alert(db, [report_id], "MINAM")
    sign_in(client, make_key("analyst"))

    page = client.get(f"/dashboard/reports/{report_id}")
    assert page.status_code == 200, page.text
    full, thumb = f"/dashboard/photos/{photo['id']}", f"/dashboard/photos/{photo['id']}?size=thumb"
    assert f'<a href="{full}"><img src="{thumb.replace("&", "&amp;")}"' in page.text
    assert "Foto 1 del reporte" in page.text

    for url, media_type in ((thumb, "image/jpeg"), (full, photo["media_type"])):
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        assert answer.headers["content-type"] == media_type
        assert answer.headers["cache-control"] == "private, no-store"
        assert answer.content[:2] == b"\xff\xd8" or media_type != "image/jpeg"
    assert client.get(f"/dashboard/photos/{uuid.uuid4()}").status_code == 404
    assert client.get(f"{full}?size=huge").status_code in (404, 422)

    story = client.get(f"/dashboard/alerts/{alert_id}")
    assert story.status_code == 200, story.text
    assert "1 foto" in story.text


def test_an_institution_the_report_is_not_routed_to_gets_404(
    client: TestClient, db: Session, make_key: Any, monitor: str, report_id: str
) -> None:
    photo = upload(client, monitor, report_id, photo_bytes()).json()
    add_alert(db, [report_id], "MINAM")
    add_alert(db, [], "PNP")  # an alert of the community routed to PNP, without the report
    sign_in(client, make_key("institution", institution="PNP"))
    for url in (f"/dashboard/photos/{photo['id']}", f"/dashboard/photos/{photo['id']}?size=thumb"):
        assert client.get(url).status_code == 404
    assert client.get(f"/dashboard/reports/{report_id}").status_code == 404


def test_the_routed_institution_sees_them(
    client: TestClient, db: Session, make_key: Any, monitor: str, report_id: str
) -> None:
    photo = upload(client, monitor, report_id, photo_bytes()).json()
    add_alert(db, [report_id], "MINAM")
    sign_in(client, make_key("institution", institution="MINAM"))
    assert f"/dashboard/photos/{photo['id']}" in client.get(f"/dashboard/reports/{report_id}").text
    assert client.get(f"/dashboard/photos/{photo['id']}?size=thumb").status_code == 200


def test_without_a_session_a_photo_goes_to_sign_in(
    client: TestClient, monitor: str, report_id: str
) -> None:
    photo = upload(client, monitor, report_id, photo_bytes()).json()
    answer = client.get(f"/dashboard/photos/{photo['id']}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login"


def test_a_field_checks_photo_is_served_to_the_analyst_not_to_an_institution(
    client: TestClient, db: Session, make_key: Any, monitor: str
) -> None:
    from tests.api.test_photos_owned import add_check, send

    check_id = add_check(db)
    photo = send(client, monitor, f"/api/v1/checks/{check_id}/photos", photo_bytes()).json()
    url = f"/dashboard/photos/{photo['id']}?size=thumb"
    sign_in(client, make_key("institution", institution="MINAM"))
    assert client.get(url).status_code == 404
    sign_in(client, make_key("analyst"))
    assert client.get(url).status_code == 200


def add_hotspot(db: Session) -> int:
    now = datetime.now(UTC)
    spot = FireHotspot(
        instrument="VIIRS",
        satellite="N",
        acquired_at=now,
        latitude=-8.31,
        longitude=-74.08,
        lat_e4=-83100,
        lon_e4=-740800,
        confidence="high",
    )
    db.add(spot)
    db.commit()
    return int(spot.id)


def test_the_alert_page_shows_a_points_field_photos_to_the_analyst_not_to_an_institution(
    client: TestClient, db: Session, make_key: Any, monitor: str
) -> None:
    from tests.api.test_photos_owned import add_check, send

    spot_id = add_hotspot(db)
    check_id = add_check(db)
    db.execute(update(FieldCheck).where(FieldCheck.id == check_id).values(point_id=spot_id))
    db.commit()
    photo = send(client, monitor, f"/api/v1/checks/{check_id}/photos", photo_bytes()).json()
    alert_id = add_alert(db, [], "MINAM")
    db.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(evidence={"fire_hotspot_ids": [spot_id], "indicators": []})
    )
    db.commit()
    thumb = f'<img src="/dashboard/photos/{photo["id"]}?size=thumb"'

    sign_in(client, make_key("analyst"))
    story = client.get(f"/dashboard/alerts/{alert_id}")
    assert story.status_code == 200, story.text
    assert f'<a href="/dashboard/photos/{photo["id"]}">' in story.text
    assert thumb in story.text and "Foto de campo 1" in story.text

    sign_in(client, make_key("institution", institution="MINAM"))
    routed = client.get(f"/dashboard/alerts/{alert_id}")
    assert routed.status_code == 200, routed.text  # the institution sees the alert...
    assert "evidence-hotspots" in routed.text
    assert photo["id"] not in routed.text  # ...but not the field photo


def test_the_community_page_shows_patrol_photos_to_the_analyst_only(
    client: TestClient, db: Session, make_key: Any, monitor: str
) -> None:
    from tests.api.test_patrols import patrol
    from tests.api.test_photos_owned import send

    body = patrol()
    posted = client.post("/api/v1/patrols", json=body, headers=auth(monitor))
    assert posted.status_code == 201, posted.text
    path = f"/api/v1/patrols/{body['id']}/photos"
    photo = send(client, monitor, path, photo_bytes()).json()
    page_url = f"/dashboard/communities/{COMMUNITY}"

    sign_in(client, make_key("analyst"))
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    assert f'<li data-patrol="{body["id"]}">' in page.text
    assert f'<img src="/dashboard/photos/{photo["id"]}?size=thumb"' in page.text
    assert "Foto 1 del patrullaje" in page.text

    add_alert(db, [], "MINAM")
    sign_in(client, make_key("institution", institution="MINAM"))
    seen = client.get(page_url)
    assert seen.status_code in (200, 403, 404), seen.text
    assert photo["id"] not in seen.text
