"""What each indicator counts, as one table of events: one row per (indicator, input row, community)
with its zone, local day, time, weight and whether it is severe. The daily rollups and the evidence
are both read from it, so the rules about which row counts for which indicator live here only: one
counting function per indicator code in :data:`COUNTED_BY` (the threat index counts no rows: it is
made of the other indicators' values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd

from indicators.columns import CONFIRMED, EVENT_COLUMNS, FALSE_ALARM, VERDICT, no_events, no_patrols
from indicators.days import DAY_NS, LIMA_OFFSET_NS, local_day_number, utc_ns
from indicators.rules import Rule, Rules
from indicators.zones import CORE, locate_points, locate_reports

PATROL_SILENCE = "patrol_silence_days"
PATROL_KM = "patrol_km"
# The report indicators whose one report can be critical, and the parameter saying how severe.
SEVERE_PARAMS = {
    "defender_threats": "critical_min_severity",
    "illicit_crop_reports": "critical_severity",
}


@dataclass(frozen=True)
class Located:
    """The input frames, each row with its ``community_code`` and ``zone`` (a patrol is its
    community's effort: always ``core``)."""

    reports: pd.DataFrame
    fire_hotspots: pd.DataFrame
    deforestation: pd.DataFrame
    patrols: pd.DataFrame = field(default_factory=no_patrols)

    @cached_property
    def patrol_ns(self) -> np.ndarray:
        if not len(self.patrols):
            return np.array([], np.int64)
        return utc_ns(self.patrols["ended_at"])

    @cached_property
    def report_ns(self) -> np.ndarray:
        if not len(self.reports):
            return np.array([], np.int64)
        return utc_ns(self.reports["observed_at"])

    @cached_property
    def report_day(self) -> np.ndarray:
        return local_day_number(self.report_ns)

    @cached_property
    def threat_type(self) -> np.ndarray:
        if not len(self.reports):
            return np.array([], dtype=object)
        return self.reports["threat_type"].to_numpy(dtype=object)


def _events(
    code: str,
    frame: pd.DataFrame,
    t_ns: np.ndarray,
    day: np.ndarray,
    weight: np.ndarray | float,
    severe: np.ndarray | bool,
    kind: str,
) -> pd.DataFrame:
    n = len(frame)
    return pd.DataFrame(
        {
            "code": code,
            "community_code": frame["community_code"].to_numpy(dtype=object),
            "zone": frame["zone"].to_numpy(dtype=object),
            "day": np.asarray(day, dtype=np.int64),
            "t_ns": np.asarray(t_ns, dtype=np.int64),
            "weight": np.broadcast_to(np.asarray(weight, dtype=float), (n,)),
            "severe": np.broadcast_to(np.asarray(severe, dtype=bool), (n,)),
            "kind": kind,
            "id": frame["id"].to_numpy(dtype=object),
        },
        columns=EVENT_COLUMNS,
    )


def _reports_of(
    located: Located, chosen: np.ndarray, code: str, severe: np.ndarray | bool
) -> pd.DataFrame:
    return _events(
        code,
        located.reports[chosen],
        located.report_ns[chosen],
        located.report_day[chosen],
        1.0,
        severe,
        "report",
    )


def count_threat_reports(
    located: Located, rule: Rule, severe_param: str | None = None
) -> pd.DataFrame:
    """Reports of the rule's ``threat_types``; severe at ``params[severe_param]`` or more."""
    chosen = np.isin(located.threat_type, list(rule.params["threat_types"]))
    min_severity = rule.params.get(severe_param) if severe_param else None
    severe: np.ndarray | bool = False
    if min_severity is not None and len(located.reports):
        severity = located.reports["severity"].to_numpy(dtype=float)
        severe = severity[chosen] >= float(min_severity)
    return _reports_of(located, chosen, rule.code, severe)


def _patrols_of(located: Located, code: str, weight: np.ndarray | float) -> pd.DataFrame:
    patrols = located.patrols.assign(zone=CORE)
    t_ns = located.patrol_ns
    return _events(code, patrols, t_ns, local_day_number(t_ns), weight, False, "patrol")


def count_every_report(located: Located, rule: Rule) -> pd.DataFrame:
    """Every report, whatever its type, and every patrol (one that found nothing too), on the
    local day it ended: a community that reports or patrols is not silent."""
    reports = _reports_of(located, np.ones(len(located.reports), dtype=bool), rule.code, False)
    if not len(located.patrols):
        return reports
    return pd.concat([reports, _patrols_of(located, rule.code, 1.0)], ignore_index=True)


def count_patrol_km(located: Located, rule: Rule) -> pd.DataFrame:
    """Every patrol, weighted by its track's length in km, on the local day it ended."""
    if not len(located.patrols):
        return no_events()
    return _patrols_of(located, rule.code, located.patrols["length_km"].to_numpy(dtype=float))


def verdicts(points: pd.DataFrame) -> np.ndarray:
    """The field verdict of each satellite point (``None`` where there is none or no column)."""
    if VERDICT not in points:
        return np.full(len(points), None, dtype=object)
    return points[VERDICT].astype(object).to_numpy(dtype=object)


def _upper(values: pd.Series) -> np.ndarray:
    """``values`` as upper-case strings (a missing value names no instrument); a category column's
    categories are converted once each, not once per row."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = [str(name).upper() for name in values.cat.categories]
        return np.asarray([*names, ""], dtype=object)[values.cat.codes.to_numpy()]
    return values.astype(str).str.upper().to_numpy()


def count_fires(located: Located, rule: Rule) -> pd.DataFrame:
    """Fire hotspots that count (VIIRS confidence in ``params.viirs_confidence``, MODIS confidence
    >= ``params.modis_min_confidence``, or confirmed on the ground whatever their confidence; never
    a false alarm) and reports of the rule's ``threat_types``."""
    fire_hotspots = located.fire_hotspots
    parts = []
    if len(fire_hotspots):
        instrument = _upper(fire_hotspots["instrument"])
        confidence = fire_hotspots["confidence"].to_numpy(dtype=object)
        pct = fire_hotspots["confidence_pct"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            counted = (
                (instrument == "VIIRS") & np.isin(confidence, list(rule.params["viirs_confidence"]))
            ) | ((instrument == "MODIS") & (pct >= float(rule.params["modis_min_confidence"])))
        verdict = verdicts(fire_hotspots)
        counted = (counted | (verdict == CONFIRMED)) & (verdict != FALSE_ALARM)
        chosen = fire_hotspots[counted]
        t_ns = utc_ns(chosen["acquired_at"])
        parts.append(
            _events(rule.code, chosen, t_ns, local_day_number(t_ns), 1.0, False, "fire_hotspot")
        )
    fire = np.isin(located.threat_type, list(rule.params["threat_types"]))
    parts.append(_reports_of(located, fire, rule.code, False))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def count_deforestation(located: Located, rule: Rule) -> pd.DataFrame:
    """Deforestation alerts weighted by ``params.confidence_weights`` times their area (a missing
    area takes the dataset's ``params.default_pixel_ha``), on their date's local day. An alert
    confirmed on the ground weighs 1 whatever its confidence; a false alarm is left out."""
    deforestation = located.deforestation
    verdict = verdicts(deforestation)
    if (verdict == FALSE_ALARM).any():
        deforestation = deforestation[verdict != FALSE_ALARM]
        verdict = verdict[verdict != FALSE_ALARM]
    if not len(deforestation):
        return no_events()
    weights = {str(k): float(v) for k, v in rule.params["confidence_weights"].items()}
    pixel = {str(k): float(v) for k, v in rule.params.get("default_pixel_ha", {}).items()}
    area = deforestation["area_ha"].astype(float)
    if area.isna().any():
        dataset = deforestation["dataset"].astype(object)
        area = area.fillna(dataset.map(pixel).astype(float)).fillna(0.0)
    alert_confidence = deforestation["confidence"].astype(object)
    confidence_weight = alert_confidence.map(weights).astype(float).fillna(0.0).to_numpy()
    weight = np.where(verdict == CONFIRMED, 1.0, confidence_weight) * area.to_numpy(dtype=float)
    # An alert's date is a local day; its time is that day's midnight in Lima.
    day = (
        pd.to_datetime(deforestation["alert_date"]).to_numpy(dtype="datetime64[D]").astype(np.int64)
    )
    t_ns = day * DAY_NS - LIMA_OFFSET_NS
    return _events(rule.code, deforestation, t_ns, day, weight, False, "deforestation_alert")


Counter = Callable[[Located, Rule], pd.DataFrame]
# Which rows each indicator counts, by code (in the order their events are listed).
COUNTED_BY: dict[str, Counter] = {
    "defender_threats": partial(
        count_threat_reports, severe_param=SEVERE_PARAMS["defender_threats"]
    ),
    "forest_crime_reports": count_threat_reports,
    "illicit_crop_reports": partial(
        count_threat_reports, severe_param=SEVERE_PARAMS["illicit_crop_reports"]
    ),
    "invasion_reports": count_threat_reports,
    PATROL_SILENCE: count_every_report,
    "fire_hotspots": count_fires,
    "deforestation_ha": count_deforestation,
    PATROL_KM: count_patrol_km,
}


def locate(
    reports: pd.DataFrame,
    fire_hotspots: pd.DataFrame,
    deforestation: pd.DataFrame,
    *,
    communities: pd.DataFrame,
    patrols: pd.DataFrame | None = None,
) -> Located:
    """The frames with ``community_code`` and ``zone`` (frames that have them pass as they are)."""
    return Located(
        patrols=patrols if patrols is not None else no_patrols(),
        reports=reports if "zone" in reports else locate_reports(reports, communities),
        fire_hotspots=(
            fire_hotspots if "zone" in fire_hotspots else locate_points(fire_hotspots, communities)
        ),
        deforestation=(
            deforestation if "zone" in deforestation else locate_points(deforestation, communities)
        ),
    )


def indicator_events(
    *,
    reports: pd.DataFrame,
    fire_hotspots: pd.DataFrame,
    deforestation: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
    patrols: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every input row that counts for an indicator of ``rules``, placed and weighted."""
    located = locate(
        reports, fire_hotspots, deforestation, communities=communities, patrols=patrols
    )
    parts = [count(located, rules[code]) for code, count in COUNTED_BY.items() if code in rules]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else no_events()
