"""The pure indicator functions on small literal frames, with the edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators import (
    CATALOG,
    VALUE_COLUMNS,
    DailySpan,
    Rule,
    compute_all,
    day_number,
    defender_threats,
    fire_hotspots,
    forest_crime_reports,
    indicators_from_rollups,
    locate_points,
    patrol_silence_days,
    rules_from_entries,
    threat_index,
    window,
)
from indicators.columns import (
    DEFORESTATION_COLUMNS,
    EVENT_COLUMNS,
    FIRE_HOTSPOT_COLUMNS,
    REPORT_COLUMNS,
    ROLLUP_COLUMNS,
    no_deforestation,
    no_fire_hotspots,
    no_reports,
)
from indicators.events import COUNTED_BY, Located
from indicators.geometry import buffer_ring
from indicators.rollups import daily_rollups
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


# --- silence and the composite ----------------------------------------------------------------


def test_patrol_silence_counts_whole_days_since_the_last_report_of_any_type() -> None:
    frame = reports(
        ("q1", "a", "all_quiet", 1, days_ago(15.5)),
        ("q2", "a", "all_quiet", 1, days_ago(40)),
        # 2026-06-16 00:30 in Lima: the next local day, not yet.
        ("next-day", "a", "all_quiet", 1, datetime(2026, 6, 16, 5, 30, tzinfo=UTC)),
    )
    out = only(
        "patrol_silence_days", reports=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    a = row(out, "a")
    # Last report on 2026-05-30 at 22:00 in Lima (03:00 UTC the 31st): 16 local days before the 15th.
    assert a["value"] == 16
    assert a["level"] == "warning"
    assert a["details"]["evidence"]["report_ids"] == ["q1"]
    assert row(out, "b")["value"] == 365
    assert row(out, "b")["details"]["evidence"]["report_ids"] == []
    # A report later the same local day ends the silence for that day's row.
    same_day = reports(
        ("late-evening", "a", "all_quiet", 1, datetime(2026, 6, 16, 4, 0, tzinfo=UTC))
    )
    out = only(
        "patrol_silence_days", reports=same_day, communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert row(out, "a")["value"] == 0


def test_patrol_silence_counts_from_the_day_monitoring_began_when_no_report_came_since() -> None:
    """A community enrolled 3 days ago with no report is silent 3 days, not the whole lookback; one
    enrolled before its last report counts from that report; days before enrolment are no
    silence at all (the baseline of a community enrolled today is 0)."""
    enrolled = COMMUNITIES.assign(
        # a: enrolled long ago (its report counts); b: enrolled on 2026-06-12, three days back.
        monitored_day=[
            float((date(2025, 1, 1) - date(1970, 1, 1)).days),
            float((date(2026, 6, 12) - date(1970, 1, 1)).days),
        ]
    )
    frame = reports(("q1", "a", "all_quiet", 1, days_ago(15.5)))
    out = only("patrol_silence_days", reports=frame, communities=enrolled, rules=RULES, as_of=AS_OF)
    assert row(out, "a")["value"] == 16
    b = row(out, "b")
    assert b["value"] == 3
    assert b["level"] == "none"
    assert b["baseline"] == 0
    unknown = enrolled.assign(monitored_day=[np.nan, np.nan])
    out = only("patrol_silence_days", reports=frame, communities=unknown, rules=RULES, as_of=AS_OF)
    assert row(out, "b")["value"] == 365  # no start known: the whole lookback, as before


def test_threat_index_keeps_each_contribution() -> None:
    frame = reports(
        ("d1", "a", "threat_to_defender", 4, days_ago(1)),
        ("i1", "a", "settler_invasion", 2, days_ago(1)),
        ("q", "a", "all_quiet", 1, days_ago(1)),
    )
    out = compute_all(
        reports=frame,
        fire_hotspots=fire_hotspot_frame(),
        deforestation=deforestation_frame(),
        communities=COMMUNITIES,
        rules=RULES,
        as_of=AS_OF,
    )
    index = out[out["code"] == "threat_index"]
    a = row(index, "a")
    parts = a["details"]["contributions"]
    assert parts["defender_threats"]["normalized"] == 1.0  # critical counts in full
    assert parts["invasion_reports"]["normalized"] == pytest.approx(1 / 6, abs=1e-6)
    weights = RULES["threat_index"].params["weights"]
    # defender critical (1), one invasion report of 6, one day of silence of 30.
    expected = 100 * (0.25 * 1 + 0.15 / 6 + 0.10 / 30) / sum(weights.values())
    assert a["value"] == pytest.approx(expected, abs=1e-5)
    assert sum(p["points"] for p in parts.values()) == pytest.approx(a["value"], abs=1e-4)
    assert a["level"] == "warning"
    # Community b: silent for the whole year, nothing else.
    b = row(index, "b")
    assert b["details"]["contributions"]["patrol_silence_days"]["normalized"] == 1.0
    assert b["value"] == pytest.approx(100 * 0.10 / sum(weights.values()), abs=1e-5)


def test_threat_index_of_parts_alone() -> None:
    parts = pd.DataFrame(
        {
            "code": ["fire_hotspots"],
            "community_code": ["a"],
            "value": [50.0],
            "level": ["critical"],
            "baseline": [5.0],
        }
    )
    span = DailySpan.of(
        rollups=daily_rollups(pd.DataFrame()), communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    of_the_day = parts.assign(window_end=window(AS_OF, 1)[1])
    out = threat_index(replace(span, parts=(of_the_day,)), RULES["threat_index"])
    total = sum(RULES["threat_index"].params["weights"].values())
    assert row(out, "a")["value"] == pytest.approx(100 * 0.10 / total, abs=1e-5)
    assert row(out, "a")["baseline"] == pytest.approx(100 * 0.10 * 0.2 / total, abs=1e-5)
    assert row(out, "b")["value"] == 0


# --- the catalog: one function per indicator, over literal daily rollups -----------------------

TODAY = day_number(AS_OF)


def rollups(*rows: tuple) -> pd.DataFrame:
    """Rows of (code, community, day, core_value, buffer_value, inputs, severe)."""
    return pd.DataFrame(list(rows), columns=ROLLUP_COLUMNS)


def span_of(frame: pd.DataFrame, events: pd.DataFrame | None = None) -> DailySpan:
    return DailySpan.of(
        rollups=frame, communities=COMMUNITIES, rules=RULES, as_of=AS_OF, events=events
    )


def test_the_catalog_has_one_function_per_indicator_named_after_its_code() -> None:
    assert set(CATALOG) == set(RULES)
    assert all(function.__name__ == code for code, function in CATALOG.items())
    assert list(CATALOG)[-1] == "threat_index"  # the composite after its parts


def test_production_computes_each_indicator_through_its_catalog_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    called: list[str] = []
    for code, function in list(CATALOG.items()):

        def spy(span: DailySpan, rule: Rule, _function=function) -> pd.DataFrame:
            called.append(rule.code)
            return _function(span, rule)

        monkeypatch.setitem(CATALOG, code, spy)
    out = indicators_from_rollups(
        rollups=rollups(), communities=COMMUNITIES, rules=RULES, as_of=AS_OF
    )
    assert called == list(CATALOG)
    assert set(out["code"]) == set(RULES)


def test_defender_threats_from_rollups_one_severe_report_is_critical() -> None:
    frame = rollups(
        ("defender_threats", "a", TODAY - 3, 1.0, 0.0, 1, 1),
        ("defender_threats", "a", TODAY - 31, 1.0, 0.0, 1, 0),  # before the window
        ("invasion_reports", "b", TODAY, 5.0, 0.0, 5, 0),  # another indicator's
    )
    out = defender_threats(span_of(frame), RULES["defender_threats"])
    assert list(out.columns) == VALUE_COLUMNS
    a, b = row(out, "a"), row(out, "b")
    assert (a["value"], a["level"], a["inputs"]) == (1.0, "critical", 1)
    assert a["details"]["severe_reports"] == 1
    assert (b["value"], b["level"]) == (0.0, "none")


def test_a_window_sums_core_and_buffer_and_takes_the_median_of_past_windows() -> None:
    frame = rollups(
        ("forest_crime_reports", "a", TODAY, 2.0, 1.0, 3, 0),
        ("forest_crime_reports", "a", TODAY - 29, 1.0, 0.0, 1, 0),
        *[("forest_crime_reports", "a", TODAY - 30 * k - 1, 2.0, 0.0, 2, 0) for k in range(1, 8)],
    )
    a = row(forest_crime_reports(span_of(frame), RULES["forest_crime_reports"]), "a")
    assert (a["value"], a["level"], a["inputs"]) == (4.0, "high", 4)
    assert (a["details"]["core_value"], a["details"]["buffer_value"]) == (3.0, 1.0)
    assert a["baseline"] == 2.0  # 7 of the 12 previous windows had 2
    assert "severe_reports" not in a["details"]


def test_patrol_silence_from_rollups_counts_days_since_the_last_report() -> None:
    frame = rollups(("patrol_silence_days", "a", TODAY - 20, 1.0, 0.0, 1, 0))
    out = patrol_silence_days(span_of(frame), RULES["patrol_silence_days"])
    assert (row(out, "a")["value"], row(out, "a")["level"]) == (20.0, "warning")
    assert row(out, "b")["value"] == 365.0


def test_fire_hotspots_count_from_literal_located_rows() -> None:
    located = Located(
        reports=reports(("f1", "a", "fire", 3, days_ago(1))).assign(zone="core"),
        fire_hotspots=fire_hotspot_frame(
            (1, days_ago(1), *INSIDE, "VIIRS", "high", None),
            (2, days_ago(1), *INSIDE, "VIIRS", "low", None),  # does not count
            (3, days_ago(1), *INSIDE, "MODIS", None, 80.0),
        ).assign(community_code="a", zone="core"),
        deforestation=no_deforestation(),
    )
    events = COUNTED_BY["fire_hotspots"](located, RULES["fire_hotspots"])
    assert list(events.columns) == EVENT_COLUMNS
    assert sorted(events["id"].astype(str)) == ["1", "3", "f1"]
    assert set(events["day"]) == {TODAY - 1}
    out = fire_hotspots(span_of(daily_rollups(events), events), RULES["fire_hotspots"])
    assert row(out, "a")["value"] == 3
    assert sorted(row(out, "a")["details"]["evidence"]["fire_hotspot_ids"]) == [1, 3]


def test_changed_communities_finds_what_a_rebuild_changed() -> None:
    from indicators.planning import changed_communities

    stored = pd.DataFrame(
        {
            "code": ["fire_hotspots", "fire_hotspots", "invasion_reports"],
            "community_code": ["a", "b", "a"],
            "day": [100, 100, 101],
            "core_value": [1.0, 2.0, 1.0],
            "buffer_value": [0.0, 0.0, 0.0],
            "inputs": [1, 2, 1],
            "severe": [0, 0, 0],
        }
    )
    rebuilt = stored.copy()
    rebuilt.loc[1, "core_value"] = 2.0 + 1e-12  # the same rows summed in another order
    assert changed_communities(stored, rebuilt) == []
    assert changed_communities(stored, rebuilt.drop(index=2)) == ["a"]  # a row taken back
    rebuilt.loc[1, "inputs"] = 3
    assert changed_communities(stored, rebuilt) == ["b"]
    # Nothing stored for the day yet (an empty read carries no column types).
    empty = pd.DataFrame({c: [] for c in stored.columns})
    assert changed_communities(empty, stored) == ["a", "b"]
    assert changed_communities(stored.iloc[:0], empty) == []


def test_a_change_recomputes_the_stored_days_from_its_own_to_today() -> None:
    from indicators.planning import value_days

    today = 20_000
    assert value_days([], today=today, stored=None, rules=RULES) == [today]  # no history yet
    # Nothing pending: today (and a later stored day, after a run for an earlier as_of).
    assert value_days([], today=today, stored=(today - 5, today), rules=RULES) == [today]
    assert value_days([], today=today, stored=(today - 5, today + 1), rules=RULES) == [
        today,
        today + 1,
    ]
    # A late row: its day to today, but never before the first stored day ...
    assert value_days([today - 3], today=today, stored=(today - 5, today), rules=RULES) == list(
        range(today - 3, today + 1)
    )
    assert value_days([today - 9], today=today, stored=(today - 5, today), rules=RULES) == list(
        range(today - 5, today + 1)
    )
    # ... nor more than the longest window (90 days) back; a row of tomorrow moves only today.
    assert value_days([today - 400], today=today, stored=(today - 500, today), rules=RULES)[0] == (
        today - 90
    )
    assert value_days([today + 1], today=today, stored=(today - 5, today), rules=RULES) == [today]


def test_pending_days_become_runs_of_days_and_old_ones_are_dropped() -> None:
    from indicators import lookback_days
    from indicators.planning import day_spans, first_day_read, rollup_days

    assert day_spans([8, 1, 2, 3, 7, 2]) == [(1, 3), (7, 8)]
    assert day_spans([]) == []
    today = 20_000
    first = first_day_read(today, RULES)
    assert first == today - lookback_days(RULES) + 1
    assert rollup_days([first - 1, first, today, today + 1], first_kept=first) == [
        first,
        today,
        today + 1,
    ]


def test_a_days_values_are_computed_at_as_of_for_today_and_at_the_end_of_other_days() -> None:
    from indicators.days import day_as_of, day_number, day_start
    from indicators.planning import moments

    as_of = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    today = day_number(as_of)
    assert moments([today - 1, today], as_of) == [day_as_of(today - 1), as_of]
    assert day_as_of(today - 1) == day_start(today) - timedelta(microseconds=1)
    assert day_start(today) == datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # midnight in Lima
