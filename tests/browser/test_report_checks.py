"""Field checks on the report page in a real Chromium: the monitor's open checks are kept on the
phone, a verdict made with no signal waits with its UUID, is sent when the signal returns, and the
next run lowers ``deforestation_ha`` the same day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import APIRequestContext, Browser, expect
from sqlalchemy import func, select

from ews.models import FieldVerdict
from indicators import LIMA, local_day_end
from tests.support.browser import (
    LiveServer,
    Watch,
    lose_signal,
    mark_waiting,
    new_key,
    open_report,
    phone,
    run_pipeline,
    shot,
)

pytestmark = pytest.mark.browser

COMMUNITY = "flor-de-ucayali"
KEYS = (("monitor", COMMUNITY), ("feed", None), ("analyst", None))
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


def test_a_verdict_made_offline_is_sent_later_and_lowers_deforestation(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    keys = {role: new_key(live_server, role, c) for role, c in KEYS}
    analyst = {"Authorization": f"Bearer {keys['analyst']}"}
    watch = Watch(live_server.url)
    context = phone(browser, live_server, watch)
    api = context.request
    today = datetime.now(UTC).astimezone(LIMA).date()
    body = f"{GFW}\n-8.3100,-74.0800,{today},highest,30\n-8.3200,-74.0900,{today},highest,8\n"
    posted = api.post(
        "/api/v1/feeds/gfw",
        data=body,
        headers={"Authorization": f"Bearer {keys['feed']}", "Content-Type": "text/csv"},
    )
    assert posted.ok and posted.json()["inserted"] == 2, posted.text()
    run_pipeline(context, keys["analyst"])
    assert _deforestation_today(api, analyst) == pytest.approx(38.0)

    page = open_report(context, keys["monitor"])
    page.click("#checks-refresh")
    expect(page.locator("#checks li.check")).to_have_count(2)
    expect(page.locator("#checks li.check svg.check-map")).to_have_count(2)

    lose_signal(context, page)  # the service worker serves the page, the phone keeps the checks
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
    mark_waiting(page, "ews.checks.verdicts")
    page.click("#checks-refresh")
    expect(page.locator("#verdicts li.sent")).to_have_count(1, timeout=20_000)
    expect(page.locator("#checks li.check")).to_have_count(1)
    db.expire_all()
    (stored,) = db.execute(select(FieldVerdict)).scalars()
    assert (stored.verdict, stored.note) == ("false_alarm", "Era una chacra antigua")
    db.rollback()

    run_pipeline(context, keys["analyst"])
    assert _deforestation_today(api, analyst) == pytest.approx(8.0)
    context.close()
    watch.assert_clean()
