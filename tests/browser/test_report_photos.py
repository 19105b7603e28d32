"""The camera on ``/report``: photos taken with no signal wait on the phone with their report and
are sent, each once, when the signal returns."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from ews.auth.keys import Role, create_key
from ews.models import Photo, Report
from tests.support.browser import LiveServer, Watch, shot
from tests.support.photos import DEVICE_WORDS, photo_bytes

pytestmark = pytest.mark.browser


def test_photos_wait_offline_with_their_report_and_are_sent_once(
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

    clearing, trail = photo_bytes(color="sienna"), photo_bytes(format="PNG", color="olive")
    context.set_offline(True)
    page.reload()
    expect(page.locator("#net")).to_have_text("Sin señal")
    page.select_option("#threat", "deforestation")
    page.set_input_files(
        "#photos",
        files=[
            {"name": "claro.jpg", "mimeType": "image/jpeg", "buffer": clearing},
            {"name": "trocha.png", "mimeType": "image/png", "buffer": trail},
        ],
    )
    page.check("#keep-place")
    page.fill("#description", "Claro nuevo junto a la quebrada")
    page.click("#save")
    expect(page.locator("#waiting-count")).to_have_text("1")
    expect(page.locator("#waiting li")).to_contain_text("2 fotos")
    shot(page, "report-photos-offline")
    assert db.execute(select(func.count()).select_from(Photo)).scalar_one() == 0
    db.rollback()  # end the read: on SQLite an open transaction would hold the writer's lock

    context.set_offline(False)
    expect(page.locator("#sent-count")).to_have_text("1", timeout=20_000)
    expect(page.locator("#waiting-count")).to_have_text("0")
    queued = page.evaluate(
        "new Promise(r => { const o = indexedDB.open('ews-report', 1); o.onsuccess = () => "
        "{ const q = o.result.transaction('photos').objectStore('photos').count(); "
        "q.onsuccess = () => r(q.result); }; })"
    )
    assert queued == 0  # sent photos leave the phone's queue

    # A resend of the report (as after a lost answer) doubles nothing.
    page.evaluate(
        "localStorage.setItem('ews.report.queue', JSON.stringify("
        "JSON.parse(localStorage.getItem('ews.report.queue')).map(i => ({...i, status: 'waiting'}))))"
    )
    page.click("#retry")
    expect(page.locator("#sent-count")).to_have_text("1", timeout=20_000)
    db.expire_all()
    (report,) = db.execute(select(Report)).scalars()
    photos = db.execute(select(Photo).where(Photo.report_id == report.id)).scalars().all()
    assert sorted(p.sha256 for p in photos) == sorted(
        hashlib.sha256(data).hexdigest() for data in (clearing, trail)
    )
    assert all(p.kept_time_and_place for p in photos)
    assert all(p.source == "api" for p in photos)
    stored = (live_server.settings.photos_dir).rglob("*")
    for path in stored:
        if path.is_file():
            for word in DEVICE_WORDS:
                assert word.encode() not in path.read_bytes()
    db.rollback()
    context.close()
    watch.assert_clean()
