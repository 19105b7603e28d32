"""The pure indicator core: no database, clock or network, and nothing imported from ``ews``.

The vocabulary the whole service shares lives here: :class:`Level` and its order
(:mod:`indicators.levels`), Lima's time zone and local days (:mod:`indicators.days`), the column
contracts of the frames (:mod:`indicators.columns`). The indicators themselves are the functions of
:mod:`indicators.catalog`, one per indicator code. Import from here.
"""

from indicators.catalog import (
    ALGORITHM_VERSION,
    CATALOG,
    compute_all,
    defender_threats,
    deforestation_ha,
    fire_hotspots,
    forest_crime_reports,
    illicit_crop_reports,
    indicators_from_rollups,
    invasion_reports,
    patrol_silence_days,
    threat_index,
)
from indicators.columns import VALUE_COLUMNS
from indicators.days import LIMA, day_number
from indicators.levels import Level, max_level
from indicators.rollups import DailySpan
from indicators.rules import Rule, rules_from_entries
from indicators.windows import local_day_end, lookback_days, window
from indicators.zones import locate_points, locate_reports

__all__ = [
    "ALGORITHM_VERSION",
    "CATALOG",
    "LIMA",
    "VALUE_COLUMNS",
    "DailySpan",
    "Level",
    "Rule",
    "compute_all",
    "day_number",
    "defender_threats",
    "deforestation_ha",
    "fire_hotspots",
    "forest_crime_reports",
    "illicit_crop_reports",
    "indicators_from_rollups",
    "invasion_reports",
    "local_day_end",
    "locate_points",
    "locate_reports",
    "lookback_days",
    "max_level",
    "patrol_silence_days",
    "rules_from_entries",
    "threat_index",
    "window",
]
