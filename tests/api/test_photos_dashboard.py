"""Photos on the dashboard: the signed-in analyst sees a report's thumbnails (linking to the full
image) and fetches them through the session cookie; an institution the report's alert is not
routed to gets 404; no session goes to sign-in. Never who took them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ews.models import Alert
from tests.api import test_photos
from tests.api.test_photos import COMMUNITY, upload
from tests.support.photos import photo_bytes
from tests.support.web import sign_in

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
