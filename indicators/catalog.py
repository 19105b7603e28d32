"""The indicator catalog (DESIGN section 5): one pure function per indicator code.

Every function takes DataFrames, the rules (data, from ``indicator_rule``) and an explicit ``as_of``,
and returns one row per community with the columns of :data:`COLUMNS`:

- ``value``: the indicator over its window (see :mod:`indicators.windows` for the convention);
- ``level``: ``none`` | ``warning`` | ``high`` | ``critical`` from the rule's thresholds and special
  rules (defender threats: critical at one report of severity >= ``critical_min_severity``; illicit
  crops: critical at any report of severity >= ``critical_severity``);
- ``baseline``: the median of the same window over the previous twelve months;
- ``inputs``: how many input rows entered the value;
- ``details``: ``core_value`` and ``buffer_value`` (the value split by zone), ``evidence`` (ids of the
  reports, fire hotspots and deforestation alerts behind the value, newest first, at most 50 of each)
  and, for the threat index, each part's ``contributions``.

Input frames (extra columns are ignored):

- ``reports``: ``id, community_code, threat_type, severity, observed_at`` (aware UTC), optional
  ``longitude, latitude``;
- ``hotspots``: ``id, acquired_at, longitude, latitude, instrument, confidence, confidence_pct``;
- ``deforestation``: ``id, alert_date, longitude, latitude, confidence, area_ha, dataset``;
- ``communities``: ``code, boundary, buffer`` (GeoJSON mappings or shapely geometries).

Frames that already carry ``community_code`` and ``zone`` (from :mod:`indicators.zones`) are used as
they are. Internally: input rows -> :func:`indicators.events.indicator_events` -> daily rollups ->
windows (:mod:`indicators.rollups`); the runner keeps the rollups between runs.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from indicators.events import indicator_events
from indicators.rollups import COLUMNS, daily_rollups, indicators_from_rollups, threat_index_of
from indicators.rules import Rules
from indicators.windows import BASELINE_DAYS, baseline_windows

ALGORITHM_VERSION = "1.1"
_NONE = pd.DataFrame(
    {
        "id": pd.Series(dtype=object),
        "community_code": pd.Series(dtype=object),
        "threat_type": pd.Series(dtype=object),
        "severity": pd.Series(dtype=float),
        "observed_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "longitude": pd.Series(dtype=float),
        "latitude": pd.Series(dtype=float),
    }
)
_NO_POINTS = pd.DataFrame(
    {
        "id": pd.Series(dtype=object),
        "acquired_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "alert_date": pd.Series(dtype="datetime64[ns]"),
        "longitude": pd.Series(dtype=float),
        "latitude": pd.Series(dtype=float),
        "instrument": pd.Series(dtype=object),
        "confidence": pd.Series(dtype=object),
        "confidence_pct": pd.Series(dtype=float),
        "area_ha": pd.Series(dtype=float),
        "dataset": pd.Series(dtype=object),
    }
)


def _only(
    code: str,
    rules: Rules,
    communities: pd.DataFrame,
    as_of: datetime,
    reports: pd.DataFrame | None = None,
    hotspots: pd.DataFrame | None = None,
    deforestation: pd.DataFrame | None = None,
) -> pd.DataFrame:
    mine = {code: rules[code]}
    events = indicator_events(
        reports=_NONE if reports is None else reports,
        hotspots=_NO_POINTS if hotspots is None else hotspots,
        deforestation=_NO_POINTS if deforestation is None else deforestation,
        communities=communities,
        rules=mine,
    )
    return indicators_from_rollups(
        rollups=daily_rollups(events),
        communities=communities,
        rules=mine,
        as_of=as_of,
        events=events,
    )


def defender_threats(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of threats to defenders (and armed presence) in the window; critical at ``critical``
    reports or at one report of severity >= ``params.critical_min_severity``."""
    return _only("defender_threats", rules, communities, as_of, reports=reports)


def forest_crime_reports(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of deforestation and illegal logging in the window."""
    return _only("forest_crime_reports", rules, communities, as_of, reports=reports)


def illicit_crop_reports(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of coca cultivation and drug trafficking; critical on any report of severity >=
    ``params.critical_severity``."""
    return _only("illicit_crop_reports", rules, communities, as_of, reports=reports)


def invasion_reports(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of settler invasion and illegal mining in the window."""
    return _only("invasion_reports", rules, communities, as_of, reports=reports)


def deforestation_ha(
    *, deforestation: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Confidence-weighted hectares of satellite deforestation alerts in the window. An alert's date
    is a local day; a missing area takes the dataset's pixel area (``params.default_pixel_ha``)."""
    return _only("deforestation_ha", rules, communities, as_of, deforestation=deforestation)


def fire_hotspots(
    *,
    hotspots: pd.DataFrame,
    reports: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
    as_of: datetime,
) -> pd.DataFrame:
    """FIRMS hotspots that count (VIIRS confidence in ``params.viirs_confidence``, MODIS confidence
    >= ``params.modis_min_confidence``) plus ``fire`` reports, in the window."""
    return _only("fire_hotspots", rules, communities, as_of, reports=reports, hotspots=hotspots)


def patrol_silence_days(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Whole local days from the last day the community reported anything (any type) to ``as_of``'s
    local day (0: it reported that day). No report in the lookback: ``params.max_days``. The
    baseline is the median silence at the twelve ``params.baseline_step_days`` steps before."""
    return _only("patrol_silence_days", rules, communities, as_of, reports=reports)


def threat_index(
    *, parts: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Composite 0-100 of the other indicators' rows in ``parts`` (see
    :func:`indicators.rollups.threat_index_of`), with each part's contribution kept."""
    codes = pd.Index(communities["code"].to_numpy(dtype=object), name="community_code")
    return threat_index_of(parts, codes, rules, as_of)


def compute_all(
    *,
    reports: pd.DataFrame,
    hotspots: pd.DataFrame,
    deforestation: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
    as_of: datetime,
) -> pd.DataFrame:
    """Every indicator of the catalog for every community, points placed once."""
    events = indicator_events(
        reports=reports,
        hotspots=hotspots,
        deforestation=deforestation,
        communities=communities,
        rules=rules,
    )
    return indicators_from_rollups(
        rollups=daily_rollups(events),
        communities=communities,
        rules=rules,
        as_of=as_of,
        events=events,
    )


def lookback_days(rules: Rules) -> int:
    """How many days before a day's end a run must read for every value and baseline."""
    spans = [
        (r.window_days or 1) * (1 + baseline_windows(r.window_days or 1, BASELINE_DAYS))
        for r in rules.values()
    ]
    return max([*spans, BASELINE_DAYS + 1])


__all__ = ["ALGORITHM_VERSION", "COLUMNS"]
