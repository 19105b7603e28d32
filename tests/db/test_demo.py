"""The synthetic demonstration data: marked, varied, idempotent, and enough to raise alerts."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.alerting.actions import responses_of
from ews.alerting.evaluation import evaluate
from ews.demo import THREAT_TYPES, DemoSizes, generate, load_demo
from ews.demo.responses import add_demo_responses
from ews.jobs.compute import compute_full
from ews.models import (
    Alert,
    AlertAction,
    Community,
    DeforestationAlert,
    FireHotspot,
    IndicatorValue,
    Report,
)
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import CATALOG, LIMA
from indicators.days import day_number

SMALL = DemoSizes(communities=5, reports=600, hotspots=4_000, alerts=1_500)
ANCHOR = date(2026, 11, 20)


def test_generated_data_is_marked_and_has_a_fire_season() -> None:
    data = generate(ANCHOR, SMALL)
    assert len(data.communities) == 5
    assert all(c["synthetic"] and c["name"].endswith("(sintético)") for c in data.communities)
    assert set(data.reports["threat_type"]) == set(THREAT_TYPES)
    assert data.reports["synthetic"].all()
    assert data.reports["description"].str.startswith("(sintético)").all()
    assert data.hotspots["synthetic"].all()
    assert data.alerts["synthetic"].all()
    months = data.hotspots["acquired_at"].dt.tz_convert("America/Lima").dt.month
    per_month = months.value_counts()
    season = per_month.reindex([8, 9, 10]).min()
    rest = per_month.drop([8, 9, 10]).max()
    assert season > 2 * rest
    # Over the last 12+ months, and never after the anchor day.
    observed = data.reports["observed_at"].dt.tz_convert("America/Lima").dt.date
    assert observed.max() <= ANCHOR
    assert observed.min() <= ANCHOR - timedelta(days=365)
    # The same anchor and seed give the same data.
    again = generate(ANCHOR, SMALL)
    pd.testing.assert_frame_equal(data.reports, again.reports)


def count(db: Session, model: type) -> int:
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_loading_twice_adds_nothing_and_the_story_community_alerts(db: Session) -> None:
    now = utcnow()
    anchor = now.astimezone(LIMA).date() - timedelta(days=1)
    data = generate(anchor, SMALL)
    added = load_demo(db, data, now=now)
    assert added["communities"] == 5
    assert added["reports"] == len(data.reports)
    assert added["patrols"] == 5 * 5  # five walks per synthetic community
    assert 0 < added["fire_hotspots"] <= len(data.hotspots)
    totals = [count(db, m) for m in (Community, Report, FireHotspot, DeforestationAlert)]
    again = load_demo(db, generate(anchor, SMALL), now=now)
    assert set(again.values()) == {0}
    assert [count(db, m) for m in (Community, Report, FireHotspot, DeforestationAlert)] == totals
    assert db.execute(select(func.max(Report.received_at))).scalar_one() <= now
    counts = compute_full(db, days=[day_number(now)], as_of=now, computed_at=now)
    assert counts["inserted"] == len(CATALOG) * 6  # every indicator for every community
    story = {
        row.code: row
        for row in db.execute(
            select(IndicatorValue).where(IndicatorValue.community_code == "demo-0001")
        ).scalars()
    }
    assert story["defender_threats"].level == "critical"
    assert story["deforestation_ha"].details["core_value"] > 20
    assert story["deforestation_ha"].level in ("high", "critical")
    assert story["threat_index"].level != "none"
    assert story["patrol_km"].value > 0
    assert story["patrol_coverage"].value > 0


def test_demo_data_never_touches_a_real_community(db: Session) -> None:
    """Flor de Ucayali is real: no demo report is filed under it and no demo satellite point falls
    in its territory or approach zone, so the demo moves none of its indicators."""
    now = utcnow()
    load_demo(db, generate(now.astimezone(LIMA).date() - timedelta(days=1), SMALL), now=now)
    flor = db.get(Community, "flor-de-ucayali")
    assert flor is not None
    assert not flor.synthetic
    synthetic = set(db.execute(select(Community.code).where(Community.synthetic)).scalars())
    assert len(synthetic) == SMALL.communities
    assert set(db.execute(select(Report.community_code)).scalars()) <= synthetic
    for model, lat, lon in (
        (FireHotspot, FireHotspot.latitude, FireHotspot.longitude),
        (DeforestationAlert, DeforestationAlert.latitude, DeforestationAlert.longitude),
    ):
        near_flor = select(func.count()).where(
            lon.between(flor.min_lon, flor.max_lon), lat.between(flor.min_lat, flor.max_lat)
        )
        assert db.execute(near_flor.select_from(model)).scalar_one() == 0
    compute_full(db, days=[day_number(now)], as_of=now, computed_at=now)
    values = db.execute(
        select(IndicatorValue.code, IndicatorValue.value, IndicatorValue.level).where(
            IndicatorValue.community_code == "flor-de-ucayali",
            # Silence (and the index it feeds) measures the real community's own reports: none.
            IndicatorValue.code.not_in(["patrol_silence_days", "threat_index"]),
        )
    ).all()
    assert values
    assert all(value == 0 and level == "none" for _code, value, level in values)


def test_the_demo_alerts_carry_responses_and_an_overdue_action(
    db: Session, settings: Settings
) -> None:
    """On the demo, an analyst opening an alert sees who knows, who acted and what is overdue."""
    now = utcnow()
    load_demo(db, generate(now.astimezone(LIMA).date() - timedelta(days=1), SMALL), now=now)
    compute_full(db, days=[day_number(now)], as_of=now, computed_at=now)
    evaluate(db, settings=settings, now=now)
    recorded = add_demo_responses(db, now=now)
    assert recorded >= 2
    assert add_demo_responses(db, now=now) == 0  # once
    alerts = db.execute(select(Alert).join(AlertAction)).scalars().unique().all()
    views = [r for alert in alerts for r in responses_of(db, alert=alert, now=now)]
    assert any(r.acknowledged_by and r.acknowledged_by.endswith("(demo)") for r in views)
    actions = [a for r in views for a in r.actions]
    assert any(a.overdue for a in actions)
    assert any(not a.overdue and a.status == "in_progress" for a in actions)
    assert all(a.label["es"] != a.type for a in actions)  # labelled from the catalog
