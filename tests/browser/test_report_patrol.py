"""A patrol recorded on /report with no signal, then sent once the phone reconnects (Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from ews.models import Patrol
from tests.support.browser import (
    FLOR,
    LiveServer,
    Watch,
    lose_signal,
    mark_waiting,
    move,
    new_key,
    open_report,
    phone,
    run_pipeline,
    shot,
    sign_in_dashboard,
)

pytestmark = pytest.mark.browser

# A walk inside the illustrative territory of Flor de Ucayali, about 220 m between fixes.
WALK = [(-8.310, -74.080), (-8.310, -74.078), (-8.308, -74.078), (-8.306, -74.077)]


def test_a_patrol_recorded_offline_is_sent_once_when_the_signal_returns(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    key = new_key(live_server, "monitor", FLOR)
    watch = Watch(live_server.url)
    context = phone(browser, live_server, watch, at=WALK[0])
    page = open_report(context, key)

    lose_signal(context, page)  # the service worker serves the page and the recorder
    page.fill("#patrol-monitors", "3")
    page.click("#patrol-start")
    expect(page.locator("#patrol-status")).to_contain_text("1 puntos")
    for n, (lat, lon) in enumerate(WALK[1:], start=2):
        move(context, lat, lon)
        expect(page.locator("#patrol-status")).to_contain_text(f"{n} puntos")
    page.click("#patrol-stop")
    expect(page.locator("#patrols-waiting")).to_have_text("1")
    shot(page, "report-patrol-offline")
    patrol_id = page.evaluate("JSON.parse(localStorage.getItem('ews.report.patrols'))[0].patrol.id")
    assert db.execute(select(func.count()).select_from(Patrol)).scalar_one() == 0
    db.rollback()  # end the read: on SQLite an open transaction would hold the writer's lock

    context.set_offline(False)
    expect(page.locator("#patrols-waiting")).to_have_text("0", timeout=20_000)
    expect(page.locator(f"#patrols li[data-id='{patrol_id}']")).to_have_class("sent")

    # A resend (as after a lost answer) is answered 200: still one patrol.
    mark_waiting(page, "ews.report.patrols")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator(f"#patrols li[data-id='{patrol_id}']")).to_have_class(
        "sent", timeout=20_000
    )
    db.expire_all()
    stored = db.execute(select(Patrol)).scalars().all()
    assert [p.id for p in stored] == [patrol_id]
    assert stored[0].monitors == 3 and stored[0].points == len(WALK) and stored[0].source == "api"
    assert stored[0].length_km == pytest.approx(0.69, abs=0.05)
    db.rollback()
    context.close()

    # The analyst runs the pipeline and sees the track over the cells patrolled.
    admin = new_key(live_server, "admin")
    dashboard = browser.new_context(base_url=live_server.url, locale="es-PE")
    watch.attach(dashboard)
    page = dashboard.new_page()
    run_pipeline(dashboard, admin)
    sign_in_dashboard(page, admin)
    page.goto("/dashboard/communities/flor-de-ucayali")
    expect(page.locator("#patrol-map .patrol-track")).to_have_count(1)
    assert page.locator("#patrol-map .cells-patrolled").get_attribute("d")
    expect(page.locator("#patrols .effort")).to_contain_text("Patrullajes: 1")
    page.locator("#patrols").scroll_into_view_if_needed()
    shot(page, "community-patrols")
    dashboard.close()
    watch.assert_clean()
