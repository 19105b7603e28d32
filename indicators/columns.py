"""The column contracts of the frames the core reads and writes, declared once.

The shell reads the database into frames with these columns (``ews.jobs.frames``), the core
computes from them, and the tests build literal frames with them. Each input frame has a constructor
of the empty frame with the types the core expects (what a run with no rows passes).

Input frames (extra columns are ignored):

- reports: :data:`REPORT_COLUMNS` (``observed_at`` aware UTC; ``longitude``/``latitude`` optional);
- fire hotspots (FIRMS): :data:`FIRE_HOTSPOT_COLUMNS` (``acquired_at`` aware UTC);
- deforestation alerts (GFW): :data:`DEFORESTATION_COLUMNS` (``alert_date`` a local day);
- both satellite frames may carry :data:`VERDICT` (``verdict``): what the monitors found at the
  point on the ground (:data:`CONFIRMED`, :data:`FALSE_ALARM`, or None: not verified, or they could
  not reach it); a frame without the column is a frame of unverified points (the shell always
  adds it: :data:`FIRE_HOTSPOT_READ` and :data:`DEFORESTATION_READ`);
- patrols: :data:`PATROL_COLUMNS` (``ended_at`` aware UTC, the moment the patrol counts on;
  ``track`` a GeoJSON LineString or MultiLineString mapping, lon/lat);
- communities: :data:`COMMUNITY_COLUMNS` (GeoJSON mappings or shapely geometries; ``buffer`` and
  ``monitored_day``, days since 1970-01-01 in Lima's calendar, optional).

Frames the core makes: :data:`EVENT_COLUMNS` (what counts, :mod:`indicators.events`),
:data:`ROLLUP_COLUMNS` (per indicator, community and local day, :mod:`indicators.rollups`) and
:data:`VALUE_COLUMNS` (one indicator value per community and window, :mod:`indicators.catalog`).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

_REPORT_TYPES: Mapping[str, str] = {
    "id": "object",
    "community_code": "object",
    "threat_type": "object",
    "severity": "float64",
    "observed_at": "datetime64[ns, UTC]",
    "longitude": "float64",
    "latitude": "float64",
}
_FIRE_HOTSPOT_TYPES: Mapping[str, str] = {
    "id": "object",
    "acquired_at": "datetime64[ns, UTC]",
    "longitude": "float64",
    "latitude": "float64",
    "instrument": "object",
    "confidence": "object",
    "confidence_pct": "float64",
}
_DEFORESTATION_TYPES: Mapping[str, str] = {
    "id": "object",
    "alert_date": "datetime64[ns]",
    "longitude": "float64",
    "latitude": "float64",
    "confidence": "object",
    "area_ha": "float64",
    "dataset": "object",
}

# A field verdict on a satellite point (``verdict`` column): a confirmation counts the point at full
# weight whatever the satellite's confidence; a false alarm takes it out of every indicator.
VERDICT = "verdict"
CONFIRMED = "confirmed"
FALSE_ALARM = "false_alarm"
_PATROL_TYPES: Mapping[str, str] = {
    "id": "object",
    "community_code": "object",
    "ended_at": "datetime64[ns, UTC]",
    "length_km": "float64",
    "track": "object",
}

REPORT_COLUMNS = tuple(_REPORT_TYPES)
PATROL_COLUMNS = tuple(_PATROL_TYPES)
FIRE_HOTSPOT_COLUMNS = tuple(_FIRE_HOTSPOT_TYPES)
DEFORESTATION_COLUMNS = tuple(_DEFORESTATION_TYPES)
FIRE_HOTSPOT_READ = (*FIRE_HOTSPOT_COLUMNS, VERDICT)
DEFORESTATION_READ = (*DEFORESTATION_COLUMNS, VERDICT)
COMMUNITY_COLUMNS = ("code", "boundary", "buffer", "monitored_day")

_EVENT_TYPES: Mapping[str, str] = {
    "code": "object",
    "community_code": "object",
    "zone": "object",
    "day": "int64",
    "t_ns": "int64",
    "weight": "float64",
    "severe": "bool",
    "kind": "object",
    "id": "object",
}

EVENT_COLUMNS = list(_EVENT_TYPES)
ROLLUP_KEY = ["code", "community_code", "day"]
ROLLUP_COLUMNS = [*ROLLUP_KEY, "core_value", "buffer_value", "inputs", "severe"]
VALUE_COLUMNS = [
    "code",
    "community_code",
    "window_start",
    "window_end",
    "value",
    "level",
    "baseline",
    "inputs",
    "details",
]


def _empty(types: Mapping[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in types.items()})


def no_reports() -> pd.DataFrame:
    """An empty reports frame with the report columns' types."""
    return _empty(_REPORT_TYPES)


def no_fire_hotspots() -> pd.DataFrame:
    """An empty fire hotspots frame with the hotspot columns' types."""
    return _empty(_FIRE_HOTSPOT_TYPES)


def no_deforestation() -> pd.DataFrame:
    """An empty deforestation alerts frame with the alert columns' types."""
    return _empty(_DEFORESTATION_TYPES)


def no_patrols() -> pd.DataFrame:
    """An empty patrols frame with the patrol columns' types."""
    return _empty(_PATROL_TYPES)


def no_events() -> pd.DataFrame:
    """An empty events frame with the event columns' types."""
    return _empty(_EVENT_TYPES)
