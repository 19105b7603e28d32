"""The camera on ``/report``: photos taken with no signal wait on the phone with their report and
are sent, each once, when the signal returns."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from ews.models import Photo, Report
from tests.support.browser import (
    FLOR,
    LiveServer,
    Watch,
    lose_signal,
    mark_waiting,
    new_key,
    open_report,
    phone,
    queued_photos,
    shot,
)
from tests.support.photos import DEVICE_WORDS, photo_bytes

pytestmark = pytest.mark.browser


def test_photos_wait_offline_with_their_report_and_are_sent_once(
    browser: Browser, live_server: LiveServer
) -> None:
    db = live_server.session
    key = new_key(live_server, "monitor", FLOR)
    watch = Watch(live_server.url)
    context = phone(browser, live_server, watch)
    page = open_report(context, key)

    clearing, trail = photo_bytes(color="sienna"), photo_bytes(format="PNG", color="olive")
    lose_signal(context, page)
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
    assert queued_photos(page) == 0  # sent photos leave the phone's queue

    # A resend of the report (as after a lost answer) doubles nothing.
    mark_waiting(page, "ews.report.queue")
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
