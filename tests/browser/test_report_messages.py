"""What the community was told, on the monitor's report page in a real Chromium: the messages of
the monitor's own community appear once the key is entered and stay readable with no signal;
another community's do not appear."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from ews.alerting.community import TOLD_KIND
from ews.auth.keys import Role, create_key
from ews.models import AlertEvent
from tests.support.browser import LiveServer, Watch, shot
from tests.support.community_contacts import add_other_community
from tests.support.delivery import NOW, queue_alert

pytestmark = pytest.mark.browser

TOLD = (
    "EWS: MinJUS la recibió y la atiende. MinJUS: Medidas de protección solicitadas (en curso). "
    "Responda 1 si la amenaza continúa o 2 si ya pasó."
)
OTHER = "EWS: Su alerta de invasión de territorio fue recibida."


def test_the_monitor_reads_what_the_community_was_told_offline(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    add_other_community(db)
    for community, note in (("flor-de-ucayali", TOLD), ("otra-comunidad", OTHER)):
        alert, _event, _rows = queue_alert(db, contact_codes=[], community=community)
        db.add(
            AlertEvent(
                alert_id=alert.id,
                kind=TOLD_KIND,
                level=alert.level,
                at=NOW,
                actor="system",
                note=note,
                details={},
            )
        )
    _row, key = create_key(db, role=Role.monitor, name="Monitor", community_code="flor-de-ucayali")
    db.commit()
    watch = Watch(live_server.url)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
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
    expect(page.locator("#messages li")).to_have_count(1, timeout=20_000)
    expect(page.locator("#messages li")).to_contain_text("Medidas de protección solicitadas")

    context.set_offline(True)
    page.reload()
    expect(page.locator("#net")).to_have_text("Sin señal")
    expect(page.locator("#messages li")).to_have_count(1)
    expect(page.locator("#messages")).not_to_contain_text("invasión")
    shot(page, "report-community-messages")
    context.close()
    watch.assert_clean()
