"""What each indicator counts, as one table of events: one row per (indicator, input row, community)
with its zone, local day, time, weight and whether it is severe. The daily rollups and the evidence
are both read from it, so the rules about which row counts for which indicator live here only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from indicators.days import DAY_NS, LIMA_OFFSET_NS, local_day_number, utc_ns
from indicators.rules import Rules
from indicators.zones import locate_points, locate_reports

EVENT_COLUMNS = ["code", "community_code", "zone", "day", "t_ns", "weight", "severe", "kind", "id"]
SILENCE = "patrol_silence_days"
# Indicators counting reports of some threat types, and the parameter that makes one report critical.
REPORT_CODES = {
    "defender_threats": "critical_min_severity",
    "forest_crime_reports": None,
    "illicit_crop_reports": "critical_severity",
    "invasion_reports": None,
}


def empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": pd.Series(dtype=object),
            "community_code": pd.Series(dtype=object),
            "zone": pd.Series(dtype=object),
            "day": pd.Series(dtype=np.int64),
            "t_ns": pd.Series(dtype=np.int64),
            "weight": pd.Series(dtype=float),
            "severe": pd.Series(dtype=bool),
            "kind": pd.Series(dtype=object),
            "id": pd.Series(dtype=object),
        }
    )


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


def located(
    *,
    reports: pd.DataFrame,
    hotspots: pd.DataFrame,
    deforestation: pd.DataFrame,
    communities: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three frames with ``community_code`` and ``zone`` (frames that have them pass as they are)."""
    return (
        reports if "zone" in reports else locate_reports(reports, communities),
        hotspots if "zone" in hotspots else locate_points(hotspots, communities),
        deforestation if "zone" in deforestation else locate_points(deforestation, communities),
    )


def indicator_events(
    *,
    reports: pd.DataFrame,
    hotspots: pd.DataFrame,
    deforestation: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
) -> pd.DataFrame:
    """Every input row that counts for an indicator of ``rules``, placed and weighted."""
    reports, hotspots, deforestation = located(
        reports=reports, hotspots=hotspots, deforestation=deforestation, communities=communities
    )
    parts: list[pd.DataFrame] = []
    report_ns = utc_ns(reports["observed_at"]) if len(reports) else np.array([], np.int64)
    report_day = local_day_number(report_ns)
    severity = reports["severity"].to_numpy(dtype=float) if len(reports) else np.array([])
    threat = reports["threat_type"].to_numpy(dtype=object) if len(reports) else np.array([])
    for code, severe_param in REPORT_CODES.items():
        if code not in rules:
            continue
        rule = rules[code]
        chosen = np.isin(threat, list(rule.params["threat_types"]))
        min_severity = rule.params.get(severe_param) if severe_param else None
        severe = severity[chosen] >= float(min_severity) if min_severity is not None else False
        parts.append(
            _events(
                code, reports[chosen], report_ns[chosen], report_day[chosen], 1.0, severe, "report"
            )
        )
    if SILENCE in rules and len(reports):
        parts.append(_events(SILENCE, reports, report_ns, report_day, 1.0, False, "report"))
    if "fire_hotspots" in rules:
        rule = rules["fire_hotspots"]
        if len(hotspots):
            instrument = hotspots["instrument"].astype(str).str.upper().to_numpy()
            confidence = hotspots["confidence"].to_numpy(dtype=object)
            pct = hotspots["confidence_pct"].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                counted = (
                    (instrument == "VIIRS")
                    & np.isin(confidence, list(rule.params["viirs_confidence"]))
                ) | ((instrument == "MODIS") & (pct >= float(rule.params["modis_min_confidence"])))
            chosen_hot = hotspots[counted]
            hot_ns = utc_ns(chosen_hot["acquired_at"])
            parts.append(
                _events(
                    "fire_hotspots",
                    chosen_hot,
                    hot_ns,
                    local_day_number(hot_ns),
                    1.0,
                    False,
                    "fire_hotspot",
                )
            )
        fire = np.isin(threat, list(rule.params["threat_types"]))
        parts.append(
            _events(
                "fire_hotspots",
                reports[fire],
                report_ns[fire],
                report_day[fire],
                1.0,
                False,
                "report",
            )
        )
    if "deforestation_ha" in rules and len(deforestation):
        rule = rules["deforestation_ha"]
        weights = {str(k): float(v) for k, v in rule.params["confidence_weights"].items()}
        pixel = {str(k): float(v) for k, v in rule.params.get("default_pixel_ha", {}).items()}
        area = deforestation["area_ha"].astype(float)
        if area.isna().any():
            dataset = deforestation["dataset"].astype(object)
            area = area.fillna(dataset.map(pixel).astype(float)).fillna(0.0)
        alert_confidence = deforestation["confidence"].astype(object)
        weight = alert_confidence.map(weights).astype(float).fillna(0.0) * area
        # An alert's date is a local day; its time is that day's midnight in Lima.
        day = (
            pd.to_datetime(deforestation["alert_date"])
            .to_numpy(dtype="datetime64[D]")
            .astype(np.int64)
        )
        t_ns = day * DAY_NS - LIMA_OFFSET_NS
        parts.append(
            _events(
                "deforestation_ha",
                deforestation,
                t_ns,
                day,
                weight.to_numpy(),
                False,
                "deforestation_alert",
            )
        )
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_events()
