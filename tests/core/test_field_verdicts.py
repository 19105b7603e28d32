"""Field verdicts in the pure core: the ``verdict`` column of the satellite frames weighs each point
(a confirmation counts at full weight whatever the satellite's confidence, a false alarm not at
all, "could not reach" as if unverified), over small literal frames."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import yaml

from indicators import rules_from_entries
from indicators.columns import (
    CONFIRMED,
    DEFORESTATION_READ,
    FALSE_ALARM,
    FIRE_HOTSPOT_READ,
    no_reports,
)
from indicators.events import indicator_events
from indicators.geometry import buffer_ring
from tests.support.paths import FIXTURES_DIR

RULES = rules_from_entries(
    yaml.safe_load((FIXTURES_DIR / "indicators.yaml").read_text())["indicators"]
)
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-74.15, -8.39], [-74.01, -8.39], [-74.01, -8.26], [-74.15, -8.26], [-74.15, -8.39]]
    ],
}
COMMUNITIES = pd.DataFrame(
    {"code": ["a"], "boundary": [SQUARE], "buffer": [buffer_ring(SQUARE, 5000)]}
)
SEEN = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)
LON, LAT = -74.08, -8.33


def hotspots(*rows: tuple[int, str, float | None, str | None]) -> pd.DataFrame:
    """Rows of (id, VIIRS confidence, MODIS pct (None: a VIIRS point), verdict)."""
    frame = pd.DataFrame(
        [
            (i, SEEN, LON, LAT, "VIIRS" if pct is None else "MODIS", conf, pct, verdict)
            for i, conf, pct, verdict in rows
        ],
        columns=list(FIRE_HOTSPOT_READ),
    )
    frame["acquired_at"] = pd.to_datetime(frame["acquired_at"], utc=True)
    return frame


def clearings(*rows: tuple[int, str, float, str | None]) -> pd.DataFrame:
    """Rows of (id, confidence, area_ha, verdict)."""
    return pd.DataFrame(
        [
            (i, "2026-06-15", LON, LAT, conf, area, "gfw_integrated_alerts", verdict)
            for i, conf, area, verdict in rows
        ],
        columns=list(DEFORESTATION_READ),
    )


def events(
    code: str, *, fire: pd.DataFrame | None = None, deforestation: pd.DataFrame | None = None
) -> pd.DataFrame:
    found = indicator_events(
        reports=no_reports(),
        fire_hotspots=fire if fire is not None else hotspots(),
        deforestation=deforestation if deforestation is not None else clearings(),
        communities=COMMUNITIES,
        rules={code: RULES[code]},
    )
    return found[found["code"] == code]


def test_a_confirmed_low_confidence_hotspot_counts_and_a_false_alarm_does_not() -> None:
    fire = hotspots(
        (1, "low", None, None),  # low, unverified: not counted
        (2, "low", None, CONFIRMED),  # low, confirmed: counted
        (3, "high", None, FALSE_ALARM),  # high, false alarm: not counted
        (4, "high", None, None),  # high, unverified: counted
        (5, "low", 10.0, CONFIRMED),  # MODIS 10 %, confirmed: counted
        (6, "high", None, "unreachable"),  # could not reach: as if unverified
    )
    counted = events("fire_hotspots", fire=fire)
    assert sorted(counted["id"]) == [2, 4, 5, 6]
    assert set(counted["weight"]) == {1.0}


def test_a_confirmed_clearing_weighs_one_and_a_false_alarm_leaves() -> None:
    deforestation = clearings(
        (1, "nominal", 10.0, None),  # 0.5 x 10
        (2, "nominal", 10.0, CONFIRMED),  # 1 x 10
        (3, "highest", 7.0, FALSE_ALARM),  # out
        (4, "high", 5.0, "unreachable"),  # 0.8 x 5
    )
    counted = events("deforestation_ha", deforestation=deforestation)
    weights = dict(zip(counted["id"], counted["weight"], strict=True))
    assert weights == {1: pytest.approx(5.0), 2: pytest.approx(10.0), 4: pytest.approx(4.0)}


def test_frames_without_a_verdict_column_count_as_unverified() -> None:
    fire = hotspots((1, "low", None, None), (2, "high", None, None)).drop(columns="verdict")
    deforestation = clearings((1, "nominal", 10.0, None)).drop(columns="verdict")
    assert list(events("fire_hotspots", fire=fire)["id"]) == [2]
    assert list(events("deforestation_ha", deforestation=deforestation)["weight"]) == [5.0]


def test_only_false_alarms_leave_no_clearing_events() -> None:
    deforestation = clearings((1, "high", 3.0, FALSE_ALARM))
    assert events("deforestation_ha", deforestation=deforestation).empty
