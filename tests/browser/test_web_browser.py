"""The pages in a real browser: Chromium driven by Playwright, against the service started here on
loopback. No request may leave 127.0.0.1 and no page may log a console error. Screenshots go to
``test-artifacts/`` (``make screenshots`` copies them to ``docs/screenshots/``, shown in the README).
Without Chromium these tests skip (``EWS_REQUIRE_BROWSER=1`` makes them fail instead)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from ews.auth.keys import Role, create_key
from ews.demo import generate_communities
from ews.jobs.entry_points import deliver_notifications
from ews.models import AlertEvent, Community, Report
from ews.reference.loader import community_values
from indicators import LIMA
from tests.support import web_sample
from tests.support.browser import LiveServer, Watch, shot
from tests.support.delivery import queue_alert

pytestmark = pytest.mark.browser

# Inside the illustrative territory of Flor de Ucayali.
PATROL_POSITION = {"latitude": -8.31, "longitude": -74.08}


def test_dashboard_sign_in_acknowledge_map_chart_and_english(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    sample = web_sample.populate(db, now=web_sample.utc_now())
    _row, key = create_key(db, role=Role.analyst, name="Ana Analista")
    db.commit()
    defender_alert = sample.alert_ids[0]
    watch = Watch(live_server.url)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()

    page.goto("/dashboard")
    expect(page).to_have_url(f"{live_server.url}/dashboard/login")
    shot(page, "dashboard-login")
    page.fill("#key", key)
    page.click("form[action='/dashboard/login'] button")
    expect(page.locator("#alert-queue")).to_be_visible()
    expect(page.locator(f"a[href='/dashboard/alerts/{defender_alert}']")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "ews_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert key not in cookie["value"]
    shot(page, "dashboard-queue")

    page.click(f"a[href='/dashboard/alerts/{defender_alert}']")
    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(1)
    page.fill("#ack-note", "Recibido; coordinamos con la dirigencia por radio.")
    page.click("#ack-form button")
    expect(page.locator(".notice")).to_be_visible()
    expect(timeline).to_have_count(2)
    expect(timeline.nth(1)).to_contain_text("Recibido; coordinamos con la dirigencia por radio.")
    expect(page.locator("#alert-status")).to_have_text("recibida")
    shot(page, "dashboard-alert")
    db.expire_all()
    kinds = db.execute(
        select(AlertEvent.kind).where(AlertEvent.alert_id == defender_alert).order_by(AlertEvent.id)
    ).scalars()
    assert list(kinds) == ["raised", "acknowledged"]
    db.rollback()

    page.click("header nav a[href='/dashboard/communities']")
    territory = page.locator("svg#map path#territory")
    expect(territory).to_be_visible()
    box = territory.bounding_box()
    assert box
    assert box["width"] > 200
    assert box["height"] > 200
    buffer = page.locator("svg#map path#buffer").bounding_box()
    assert buffer
    assert buffer["width"] > box["width"]
    assert buffer["height"] > box["height"]
    assert page.locator("svg#map .layer-reports circle").count() > 0
    assert page.locator("svg#map .layer-hotspots circle").count() > 0
    expect(page.locator("#chart-threat_index svg polyline.value")).to_be_visible()
    expect(page.locator("#chart-fire_hotspots svg line.rule")).not_to_have_count(0)
    expect(page.locator("#contributions rect.bar")).to_have_count(7)
    shot(page, "dashboard-community")

    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header nav")).to_contain_text("Alert queue")
    expect(page.locator("svg#map path#territory")).to_be_visible()
    expect(page.locator("h2").first).to_have_text("Map of the territory and its approach zone")
    shot(page, "dashboard-community-en")

    for name in ("deliveries", "silences", "reference"):
        page.click(f"header nav a[href='/dashboard/{name}']")
        expect(page.locator("main table").first).to_be_visible()
        if name == "deliveries":
            expect(page.locator("#deliveries tbody tr").first).to_have_class("msg-dead msg-failed")
        shot(page, f"dashboard-{name}")
    context.close()
    watch.assert_clean()


def test_report_page_keeps_reports_offline_and_sends_each_once(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    _row, key = create_key(db, role=Role.monitor, name="Monitor", community_code="flor-de-ucayali")
    db.commit()
    watch = Watch(live_server.url)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        geolocation=PATROL_POSITION,
        permissions=["geolocation"],
        locale="es-PE",
        timezone_id="America/Lima",
    )
    watch.attach(context)
    page = context.new_page()
    page.goto("/report")
    page.fill("#key", key)
    page.click("#key-form button")
    expect(page.locator("#community-name")).to_have_text("Comunidad Nativa Flor de Ucayali")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    shot(page, "report-ready")

    context.set_offline(True)
    page.reload()  # served by the service worker: no signal, the page still opens
    expect(page.locator("#net")).to_have_text("Sin señal")
    for n, threat in enumerate(("settler_invasion", "illegal_logging", "all_quiet")):
        page.select_option("#threat", threat)
        page.check(f"input[name=severity][value='{n + 2}']")
        if n == 0:
            page.click("#locate")
            expect(page.locator("#position")).to_contain_text("-8.31")
        page.fill("#description", f"Patrulla {n + 1}")
        page.click("#save")
        expect(page.locator("#waiting-count")).to_have_text(str(n + 1))
    expect(page.locator("#sent-count")).to_have_text("0")
    expect(page.locator("#waiting li")).to_have_count(3)
    shot(page, "report-offline")
    ids = page.evaluate(
        "JSON.parse(localStorage.getItem('ews.report.queue')).map(i => i.report.id)"
    )
    assert len(set(ids)) == 3
    assert db.execute(select(func.count()).select_from(Report)).scalar_one() == 0
    db.rollback()  # end the read: on SQLite an open transaction would hold the writer's lock

    context.set_offline(False)
    expect(page.locator("#sent-count")).to_have_text("3", timeout=20_000)
    expect(page.locator("#waiting-count")).to_have_text("0")
    shot(page, "report-sent")

    # A resend (as after a lost answer) is answered 200 by idempotent intake: still one row each.
    page.evaluate(
        "localStorage.setItem('ews.report.queue', JSON.stringify("
        "JSON.parse(localStorage.getItem('ews.report.queue')).map(i => ({...i, status: 'waiting'}))))"
    )
    page.click("#retry")
    expect(page.locator("#sent-count")).to_have_text("3", timeout=20_000)
    db.expire_all()
    stored = db.execute(select(Report.id, Report.latitude, Report.threat_type)).all()
    assert sorted(r.id for r in stored) == sorted(ids)
    located = {r.threat_type: r.latitude for r in stored}
    assert located["settler_invasion"] == pytest.approx(-8.31)
    assert located["all_quiet"] is None
    context.close()
    watch.assert_clean()


def _sign_in(page: Page, key: str) -> None:
    page.goto("/dashboard")
    page.fill("#key", key)
    page.click("form[action='/dashboard/login'] button")
    expect(page.locator("#alert-queue")).to_be_visible()


def test_landing_map_alert_story_mail_view_and_docs_offline(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    sample = web_sample.populate(db, now=web_sample.utc_now())
    demo = generate_communities(1)[0]
    db.add(Community(code=demo["code"], **community_values(demo)))
    db.flush()
    queue_alert(
        db, contact_codes=["minjus-regional-email", "dp-regional-email"], community=demo["code"]
    )
    _row, key = create_key(db, role=Role.analyst, name="Ana Analista")
    db.commit()
    sent = deliver_notifications(
        settings=live_server.settings, session_factory=sessionmaker(bind=db.get_bind())
    )
    assert sent["sent"] == 2
    watch = Watch(live_server.url)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()
    _sign_in(page, key)

    # The landing page opens with the map: every community, coloured by its highest open alert.
    overview = page.locator("#overview-map")
    expect(overview).to_be_visible()
    box = overview.bounding_box()
    assert box
    assert box["width"] > 600
    flor = page.locator("#overview-map a[data-community='flor-de-ucayali']")
    expect(flor).to_have_attribute("data-level", "critical")
    expect(page.locator(f"#overview-map a[data-community='{demo['code']}']")).to_have_attribute(
        "data-level", "critical"
    )
    shot(page, "dashboard-map")
    flor.locator("circle").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/communities/flor-de-ucayali")
    expect(page.locator("svg#map path#territory")).to_be_visible()

    # The alert page tells the story in Spanish.
    page.goto(f"/dashboard/alerts/{sample.alert_ids[0]}")
    for section in ("#what-happened", "#when", "#where", "#monitors-said", "#asked", "#evidence"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#where svg#map .layer-reports circle").first).to_be_visible()
    expect(page.locator("#asks tbody tr")).to_have_count(2)
    expect(page.locator("#words-withheld")).to_be_visible()
    expect(page.locator("#evidence-reports thead")).to_contain_text("Fecha y hora")
    page.locator("#evidence-reports a").first.click()
    expect(page.locator("h1")).to_contain_text("amenaza a defensores")
    page.go_back()
    expect(page.locator("#what-happened")).to_be_visible()
    shot(page, "dashboard-alert-story")

    # The mail the service kept instead of sending it.
    page.click("header nav a[href='/dashboard/mail']")
    expect(page.locator("#mail-caught")).to_be_visible()
    rows = page.locator("#mail-list tbody tr")
    expect(rows).to_have_count(2)
    shot(page, "dashboard-mail")
    rows.first.locator("a").click()
    expect(page.locator("#mail-subject")).to_contain_text("SIMULACRO")
    expect(page.locator("#mail-body")).to_contain_text("SIMULACRO: ejercicio con datos sintéticos")
    expect(page.locator("#mail-body")).to_contain_text(f"{live_server.url}/dashboard/alerts/")
    shot(page, "dashboard-mail-message")

    # The API docs render from the service alone.
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("EWS")
    context.close()
    watch.assert_clean()


def test_an_institution_acknowledges_and_records_an_overdue_action_from_the_alert_page(
    browser: Browser, live_server: LiveServer
) -> None:
    """Issue 16: MINJUS acknowledges for itself and records "medidas de protección solicitadas"
    due yesterday; its response shows who, the note and the action marked overdue, DP's shows no
    acknowledgement, and the alert stays open until DP acknowledges too."""
    db = live_server.session
    sample = web_sample.populate(db, now=web_sample.utc_now())
    _row, key = create_key(
        db, role=Role.institution, name="Mecanismo MINJUS", institution_code="MINJUS"
    )
    db.commit()
    defender_alert = sample.alert_ids[0]
    watch = Watch(live_server.url)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    watch.attach(context)
    page = context.new_page()
    page.goto("/dashboard/login")
    page.fill("#key", key)
    page.click("form[action='/dashboard/login'] button")
    page.goto(f"/dashboard/alerts/{defender_alert}")
    page.fill("#ack-note", "Mecanismo activado.")
    page.click("#ack-form button")
    expect(page.locator("#response-MINJUS .ack")).to_contain_text("Mecanismo MINJUS")
    expect(page.locator("#response-DP .ack")).to_contain_text("sin acuse de recibo")
    expect(page.locator("#alert-status")).to_have_text("abierta")
    page.select_option("#action-type", "protection_measures_requested")
    page.select_option("#action-status", "in_progress")
    yesterday = (web_sample.utc_now().astimezone(LIMA) - timedelta(days=1)).date()
    page.fill("#action-due", yesterday.isoformat())
    page.fill("#action-note", "Solicitud a la Dirección General.")
    page.click("#action-form button")
    expect(page.locator(".notice")).to_have_text("Acción registrada.")
    overdue = page.locator("#response-MINJUS li.overdue")
    expect(overdue).to_contain_text("Medidas de protección solicitadas")
    expect(overdue).to_contain_text("vencida")
    expect(page.locator("#timeline li.ev-action_recorded")).to_contain_text("MINJUS")
    shot(page, "dashboard-alert-responses")
    context.close()
    watch.assert_clean()
