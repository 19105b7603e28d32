"""Issue 15's "done when", in a real Chromium: a monitor with no signal walks a patrol, verifies
three satellite points (two confirmed, one false alarm) and photographs a clearing; once the phone
reconnects the analyst sees the track, the verdicts and the photos on the dashboard, and after the
pipeline runs the indicators (``patrol_km``, ``deforestation_ha``) and the alert's level reflect
them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, expect
from sqlalchemy import func, select

from ews.models import FieldVerdict, Patrol, Photo
from indicators import LIMA, local_day_end
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
    queued_photos,
    run_pipeline,
    shot,
    sign_in_dashboard,
)
from tests.support.photos import DEVICE_WORDS, photo_bytes

pytestmark = pytest.mark.browser

GFW = (
    "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence,"
    "alert_area__ha"
)
# Three points in Flor de Ucayali's territory: the big one turns out to be an old field; the two
# nominal ones (counted at half their area until someone sees them) are real clearings.
POINTS = [(-8.3100, -74.0800, "highest", 30), (-8.3150, -74.0850, "nominal", 6)]
POINTS += [(-8.3200, -74.0900, "nominal", 4)]
ROLES = ("monitor", "feed", "analyst")
# The walk to them, about 220 m between fixes (0.69 km).
WALK = [(-8.310, -74.080), (-8.310, -74.078), (-8.308, -74.078), (-8.306, -74.077)]


def _today(api: APIRequestContext, headers: dict[str, str], code: str) -> float:
    response = api.get(
        "/api/v1/indicators",
        params={"community": FLOR, "code": code, "limit": 1000},
        headers=headers,
    )
    assert response.ok, response.text()
    end = local_day_end(datetime.now(UTC))
    (today,) = [
        i for i in response.json()["items"] if datetime.fromisoformat(i["window_end"]) == end
    ]
    return float(today["value"])


def _deforestation_alert(api: APIRequestContext, headers: dict[str, str]) -> dict[str, Any]:
    response = api.get("/api/v1/alerts", params={"category": "deforestation"}, headers=headers)
    assert response.ok, response.text()
    (alert,) = [a for a in response.json()["items"] if a["status"] != "resolved"]
    return dict(alert)


def test_a_patrol_three_verdicts_and_photos_made_offline_reach_the_analyst_and_the_alert(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    keys = {r: new_key(live_server, r, FLOR if r == "monitor" else None) for r in ROLES}
    analyst = {"Authorization": f"Bearer {keys['analyst']}"}
    watch = Watch(live_server.url)
    context = phone(browser, live_server, watch, at=WALK[0])
    api = context.request
    today = datetime.now(UTC).astimezone(LIMA).date()
    rows = "".join(f"{lat},{lon},{today},{conf},{ha}\n" for lat, lon, conf, ha in POINTS)
    posted = api.post(
        "/api/v1/feeds/gfw",
        data=f"{GFW}\n{rows}",
        headers={"Authorization": f"Bearer {keys['feed']}", "Content-Type": "text/csv"},
    )
    assert posted.ok and posted.json()["inserted"] == 3, posted.text()
    run_pipeline(context, keys["analyst"])
    assert _today(api, analyst, "deforestation_ha") == pytest.approx(30 + 3 + 2)
    assert _deforestation_alert(api, analyst)["level"] == "high"

    # With signal, at home: the key, the checks to take along.
    page = open_report(context, keys["monitor"])
    page.click("#checks-refresh")
    expect(page.locator("#checks li.check")).to_have_count(3)

    # In the forest, no signal: the page still opens, the patrol is recorded as the monitor walks.
    lose_signal(context, page)
    page.fill("#patrol-monitors", "2")
    page.click("#patrol-start")
    expect(page.locator("#patrol-status")).to_contain_text("1 puntos")
    for n, (lat, lon) in enumerate(WALK[1:], start=2):
        move(context, lat, lon)
        expect(page.locator("#patrol-status")).to_contain_text(f"{n} puntos")

    # Three points verified on the way, the real clearing photographed.
    clearing = photo_bytes(color="sienna")
    trail = photo_bytes(color="olive")
    old_field = page.locator("#checks li.check", has_text="30 ha")
    old_field.locator("input.check-note").fill("Chacra antigua, no es tala nueva")
    old_field.locator("button[data-verdict=false_alarm]").click()
    expect(page.locator("#checks li.check")).to_have_count(2)
    cut = page.locator("#checks li.check", has_text="6 ha")
    cut.locator("input.check-note").fill("Claro reciente, tocones frescos")
    cut.locator("input.check-photos").set_input_files(
        files=[{"name": "claro.jpg", "mimeType": "image/jpeg", "buffer": clearing}]
    )
    cut.locator("input.check-keep").check()
    cut.locator("button[data-verdict=confirmed]").click()
    expect(page.locator("#checks li.check")).to_have_count(1)
    page.locator("#checks li.check", has_text="4 ha").locator(
        "button[data-verdict=confirmed]"
    ).click()
    expect(page.locator("#checks li.check")).to_have_count(0)
    expect(page.locator("#verdicts-count")).to_have_text("3")
    expect(page.locator("#verdicts li", has_text="1 foto")).to_have_count(1)

    # The walk ends: the track and a photo of the trail wait on the phone too.
    page.set_input_files(
        "#patrol-photos", files=[{"name": "trocha.jpg", "mimeType": "image/jpeg", "buffer": trail}]
    )
    page.click("#patrol-stop")
    expect(page.locator("#patrols-waiting")).to_have_text("1")
    expect(page.locator("#patrols li")).to_contain_text("1 foto")
    shot(page, "report-field-loop-offline")
    assert queued_photos(page) == 2
    for model in (FieldVerdict, Patrol, Photo):
        assert db.execute(select(func.count()).select_from(model)).scalar_one() == 0
    db.rollback()  # end the read: on SQLite an open transaction would hold the writer's lock

    # Back in the village: the phone reconnects and sends everything, each once.
    context.set_offline(False)
    expect(page.locator("#verdicts-count")).to_have_text("0", timeout=20_000)
    expect(page.locator("#verdicts li.sent")).to_have_count(3, timeout=20_000)
    expect(page.locator("#patrols-waiting")).to_have_text("0", timeout=20_000)
    expect(page.locator("#patrols li.sent")).to_have_count(1)
    assert queued_photos(page) == 0
    # Resent (as after a lost answer), the verdicts and the patrol are answered 200: nothing doubles.
    mark_waiting(page, "ews.checks.verdicts")
    mark_waiting(page, "ews.report.patrols")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    for queue in ("ews.checks.verdicts", "ews.report.patrols"):
        page.wait_for_function(
            "q => JSON.parse(localStorage.getItem(q)).every(i => i.status === 'sent')", arg=queue
        )
    db.expire_all()
    (patrol,) = db.execute(select(Patrol)).scalars()
    assert (patrol.monitors, patrol.points) == (2, len(WALK))
    verdicts = db.execute(select(FieldVerdict.verdict)).scalars().all()
    assert sorted(verdicts) == ["confirmed", "confirmed", "false_alarm"]
    photos = db.execute(select(Photo)).scalars().all()
    by_owner = {("check" if p.check_id else "patrol"): p for p in photos}
    assert len(photos) == 2 and set(by_owner) == {"check", "patrol"}
    assert by_owner["check"].sha256 == hashlib.sha256(clearing).hexdigest()
    assert by_owner["check"].kept_time_and_place
    assert by_owner["patrol"].patrol_id == patrol.id
    assert not by_owner["patrol"].kept_time_and_place
    for path in live_server.settings.photos_dir.rglob("*"):
        if path.is_file():
            assert not any(word.encode() in path.read_bytes() for word in DEVICE_WORDS)
    photo_ids = {owner: p.id for owner, p in by_owner.items()}
    db.rollback()
    context.close()

    # The analyst's job runs: the verdicts and the walk are in the numbers and the alert.
    dashboard = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    watch.attach(dashboard)
    run_pipeline(dashboard, keys["analyst"])
    api = dashboard.request
    assert _today(api, analyst, "deforestation_ha") == pytest.approx(6 + 4)  # full weight, no 30
    assert _today(api, analyst, "patrol_km") == pytest.approx(0.69, abs=0.05)
    alert = _deforestation_alert(api, analyst)
    assert alert["level"] == "warning"

    page = dashboard.new_page()
    sign_in_dashboard(page, keys["analyst"])
    page.goto(f"/dashboard/alerts/{alert['id']}")
    clearings = page.locator("#evidence-clearings tbody tr")
    expect(clearings.filter(has_text="confirmado en campo")).to_have_count(2)
    photo_link = page.locator(f"a[href='/dashboard/photos/{photo_ids['check']}']")
    expect(clearings.locator(photo_link)).to_have_count(1)
    expect(clearings.filter(has=photo_link)).to_contain_text("6.00")
    thumb = photo_link.locator("img")
    thumb.scroll_into_view_if_needed()  # loaded lazily, once in sight
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    page.locator("#evidence").scroll_into_view_if_needed()
    shot(page, "dashboard-alert-field-photos")

    page.goto(f"/dashboard/communities/{FLOR}")
    expect(page.locator("#patrol-map .patrol-track")).to_have_count(1)
    expect(page.locator("#patrols .effort")).to_contain_text("Patrullajes: 1")
    patrol_thumb = page.locator(
        f"#patrol-photos a[href='/dashboard/photos/{photo_ids['patrol']}'] img"
    )
    patrol_thumb.scroll_into_view_if_needed()
    expect(patrol_thumb).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=patrol_thumb.element_handle()
    )
    page.locator("#patrols").scroll_into_view_if_needed()
    shot(page, "dashboard-community-patrol-photos")
    full = page.request.get(f"/dashboard/photos/{photo_ids['check']}")
    assert full.ok and full.headers["content-type"] == "image/jpeg"
    dashboard.close()
    watch.assert_clean()
