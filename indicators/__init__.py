"""The pure indicator core: no database, clock or network. Import from here."""

from indicators.catalog import (
    ALGORITHM_VERSION,
    COLUMNS,
    compute_all,
    defender_threats,
    deforestation_ha,
    fire_hotspots,
    forest_crime_reports,
    illicit_crop_reports,
    invasion_reports,
    lookback_days,
    patrol_silence_days,
    threat_index,
)
from indicators.days import LIMA
from indicators.levels import Level, max_level
from indicators.rules import Rule, rules_from_entries
from indicators.windows import local_day_end, window
from indicators.zones import locate_points, locate_reports

__all__ = [
    "ALGORITHM_VERSION",
    "COLUMNS",
    "LIMA",
    "Level",
    "Rule",
    "compute_all",
    "defender_threats",
    "deforestation_ha",
    "fire_hotspots",
    "forest_crime_reports",
    "illicit_crop_reports",
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
