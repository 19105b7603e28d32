"""Field checks on the report page in a real Chromium: the monitor's open checks are kept on the
phone, a verdict made with no signal waits with its UUID, is sent when the signal returns, and the
next run lowers ``deforestation_ha`` the same day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, expect
from sqlalchemy import func, select

from ews.auth.keys import Role, create_key
from ews.models import FieldVerdict
from indicators import LIMA, local_day_end
from tests.support.browser import LiveServer, Watch, shot

pytestmark = pytest.mark.browser

COMMUNITY = "flor-de-ucayali"
GFW = (
    "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence,"
    "alert_area__ha"
)


def _deforestation_today(api: APIRequestContext, analyst: dict[str, str]) -> float:
    response = api.get(
        "/api/v1/indicators",
        params={"community": COMMUNITY, "code": "deforestation_ha", "limit": 1000},
        headers=analyst,
    )
    assert response.ok, response.text()
    today_end = local_day_end(datetime.now(UTC))
    (today,) = [
        i for i in response.json()["items"] if datetime.fromisoformat(i["window_end"]) == today_end
    ]
    return float(today["value"])


def _run(api: APIRequestContext, analyst: dict[str, str]) -> None:
    response = api.post("/api/v1/jobs/pipeline/run", data={}, headers=analyst)
    assert response.ok and response.json()["status"] == "succeeded", response.text()


def test_a_verdict_made_offline_is_sent_later_and_lowers_deforestation(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    keys: dict[str, Any] = {}
    for role, community in (("monitor", COMMUNITY), ("feed", None), ("analyst", None)):
        _row, keys[role] = create_key(
            db, role=Role(role), name=f"{role} prueba", community_code=community
        )
    db.commit()
    analyst = {"Authorization": f"Bearer {keys['analyst']}"}
    watch = Watch(live_server.url)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        locale="es-PE",
        timezone_id="America/Lima",
    )
    watch.attach(context)
    api = context.request
    today = datetime.now(UTC).astimezone(LIMA).date()
    body = f"{GFW}\n-8.3100,-74.0800,{today},highest,30\n-8.3200,-74.0900,{today},highest,8\n"
    posted = api.post(
        "/api/v1/feeds/gfw",
        data=body,
        headers={"Authorization": f"Bearer {keys['feed']}", "Content-Type": "text/csv"},
    )
    assert posted.ok and posted.json()["inserted"] == 2, posted.text()
    _run(api, analyst)
    assert _deforestation_today(api, analyst) == pytest.approx(38.0)

    page = context.new_page()
    page.goto("/report")
    page.fill("#key", keys["monitor"])
    page.click("#key-form button")
    expect(page.locator("#community-name")).to_have_text("Comunidad Nativa Flor de Ucayali")
    page.click("#checks-refresh")
    expect(page.locator("#checks li.check")).to_have_count(2)
    expect(page.locator("#checks li.check svg.check-map")).to_have_count(2)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    context.set_offline(True)
    page.reload()  # the service worker serves the page, the phone keeps the checks
    expect(page.locator("#net")).to_have_text("Sin señal")
    big = page.locator("#checks li.check", has_text="30 ha")
    expect(big).to_have_count(1)
    expect(big).to_contain_text("km al")
    big.locator("input.check-note").fill("Era una chacra antigua")
    big.locator("button[data-verdict=false_alarm]").click()
    expect(page.locator("#checks li.check")).to_have_count(1)
    expect(page.locator("#verdicts-count")).to_have_text("1")
    shot(page, "report-checks-offline")
    assert db.execute(select(func.count(FieldVerdict.id))).scalar_one() == 0
    db.rollback()  # end the read: on SQLite an open transaction would hold the writer's lock

    context.set_offline(False)
    expect(page.locator("#verdicts-count")).to_have_text("0", timeout=20_000)
    expect(page.locator("#verdicts li.sent")).to_have_count(1)
    # A resend (as after a lost answer) is answered 200: still one verdict.
    page.evaluate(
        "localStorage.setItem('ews.checks.verdicts', JSON.stringify("
        "JSON.parse(localStorage.getItem('ews.checks.verdicts'))"
        ".map(v => ({...v, status: 'waiting'}))))"
    )
    page.click("#checks-refresh")
    expect(page.locator("#verdicts li.sent")).to_have_count(1, timeout=20_000)
    expect(page.locator("#checks li.check")).to_have_count(1)
    db.expire_all()
    (stored,) = db.execute(select(FieldVerdict)).scalars()
    assert (stored.verdict, stored.note) == ("false_alarm", "Era una chacra antigua")
    db.rollback()

    _run(api, analyst)
    assert _deforestation_today(api, analyst) == pytest.approx(8.0)
    context.close()
    watch.assert_clean()
