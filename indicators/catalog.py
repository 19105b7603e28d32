"""The indicator catalog (DESIGN section 5): one pure function per indicator code, and the table
:data:`CATALOG` from code to function that every computation goes through.

Each function takes a :class:`~indicators.rollups.DailySpan` (the daily rollups of the rows that
count, the communities, the moments to compute, the evidence events, the rules, and the values
computed before it in the same run) and the indicator's :class:`~indicators.rules.Rule` (data, from
``indicator_rule``), and returns one row per community and moment with the columns of
:data:`indicators.columns.VALUE_COLUMNS`:

- ``value``: the indicator over its window (see :mod:`indicators.windows` for the convention);
- ``level``: ``none`` | ``warning`` | ``high`` | ``critical`` from the rule's thresholds and special
  rules (defender threats: critical at one report of severity >= ``critical_min_severity``; illicit
  crops: critical at any report of severity >= ``critical_severity``);
- ``baseline``: the median of the same window over the previous twelve months;
- ``inputs``: how many input rows entered the value;
- ``details``: ``core_value`` and ``buffer_value`` (the value split by zone), ``evidence`` (ids of the
  reports, fire hotspots and deforestation alerts behind the value, newest first, at most 50 of each)
  and, for the threat index, each part's ``contributions``.

Which input rows each indicator counts is in :mod:`indicators.events` (the input frames' columns in
:mod:`indicators.columns`). The way through: input rows -> :func:`indicators.events.indicator_events`
-> :func:`indicators.rollups.daily_rollups` -> :func:`indicators_from_rollups`; the runner keeps the
rollups between runs, and :func:`compute_all` goes the whole way at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

import pandas as pd

from indicators.effort import patrol_coverage_values, patrol_km_values
from indicators.events import SEVERE_PARAMS, indicator_events
from indicators.rollups import DailySpan, daily_rollups
from indicators.rules import Rule, Rules
from indicators.values import concat_values, silence_values, threat_index_of, window_values
from indicators.windows import local_day_end

ALGORITHM_VERSION = "1.2"  # 1.2: patrols end patrol silence; patrol effort


def defender_threats(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Reports of threats to defenders (and armed presence) in the window; critical at ``critical``
    reports or at one report of severity >= ``params.critical_min_severity``."""
    return window_values(span, rule, severe_param=SEVERE_PARAMS["defender_threats"])


def forest_crime_reports(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Reports of deforestation and illegal logging in the window."""
    return window_values(span, rule)


def illicit_crop_reports(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Reports of coca cultivation and drug trafficking; critical on any report of severity >=
    ``params.critical_severity``."""
    return window_values(span, rule, severe_param=SEVERE_PARAMS["illicit_crop_reports"])


def invasion_reports(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Reports of settler invasion and illegal mining in the window."""
    return window_values(span, rule)


def deforestation_ha(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Confidence-weighted hectares of satellite deforestation alerts in the window. An alert's date
    is a local day; a missing area takes the dataset's pixel area (``params.default_pixel_ha``)."""
    return window_values(span, rule)


def fire_hotspots(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """FIRMS fire hotspots that count (VIIRS confidence in ``params.viirs_confidence``, MODIS
    confidence >= ``params.modis_min_confidence``) plus ``fire`` reports, in the window."""
    return window_values(span, rule)


def patrol_silence_days(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Whole local days from the last day the community reported anything (any type) to the
    moment's local day (0: it reported that day). No report in the lookback: from the day its
    monitoring began if known, else ``params.max_days``. The baseline is the median silence at the
    twelve ``params.baseline_step_days`` steps before."""
    return silence_values(span, rule)


def patrol_km(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Kilometres of patrol tracks (geodesic) of the patrols ended in the window; beside it, in
    ``details.encounter_rates``, each of ``params.encounter_codes`` per 100 km patrolled over its
    own window (SMART's encounter rate). Informational: no thresholds by default."""
    return patrol_km_values(span, rule)


def patrol_coverage(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Share 0-100 of the territory and its approach zone covered in the window: cells of
    ``params.cell_m`` metres whose centre lies within ``params.reach_m`` of a track (the
    territory's and the ring's own shares in the details). Informational: no thresholds."""
    return patrol_coverage_values(span, rule)


def threat_index(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Composite 0-100 of the other indicators' values of the same day (``span.parts``, see
    :func:`indicators.values.threat_index_of`), with each part's contribution kept."""
    parts = concat_values(list(span.parts))
    return concat_values(
        [
            threat_index_of(
                parts[parts["window_end"] == local_day_end(moment)], span.codes, span.rules, moment
            )
            for moment in span.moments
        ]
    )


Indicator = Callable[[DailySpan, Rule], pd.DataFrame]
# Every indicator by code, in the order they are computed: the composite after its parts.
CATALOG: dict[str, Indicator] = {
    "defender_threats": defender_threats,
    "forest_crime_reports": forest_crime_reports,
    "illicit_crop_reports": illicit_crop_reports,
    "invasion_reports": invasion_reports,
    "deforestation_ha": deforestation_ha,
    "fire_hotspots": fire_hotspots,
    "patrol_silence_days": patrol_silence_days,
    "patrol_km": patrol_km,
    "patrol_coverage": patrol_coverage,
    "threat_index": threat_index,
}


def indicators_from_rollups(
    *,
    rollups: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
    as_of: datetime | Sequence[datetime],
    events: pd.DataFrame | None = None,
    patrols: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every indicator of ``rules`` for every community of ``communities`` on the local day of
    ``as_of`` (or of each moment of a sequence), from daily rollups; ``events`` (of at least the
    current windows) give the evidence ids, ``patrols`` (of the lookback) the patrol coverage.
    Each indicator is its :data:`CATALOG` function."""
    span = DailySpan.of(
        rollups=rollups,
        communities=communities,
        rules=rules,
        as_of=as_of,
        events=events,
        patrols=patrols,
    )
    frames: list[pd.DataFrame] = []
    for code, indicator in CATALOG.items():
        if code in rules:
            frames.append(indicator(replace(span, parts=tuple(frames)), rules[code]))
    return concat_values(frames)


def compute_all(
    *,
    reports: pd.DataFrame,
    fire_hotspots: pd.DataFrame,
    deforestation: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
    as_of: datetime | Sequence[datetime],
    patrols: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every indicator of ``rules`` for every community from the input rows, points placed once."""
    events = indicator_events(
        reports=reports,
        fire_hotspots=fire_hotspots,
        deforestation=deforestation,
        communities=communities,
        rules=rules,
        patrols=patrols,
    )
    return indicators_from_rollups(
        rollups=daily_rollups(events),
        communities=communities,
        rules=rules,
        as_of=as_of,
        events=events,
        patrols=patrols,
    )
