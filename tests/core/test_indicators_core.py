"""The pure indicator functions on small literal frames, with the edges: windows, geometry, the
report indicators and the feed indicators. Patrol silence and the threat index are in
``test_indicators_silence_index.py``, the catalog over daily rollups in
``test_indicators_catalog.py``; the frames are built by ``tests.support.indicator_frames``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from indicators import compute_all, locate_points, window
from indicators.zones import point_pairs
from tests.support.indicator_frames import (
    AS_OF,
    COMMUNITIES,
    FAR,
    IN_RING,
    INSIDE,
    NO_REPORTS,
    RULES,
    days_ago,
    deforestation_frame,
    fire_hotspot_frame,
    only,
    reports,
    row,
)

# --- windows ---------------------------------------------------------------------------------


def test_window_ends_at_the_next_midnight_in_lima() -> None:
    start, end = window(AS_OF, 30)
    assert end == datetime(2026, 6, 16, 5, 0, tzinfo=UTC)  # 2026-06-16 00:00 in Lima
    assert start == end - timedelta(days=30)
    # 23:30 in Lima on the 15th is 04:30 UTC on the 16th: still the row of the 15th.
    assert window(datetime(2026, 6, 16, 4, 30, tzinfo=UTC), 30) == (start, end)
    # 00:00 in Lima on the 16th opens the next day's row.
    assert window(datetime(2026, 6, 16, 5, 0, tzinfo=UTC), 30)[1] == end + timedelta(days=1)


def test_window_edges_follow_peru_time_not_utc() -> None:
    start, _end = window(AS_OF, 30)
    at_start = start  # 2026-05-17 00:00 Lima: inside
    just_before = start - timedelta(microseconds=1)
    frame = reports(
        ("r1", "a", "settler_invasion", 2, at_start),
        ("r2", "a", "settler_invasion", 2, just_before),
        # 2026-06-15 23:59 Lima = 2026-06-16 04:59 UTC, later than as_of but on the same local day.
        ("r3", "a", "illegal_mining", 2, datetime(2026, 6, 16, 4, 59, tzinfo=UTC)),
        # 2026-06-16 00:00 Lima: the next day, outside.
        ("r4", "a", "illegal_mining", 2, datetime(2026, 6, 16, 5, 0, tzinfo=UTC)),
    )
    out = only("invasion_reports", reports=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF)
    a = row(out, "a")
    assert a["value"] == 2
    assert a["inputs"] == 2
    assert a["details"]["evidence"]["report_ids"] == ["r3", "r1"]  # newest first
    assert a["level"] == "warning"


# --- geometry ---------------------------------------------------------------------------------


def test_points_are_placed_in_core_or_ring_and_the_boundary_counts_as_core() -> None:
    points = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "longitude": [INSIDE[0], IN_RING[0], -74.01, FAR[0]],
            "latitude": [INSIDE[1], IN_RING[1], -8.30, FAR[1]],
        }
    )
    located = locate_points(points, COMMUNITIES)
    zones = dict(zip(located["id"], located["zone"], strict=True))
    assert zones == {1: "core", 2: "buffer", 3: "core"}
    assert set(located["community_code"]) == {"a"}


def test_empty_frames_give_a_zero_row_for_every_community() -> None:
    out = compute_all(
        reports=NO_REPORTS,
        fire_hotspots=fire_hotspot_frame(),
        deforestation=deforestation_frame(),
        communities=COMMUNITIES,
        rules=RULES,
        as_of=AS_OF,
    )
    assert len(out) == len(RULES) * 2  # every code of the catalog, for both communities
    assert set(out["code"]) == set(RULES)
    counts = out[~out["code"].isin(["patrol_silence_days", "threat_index"])]
    assert (counts["value"] == 0).all()
    assert (counts["level"] == "none").all()
    silence = out[out["code"] == "patrol_silence_days"]
    # No report at all: the full lookback of silence, which is past the "high" threshold.
    assert (silence["value"] == 365).all()
    assert (silence["level"] == "high").all()
    index = out[out["code"] == "threat_index"]
    total = sum(RULES["threat_index"].params["weights"].values())
    assert index["value"].tolist() == pytest.approx([100 * 0.10 / total] * 2, abs=1e-5)


# --- report indicators ------------------------------------------------------------------------


def test_defender_threats_one_report_is_high_severity_four_is_critical() -> None:
    one = reports(("r1", "a", "threat_to_defender", 3, days_ago(2)))
    out = only("defender_threats", reports=one, communities=COMMUNITIES, rules=RULES, as_of=AS_OF)
    assert row(out, "a")["level"] == "high"
    assert row(out, "b")["level"] == "none"
    assert row(out, "b")["value"] == 0
    severe = reports(("r1", "a", "threat_to_defender", 4, days_ago(2)))
    out = only(
        "defender_threats", reports=severe, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert row(out, "a")["level"] == "critical"
    assert row(out, "a")["details"]["severe_reports"] == 1
    two = reports(
        ("r1", "a", "threat_to_defender", 1, days_ago(2)),
        ("r2", "a", "armed_presence", 2, days_ago(20)),
        ("r3", "a", "fire", 5, days_ago(1)),  # not a defender threat
    )
    out = only("defender_threats", reports=two, communities=COMMUNITIES, rules=RULES, as_of=AS_OF)
    assert row(out, "a")["value"] == 2
    assert row(out, "a")["level"] == "critical"


def test_illicit_crops_critical_on_any_severity_five_even_alone() -> None:
    one = reports(("r1", "a", "coca_cultivation", 5, days_ago(80)))
    out = only(
        "illicit_crop_reports", reports=one, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert row(out, "a")["value"] == 1
    assert row(out, "a")["level"] == "critical"
    mild = reports(("r1", "a", "drug_trafficking", 4, days_ago(80)))
    out = only(
        "illicit_crop_reports", reports=mild, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert row(out, "a")["level"] == "warning"
    # 91 days ago: outside the 90-day window.
    old = reports(("r1", "a", "coca_cultivation", 5, days_ago(91)))
    out = only(
        "illicit_crop_reports", reports=old, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert row(out, "a")["value"] == 0
    assert row(out, "a")["level"] == "none"


def test_forest_crime_counts_levels_and_splits_core_and_buffer() -> None:
    frame = reports(
        ("r1", "a", "illegal_logging", 2, days_ago(1), *INSIDE),
        ("r2", "a", "deforestation", 2, days_ago(3), *IN_RING),
        ("r3", "a", "deforestation", 2, days_ago(4)),
    )
    out = only(
        "forest_crime_reports", reports=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    a = row(out, "a")
    assert a["value"] == 3
    assert a["level"] == "high"
    assert a["details"]["core_value"] == 2
    assert a["details"]["buffer_value"] == 1


def test_baseline_is_the_median_of_the_previous_twelve_months() -> None:
    # Previous 30-day windows (12 of them): 3 reports in each of 7, none in 5 -> median 3.
    rows = []
    for k in range(1, 8):
        for j in range(3):
            rows.append((f"r{k}-{j}", "a", "settler_invasion", 2, days_ago(30 * k + 1 + j)))
    out = only(
        "invasion_reports",
        reports=reports(*rows),
        communities=COMMUNITIES,
        rules=RULES,
        as_of=AS_OF,
    )
    assert row(out, "a")["value"] == 0
    assert row(out, "a")["baseline"] == 3
    assert row(out, "b")["baseline"] == 0


def test_late_data_counts_where_it_was_observed_not_when_received() -> None:
    frame = reports(("late", "a", "settler_invasion", 3, days_ago(10)))
    frame["received_at"] = AS_OF
    ten_days_ago = only(
        "invasion_reports", reports=frame, communities=COMMUNITIES, rules=RULES, as_of=days_ago(10)
    )
    today = only(
        "invasion_reports", reports=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    before = only(
        "invasion_reports", reports=frame, communities=COMMUNITIES, rules=RULES, as_of=days_ago(11)
    )
    assert row(ten_days_ago, "a")["value"] == 1
    assert row(today, "a")["value"] == 1
    assert row(before, "a")["value"] == 0


# --- feed indicators --------------------------------------------------------------------------


def test_deforestation_is_confidence_weighted_and_split_by_zone() -> None:
    today = AS_OF.date()
    frame = deforestation_frame(
        (1, today, *INSIDE, "highest", 10.0, "gfw_integrated_alerts"),
        (2, today - timedelta(days=5), *INSIDE, "high", 10.0, "gfw_integrated_alerts"),
        (3, today - timedelta(days=5), *IN_RING, "nominal", 10.0, "gfw_integrated_alerts"),
        (4, today, *IN_RING, "nominal", None, "umd_glad_landsat_alerts"),  # one 0.09 ha pixel
        (5, today, *FAR, "highest", 100.0, "gfw_integrated_alerts"),
        (6, today - timedelta(days=30), *INSIDE, "highest", 100.0, "wur_radd_alerts"),  # too old
    )
    out = only(
        "deforestation_ha", deforestation=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    a = row(out, "a")
    assert a["details"]["core_value"] == pytest.approx(18.0)
    assert a["details"]["buffer_value"] == pytest.approx(5.0 + 0.045)
    assert a["value"] == pytest.approx(23.045)
    assert a["level"] == "high"
    assert a["inputs"] == 4
    assert a["details"]["evidence"]["deforestation_alert_ids"][:1] in ([1], [4])
    assert sorted(a["details"]["evidence"]["deforestation_alert_ids"]) == [1, 2, 3, 4]
    assert row(out, "b")["value"] == 0


def test_deforestation_dates_are_local_days() -> None:
    start_day = date(2026, 5, 17)  # the first local day of the 30-day window ending 2026-06-16
    frame = deforestation_frame(
        (1, start_day, *INSIDE, "highest", 1.0, "gfw_integrated_alerts"),
        (2, start_day - timedelta(days=1), *INSIDE, "highest", 1.0, "gfw_integrated_alerts"),
    )
    out = only(
        "deforestation_ha", deforestation=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert row(out, "a")["value"] == 1.0


def test_fire_hotspots_filter_confidence_and_add_fire_reports() -> None:
    frame = fire_hotspot_frame(
        (1, days_ago(1), *INSIDE, "VIIRS", "nominal", None),
        (2, days_ago(1), *INSIDE, "VIIRS", "low", None),
        (3, days_ago(2), *IN_RING, "MODIS", "nominal", 30),
        (4, days_ago(2), *IN_RING, "MODIS", "low", 29),
        (5, days_ago(8), *INSIDE, "VIIRS", "high", None),  # outside the 7-day window
        (6, days_ago(1), -74.01, -8.30, "VIIRS", "high", None),  # on the boundary: core
    )
    fires = reports(("f1", "a", "fire", 3, days_ago(1)), ("x", "a", "other", 3, days_ago(1)))
    out = only(
        "fire_hotspots",
        fire_hotspots=frame,
        reports=fires,
        communities=COMMUNITIES,
        rules=RULES,
        as_of=AS_OF,
    )
    a = row(out, "a")
    assert a["value"] == 4
    assert a["details"]["core_value"] == 3
    assert a["details"]["buffer_value"] == 1
    assert a["level"] == "warning"
    assert sorted(a["details"]["evidence"]["fire_hotspot_ids"]) == [1, 3, 6]
    assert a["details"]["evidence"]["report_ids"] == ["f1"]


def test_evidence_is_capped() -> None:
    frame = fire_hotspot_frame(
        *[(i, days_ago(1 + i / 1000), *INSIDE, "VIIRS", "high", None) for i in range(80)]
    )
    out = only(
        "fire_hotspots",
        fire_hotspots=frame,
        reports=NO_REPORTS,
        communities=COMMUNITIES,
        rules=RULES,
        as_of=AS_OF,
    )
    ids = row(out, "a")["details"]["evidence"]["fire_hotspot_ids"]
    assert row(out, "a")["value"] == 80
    assert ids == list(range(50))  # the 50 newest


def test_point_pairs_are_the_strtree_pairs_boundaries_holes_and_missing_shapes_included() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        geoms = []
        for _ in range(int(rng.integers(1, 30))):
            x, y, r = rng.uniform(-76, -73), rng.uniform(-11, -7), rng.uniform(0.001, 0.4)
            shape = shapely.Point(x, y).buffer(r, quad_segs=int(rng.integers(1, 8)))
            if rng.random() < 0.3:  # a ring
                shape = shape.difference(shapely.Point(x, y).buffer(r / 2))
            geoms.append(shape if rng.random() > 0.1 else rng.choice([None, shapely.Polygon()]))
        shapes = np.array(geoms, dtype=object)
        xs = rng.uniform(-76.5, -72.5, 2000).round(2)
        ys = rng.uniform(-11.5, -6.5, 2000).round(2)
        corners = np.array(
            [c for g in geoms if g is not None and not g.is_empty for c in g.exterior.coords[:5]]
        ).reshape(-1, 2)
        xs = np.concatenate([xs, corners[:, 0], [np.nan]])
        ys = np.concatenate([ys, corners[:, 1], [-9.0]])
        expected = shapely.STRtree(shapes).query(shapely.points(xs, ys), predicate="intersects")
        found = point_pairs(xs, ys, shapes)
        assert sorted(zip(*found, strict=True)) == sorted(zip(*expected, strict=True))
