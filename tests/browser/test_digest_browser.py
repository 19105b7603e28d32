"""The daily digests in a real browser: an analyst opens the day's digest of MINJUS from the
dashboard's navigation and from the delivery log, and reads the same text as the mail the service
kept (development, no SMTP relay). No request leaves 127.0.0.1 and no page logs a console error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ews.auth.keys import Role, create_key
from ews.jobs.entry_points import deliver_notifications, send_digests
from ews.models import InstitutionDigest
from tests.support import web_sample
from tests.support.browser import LiveServer, Watch, shot

pytestmark = pytest.mark.browser


def test_an_analyst_opens_a_digest_from_its_links(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    now = web_sample.utc_now()
    alert = web_sample.add_alert(db, opened_at=now - timedelta(hours=3))
    _row, key = create_key(db, role=Role.analyst, name="Ana Analista")
    db.commit()
    factory = sessionmaker(bind=db.get_bind())
    made = send_digests(settings=live_server.settings, session_factory=factory, as_of=now)
    assert made["institutions"]["MINJUS"] == "queued"
    assert deliver_notifications(settings=live_server.settings, session_factory=factory)["sent"]
    digest_id = db.scalars(
        select(InstitutionDigest.id).where(InstitutionDigest.institution_code == "MINJUS")
    ).one()
    db.rollback()

    watch = Watch(live_server.url)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()
    page.goto("/dashboard")
    page.fill("#key", key)
    page.click("form[action='/dashboard/login'] button")
    expect(page.locator("#alert-queue")).to_be_visible()

    page.click("header nav a[href='/dashboard/digests']")
    row = page.locator(f"#digest-{digest_id}")
    expect(row).to_contain_text("MINJUS")
    expect(row.locator(".badge.st-sent")).to_be_visible()
    shot(page, "dashboard-digests")
    row.locator(f"a[href='/dashboard/digests/{digest_id}']").click()
    expect(page.locator("#digest-title")).to_contain_text("MinJUS")
    body = page.locator("pre.mail-body").first
    expect(body).to_contain_text("Resumen diario del sistema de alerta temprana EWS")
    expect(body).to_contain_text(f"Alerta #{alert.id},")
    expect(body).to_contain_text(f"{live_server.url}/dashboard/alerts/{alert.id}")
    text = body.inner_text()
    shot(page, "dashboard-digest")

    # The same page from the delivery log; the same text as the mail the service kept.
    page.click("header nav a[href='/dashboard/deliveries']")
    page.locator(f"#deliveries a[href='/dashboard/digests/{digest_id}']").first.click()
    expect(page.locator("#digest-title")).to_contain_text("MinJUS")
    subject = page.locator("[id^='digest-subject-']").first.inner_text()
    page.click("header nav a[href='/dashboard/mail']")
    page.locator("#mail-list a", has_text=subject).first.click()
    expect(page.locator("#mail-subject")).to_have_text(subject)
    assert page.locator("#mail-body").inner_text().strip() == text.strip()
    context.close()
    watch.assert_clean()
