"""The landing map at national scale: ~2,300 communities on one page a browser downloads quickly.

The service does not compress its answers (no GZipMiddleware: pages carry a form token next to
reflected query text, the BREACH pattern), so the bytes counted here are the bytes on the wire.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlalchemy.orm import Session

from ews.models import Alert, Community
from ews.reference.loader import community_values
from tests.support import web_sample
from tests.support.national import add_national_communities, national_communities
from tests.support.web import overview_levels, overview_places, sign_in

NATIONAL_COMMUNITIES = 2_300
PAGE_BUDGET_BYTES = 300_000
OPENED = datetime.now(UTC) - timedelta(hours=3)


def _landing_page_bytes(client: TestClient, html: str, html_bytes: int) -> int:
    """The page as a browser first downloads it: the HTML and every script, style and icon."""
    urls = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    assert any(".js" in url for url in urls) and any(".css" in url for url in urls)
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200
        assert "content-encoding" not in answer.headers
    return html_bytes + sum(len(client.get(url).content) for url in urls)


def test_the_landing_map_shows_every_one_of_2300_communities_in_its_colour_under_300_kb(
    client: TestClient, db: Session, make_key
) -> None:
    codes = add_national_communities(db, NATIONAL_COMMUNITIES)
    expected = dict.fromkeys(codes, "none") | {"flor-de-ucayali": "none"}
    for number, code in enumerate(codes):
        if number % 97 == 0:
            web_sample.add_alert(db, community=code, level="critical", opened_at=OPENED)
            expected[code] = "critical"
        elif number % 41 == 0:  # a high and a warning: the higher one colours it
            web_sample.add_alert(db, community=code, level="high", opened_at=OPENED)
            web_sample.add_alert(
                db, community=code, category="fire", level="warning", opened_at=OPENED
            )
            expected[code] = "high"
        elif number % 53 == 0:
            web_sample.add_alert(
                db, community=code, category="fire", level="warning", opened_at=OPENED
            )
            expected[code] = "warning"
        elif number % 61 == 0:  # resolved: no colour left
            web_sample.add_alert(db, community=code, level="critical", opened_at=OPENED)
            db.flush()
        elif number % 67 == 0:  # acknowledged is still open
            web_sample.add_alert(
                db, community=code, level="high", status="acknowledged", opened_at=OPENED
            )
            expected[code] = "high"
    resolved = [c for n, c in enumerate(codes) if n % 61 == 0 and expected[c] == "none"]
    for alert in db.query(Alert).filter(Alert.community_code.in_(resolved)):
        alert.status = "resolved"
    db.commit()
    sign_in(client, make_key("analyst"))

    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "content-encoding" not in page.headers
    assert overview_levels(page.text) == expected
    total = _landing_page_bytes(client, page.text, len(page.content))
    print(f"landing page, {len(expected):,} communities: {total:,} bytes")
    assert total < PAGE_BUDGET_BYTES, f"landing page {total:,} bytes"
    # A territory too small for national zoom is a marker: a place with no outline, still there.
    places = overview_places(page.text)
    assert any(place[6] == "" for place in places.values())
    assert any(place[6].startswith("M") for place in places.values())
    # No remote script, style or font: everything comes from this service.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    # With 2,300 communities the filter is a field to type a name in, and the name finds it.
    assert '<select name="community">' not in page.text
    name = national_communities(5)[4]["name"]
    filtered = client.get("/dashboard", params={"community": name.upper()})
    assert f'value="{name}"' in filtered.text


def test_the_landing_map_follows_a_new_boundary(client: TestClient, db: Session, make_key) -> None:
    entry = national_communities(1)[0]
    db.add(Community(code=entry["code"], **community_values(entry)))
    db.commit()
    sign_in(client, make_key("analyst"))
    before = overview_places(client.get("/dashboard").text)[entry["code"]]

    # The community's boundary is redrawn far to the east, as a re-import would.
    moved = {
        "type": "Polygon",
        "coordinates": [
            [[-70.0, -12.0], [-69.5, -12.0], [-69.5, -11.5], [-70.0, -11.5], [-70.0, -12.0]]
        ],
    }
    row = db.get(Community, entry["code"])
    assert row is not None
    for column, value in community_values({**entry, "boundary": moved}).items():
        setattr(row, column, value)
    db.commit()

    after = overview_places(client.get("/dashboard").text)[entry["code"]]
    assert after[6] != before[6]
    assert after[4] > overview_places(client.get("/dashboard").text)["flor-de-ucayali"][4]
    db.expire_all()
    stored = db.get(Community, entry["code"])
    assert stored is not None
    assert stored.overview is not None
    assert shape(stored.overview).equals(shape(moved))
