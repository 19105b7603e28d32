"""Patrol silence and the threat index on small literal frames: whole days since the last report
of any type or since monitoring began, and the composite index keeping each contribution."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from indicators import DailySpan, compute_all, threat_index, window
from indicators.rollups import daily_rollups
from tests.support.indicator_frames import (
    AS_OF,
    COMMUNITIES,
    RULES,
    days_ago,
    deforestation_frame,
    fire_hotspot_frame,
    only,
    reports,
    row,
)

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
