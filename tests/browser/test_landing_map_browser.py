"""The landing map in Chromium with a national set of ~2,300 communities: every one drawn in its
colour, each a link to its page, the page and all it loads under 300 KB, nothing from elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Response, expect

from ews.auth.keys import Role, create_key
from tests.support import web_sample
from tests.support.browser import LiveServer, Watch, shot
from tests.support.national import add_national_communities

pytestmark = pytest.mark.browser

NATIONAL_COMMUNITIES = 2_300


def test_the_landing_map_draws_2300_communities_in_their_colours(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    codes = add_national_communities(db, NATIONAL_COMMUNITIES)
    opened = web_sample.utc_now() - timedelta(hours=2)
    critical, warning = codes[10], codes[20]
    web_sample.add_alert(db, community=critical, level="critical", opened_at=opened)
    web_sample.add_alert(db, community=warning, category="fire", level="warning", opened_at=opened)
    _row, key = create_key(db, role=Role.analyst, name="Ana Analista")
    db.commit()
    watch = Watch(live_server.url)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()
    page.goto("/dashboard")
    page.fill("#key", key)
    page.click("form[action='/dashboard/login'] button")
    expect(page.locator("#alert-queue")).to_be_visible()

    # The landing page loaded afresh, as a browser downloads it (no cache).
    loaded: list[Response] = []
    fresh = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    fresh.add_cookies(context.cookies())
    watch.attach(fresh)
    landing = fresh.new_page()
    landing.on("response", lambda response: loaded.append(response))
    landing.goto("/dashboard")
    places = landing.locator("#overview-map a.place")
    expect(places).to_have_count(NATIONAL_COMMUNITIES + 1)  # and Flor de Ucayali
    weight = sum(len(r.body()) for r in loaded if r.status == 200)
    assert weight < 300_000, f"{weight:,} bytes"

    box = landing.locator("#overview-map").bounding_box()
    assert box and box["width"] > 600
    hot = landing.locator(f"#overview-map a[data-community='{critical}']")
    expect(hot).to_have_attribute("data-level", "critical")
    expect(landing.locator(f"#overview-map a[data-community='{warning}']")).to_have_attribute(
        "data-level", "warning"
    )
    expect(landing.locator("#overview-map a.place[data-level='none']")).to_have_count(
        NATIONAL_COMMUNITIES - 1
    )
    # Coloured as the legend says: the critical community's mark is not the quiet green.
    colour = hot.locator("circle").evaluate("e => getComputedStyle(e).fill")
    quiet = landing.locator("#overview-legend .sw-lvl-none").evaluate(
        "e => getComputedStyle(e).fill"
    )
    assert colour != quiet
    expect(hot.locator("title")).to_contain_text("(1 ")
    shot(landing, "dashboard-map-national")
    hot.locator("circle").click()
    expect(landing).to_have_url(f"{live_server.url}/dashboard/communities/{critical}")
    watch.assert_clean()
    fresh.close()
    context.close()
