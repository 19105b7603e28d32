"""The indicator catalog on literal daily rollups: one function per indicator named after its code,
production computing through it, windows and baselines over rollups, and which days a change or the
pending work makes the jobs recompute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from indicators import (
    CATALOG,
    VALUE_COLUMNS,
    DailySpan,
    Rule,
    day_number,
    defender_threats,
    fire_hotspots,
    forest_crime_reports,
    indicators_from_rollups,
    patrol_silence_days,
)
from indicators.columns import EVENT_COLUMNS, ROLLUP_COLUMNS, no_deforestation
from indicators.events import COUNTED_BY, Located
from indicators.rollups import daily_rollups
from tests.support.indicator_frames import (
    AS_OF,
    COMMUNITIES,
    INSIDE,
    RULES,
    days_ago,
    fire_hotspot_frame,
    reports,
    row,
)

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
    # A run for a day long before every stored one: that day and the stored days, not the years
    # in between (an `as_of` of 2000-01-01 on a deployment with values since 2026).
    assert value_days([], today=today, stored=(today + 9_000, today + 9_002), rules=RULES) == [
        today,
        today + 9_000,
        today + 9_001,
        today + 9_002,
    ]


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
