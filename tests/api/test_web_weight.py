"""Page budgets of issue 7, checked on a busy community's year: the community page stays under
500 KB of HTML and data, the report page under 150 KB with its assets. (Sizes, not speed.)"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support import web_sample
from tests.support.web import sign_in


def _asset_bytes(client: TestClient, html: str) -> int:
    urls = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    assert urls, "the page links its assets"
    return sum(len(client.get(url).content) for url in urls)


@pytest.mark.slow
def test_community_page_with_a_busy_year_stays_under_500_kb(
    client: TestClient, db: Session, make_key
) -> None:
    web_sample.populate(db, now=web_sample.utc_now(), volume=web_sample.BUSY)
    db.commit()
    sign_in(client, make_key("analyst"))
    today = web_sample.utc_now().date()
    page = client.get(
        "/dashboard/communities/flor-de-ucayali", params={"since": str(today - timedelta(days=365))}
    )
    assert page.status_code == 200
    counts = {
        name: int(count)
        for name, count in re.findall(r'class="layer layer-(\w+)" data-count="(\d+)"', page.text)
    }
    # The year is really drawn: thousands of points, grouped on a grid rather than dropped.
    assert counts["deforestation"] > 10_000
    assert counts["hotspots"] > 2_000
    assert counts["reports"] > 600
    assert len(page.content) < 500_000


def test_report_page_with_its_assets_stays_under_150_kb(client: TestClient) -> None:
    page = client.get("/report")
    worker = client.get("/report/sw.js")
    total = len(page.content) + _asset_bytes(client, page.text) + len(worker.content)
    assert total < 150_000
