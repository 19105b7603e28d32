"""Small literal frames for the pure indicator tests: the indicator rules of the fixtures, two
communities (territory A and a far B), a fixed ``AS_OF`` and points inside, in the ring and far
away, builders of report, fire-hotspot and deforestation frames, and ``only`` (one indicator's rows
through its catalog function)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import yaml

from indicators import compute_all, rules_from_entries
from indicators.columns import (
    DEFORESTATION_COLUMNS,
    FIRE_HOTSPOT_COLUMNS,
    REPORT_COLUMNS,
    no_deforestation,
    no_fire_hotspots,
    no_reports,
)
from indicators.geometry import buffer_ring
from tests.support.paths import FIXTURES_DIR

RULES = rules_from_entries(
    yaml.safe_load((FIXTURES_DIR / "indicators.yaml").read_text())["indicators"]
)
# Territory A (lon -74.15..-74.01, lat -8.39..-8.26) and a far community B with no reports.
SQUARE_A = {
    "type": "Polygon",
    "coordinates": [
        [[-74.15, -8.39], [-74.01, -8.39], [-74.01, -8.26], [-74.15, -8.26], [-74.15, -8.39]]
    ],
}
SQUARE_B = {
    "type": "Polygon",
    "coordinates": [[[-73.0, -9.0], [-72.9, -9.0], [-72.9, -8.9], [-73.0, -8.9], [-73.0, -9.0]]],
}
COMMUNITIES = pd.DataFrame(
    {
        "code": ["a", "b"],
        "boundary": [SQUARE_A, SQUARE_B],
        "buffer": [buffer_ring(SQUARE_A, 5000), buffer_ring(SQUARE_B, 5000)],
    }
)
# 2026-06-15 10:00 in Lima (UTC-5).
AS_OF = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)
INSIDE = (-74.08, -8.33)
IN_RING = (-74.0, -8.33)  # ~1.1 km east of the territory
FAR = (-70.0, -5.0)


def reports(*rows: tuple) -> pd.DataFrame:
    """Rows of (id, community, threat, severity, observed_at[, lon, lat])."""
    records = []
    for row in rows:
        rid, code, threat, severity, observed = row[:5]
        lon, lat = row[5:7] if len(row) > 5 else (None, None)
        records.append(
            {
                "id": rid,
                "community_code": code,
                "threat_type": threat,
                "severity": severity,
                "observed_at": observed,
                "longitude": lon,
                "latitude": lat,
            }
        )
    frame = pd.DataFrame(records, columns=list(REPORT_COLUMNS))
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    return frame


NO_REPORTS = no_reports()


def fire_hotspot_frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (id, acquired_at, lon, lat, instrument, confidence, confidence_pct)."""
    frame = pd.DataFrame(list(rows), columns=list(FIRE_HOTSPOT_COLUMNS))
    frame["acquired_at"] = pd.to_datetime(frame["acquired_at"], utc=True)
    return frame


def deforestation_frame(*rows: tuple) -> pd.DataFrame:
    """Rows of (id, alert_date, lon, lat, confidence, area_ha, dataset)."""
    return pd.DataFrame(list(rows), columns=list(DEFORESTATION_COLUMNS))


def only(
    code: str,
    *,
    communities: pd.DataFrame,
    rules: dict,
    as_of: datetime,
    reports: pd.DataFrame = NO_REPORTS,
    fire_hotspots: pd.DataFrame | None = None,
    deforestation: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One indicator's rows from input frames: the rows it counts, rolled up by day, through its
    catalog function."""
    return compute_all(
        reports=reports,
        fire_hotspots=fire_hotspots if fire_hotspots is not None else no_fire_hotspots(),
        deforestation=deforestation if deforestation is not None else no_deforestation(),
        communities=communities,
        rules={code: rules[code]},
        as_of=as_of,
    )


def row(frame: pd.DataFrame, community: str) -> pd.Series:
    found = frame[frame["community_code"] == community]
    assert len(found) == 1
    return found.iloc[0]


def days_ago(n: float) -> datetime:
    return AS_OF - timedelta(days=n)
