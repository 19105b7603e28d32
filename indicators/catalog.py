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
  reports, fire hotspots and deforestation alerts behind the value, newest first, capped) and, for the
  threat index, each part's ``contributions``.

Input frames (extra columns are ignored):

- ``reports``: ``id, community_code, threat_type, severity, observed_at`` (aware UTC), optional
  ``longitude, latitude``;
- ``hotspots``: ``id, acquired_at, longitude, latitude, instrument, confidence, confidence_pct``;
- ``deforestation``: ``id, alert_date, longitude, latitude, confidence, area_ha, dataset``;
- ``communities``: ``code, boundary, buffer`` (GeoJSON mappings or shapely geometries).

Frames that already carry ``community_code`` and ``zone`` (from :mod:`indicators.zones`) are used as
they are, so :func:`compute_all` places every point once for all indicators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from indicators.rules import Level, Rule, Rules
from indicators.windows import BASELINE_DAYS, LIMA, baseline_windows, local_day_end, window
from indicators.zones import CORE, locate_points, locate_reports

ALGORITHM_VERSION = "1.0"
EVIDENCE_CAP = 50
# Values are rounded so that summing the same rows in another order gives the same stored number.
DECIMALS = 6
COLUMNS = [
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
EVIDENCE_KEYS = {
    "report": "report_ids",
    "fire_hotspot": "fire_hotspot_ids",
    "deforestation_alert": "deforestation_alert_ids",
}
_DAY_NS = 86_400 * 10**9


# ---------------------------------------------------------------------------------------------
# Shared machinery: events (community, zone, time, weight, id, kind) summed over windows.


def _events(
    frame: pd.DataFrame, time: pd.Series, weight: np.ndarray | float, kind: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "community_code": frame["community_code"].to_numpy(dtype=object),
            "zone": frame["zone"].to_numpy(dtype=object),
            "t_ns": _utc_ns(time),
            "weight": weight if np.isscalar(weight) else np.asarray(weight, dtype=float),
            "id": frame["id"].to_numpy(dtype=object),
            "kind": kind,
        }
    )


def _utc_ns(values: pd.Series) -> np.ndarray:
    # pandas may keep microseconds; nanoseconds everywhere so the arithmetic agrees.
    stamps = pd.to_datetime(values, utc=True).dt.as_unit("ns")
    return np.asarray(stamps.astype("int64"), dtype=np.int64)


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "community_code": pd.Series(dtype=object),
            "zone": pd.Series(dtype=object),
            "t_ns": pd.Series(dtype=np.int64),
            "weight": pd.Series(dtype=float),
            "id": pd.Series(dtype=object),
            "kind": pd.Series(dtype=object),
        }
    )


def _bucketed(events: pd.DataFrame, end: datetime, window_days: int, k: int) -> pd.DataFrame:
    """Events with ``bucket`` 0 (this window, ``[start, end)``) to ``k`` (k windows earlier)."""
    end_ns = pd.Timestamp(end).as_unit("ns").value
    delta = end_ns - events["t_ns"].to_numpy()
    bucket = (delta - 1) // (window_days * _DAY_NS)
    keep = (delta > 0) & (bucket <= k)
    out = events.loc[keep].copy()
    out["bucket"] = bucket[keep]
    return out


def _windowed_sums(
    events: pd.DataFrame, codes: pd.Index, as_of: datetime, window_days: int
) -> pd.DataFrame:
    """Per community: value, core_value, buffer_value, inputs, baseline and evidence ids.

    Sums are ``np.bincount`` over the community's position, so a national run costs one pass."""
    end = local_day_end(as_of)
    k = baseline_windows(window_days, BASELINE_DAYS)
    n = len(codes)
    bucketed = _bucketed(events, end, window_days, k)
    position = codes.get_indexer(pd.Index(bucketed["community_code"]))
    bucket = bucketed["bucket"].to_numpy()
    weight = bucketed["weight"].to_numpy(dtype=float)
    known = position >= 0
    now = known & (bucket == 0)
    core = now & (bucketed["zone"].to_numpy() == CORE)
    out = pd.DataFrame(index=codes)
    out["core_value"] = np.bincount(position[core], weights=weight[core], minlength=n)
    out["buffer_value"] = np.bincount(
        position[now & ~core], weights=weight[now & ~core], minlength=n
    )
    out["value"] = out["core_value"] + out["buffer_value"]
    out["inputs"] = np.bincount(position[now], minlength=n).astype(np.int64)
    past = known & (bucket > 0)
    grid = np.bincount(
        position[past] * k + (bucket[past] - 1), weights=weight[past], minlength=n * k
    ).reshape(n, k)
    out["baseline"] = np.median(grid, axis=1) if n else np.array([], dtype=float)
    out["evidence"] = _evidence(bucketed[now], codes)
    return out


def _evidence(current: pd.DataFrame, codes: pd.Index) -> pd.Series:
    """Newest-first ids per community and kind, at most ``EVIDENCE_CAP`` of each kind."""
    empty: dict[str, list[Any]] = {key: [] for key in EVIDENCE_KEYS.values()}
    result: dict[Any, dict[str, list[Any]]] = {}
    if not current.empty:
        newest = current.sort_values("t_ns", ascending=False, kind="stable")
        capped = newest.groupby(["community_code", "kind"], sort=False).head(EVIDENCE_CAP)
        for (code, kind), ids in capped.groupby(["community_code", "kind"], sort=False)["id"]:
            entry = result.setdefault(code, {key: [] for key in EVIDENCE_KEYS.values()})
            entry[EVIDENCE_KEYS[str(kind)]] = [_plain(i) for i in ids]
    return pd.Series([result.get(code, empty) for code in codes], index=codes, dtype=object)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _levels(values: pd.Series, rule: Rule) -> pd.Series:
    v = values.to_numpy(dtype=float)
    conditions = []
    choices = []
    for threshold, level in (
        (rule.critical, Level.critical),
        (rule.high, Level.high),
        (rule.warning, Level.warning),
    ):
        if threshold is not None:
            conditions.append(v >= threshold)
            choices.append(level.value)
    if not conditions:
        return pd.Series(Level.none.value, index=values.index, dtype=object)
    return pd.Series(np.select(conditions, choices, default=Level.none.value), index=values.index)


def _frame(
    rule: Rule,
    sums: pd.DataFrame,
    levels: pd.Series,
    as_of: datetime,
    window_days: int,
    extra: Mapping[Any, dict[str, Any]] | None = None,
) -> pd.DataFrame:
    start, end = window(as_of, window_days)
    details = [
        {
            "core_value": round(float(core), DECIMALS),
            "buffer_value": round(float(buffer), DECIMALS),
            "evidence": evidence,
            **((extra or {}).get(code, {})),
        }
        for code, core, buffer, evidence in zip(
            sums.index, sums["core_value"], sums["buffer_value"], sums["evidence"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "code": rule.code,
            "community_code": sums.index.to_numpy(dtype=object),
            "window_start": start,
            "window_end": end,
            "value": sums["value"].to_numpy(dtype=float).round(DECIMALS),
            "level": levels.to_numpy(dtype=object),
            "baseline": sums["baseline"].to_numpy(dtype=float).round(DECIMALS),
            "inputs": sums["inputs"].to_numpy(dtype=np.int64),
            "details": details,
        },
        columns=COLUMNS,
    )


def _codes(communities: pd.DataFrame) -> pd.Index:
    codes: pd.Index = pd.Index(communities["code"].to_numpy(dtype=object), name="community_code")
    return codes


def _located_reports(reports: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    return reports if "zone" in reports else locate_reports(reports, communities)


def _located_points(points: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    return points if "zone" in points else locate_points(points, communities)


def _window_days(rule: Rule) -> int:
    if rule.window_days is None:
        msg = f"indicator {rule.code} needs window_days"
        raise ValueError(msg)
    return rule.window_days


def _report_events(reports: pd.DataFrame, threat_types: list[str]) -> pd.DataFrame:
    chosen = reports[reports["threat_type"].isin(threat_types)]
    if chosen.empty:
        return _empty_events()
    return _events(chosen, chosen["observed_at"], 1.0, "report")


def _severe_counts(
    reports: pd.DataFrame,
    threat_types: list[str],
    min_severity: float,
    codes: pd.Index,
    as_of: datetime,
    window_days: int,
) -> pd.Series:
    severe = reports[
        reports["threat_type"].isin(threat_types) & (reports["severity"] >= min_severity)
    ]
    events = (
        _events(severe, severe["observed_at"], 1.0, "report") if len(severe) else _empty_events()
    )
    current = _bucketed(events, local_day_end(as_of), window_days, 0)
    return current.groupby("community_code").size().reindex(codes, fill_value=0)


def _report_count_indicator(
    rule: Rule,
    reports: pd.DataFrame,
    communities: pd.DataFrame,
    as_of: datetime,
    severe_param: str | None = None,
) -> pd.DataFrame:
    codes = _codes(communities)
    days = _window_days(rule)
    located = _located_reports(reports, communities)
    threat_types = list(rule.params["threat_types"])
    sums = _windowed_sums(_report_events(located, threat_types), codes, as_of, days)
    levels = _levels(sums["value"], rule)
    extra: dict[Any, dict[str, Any]] = {}
    if severe_param is not None and rule.params.get(severe_param) is not None:
        severe = _severe_counts(
            located, threat_types, float(rule.params[severe_param]), codes, as_of, days
        )
        levels = levels.where(severe.to_numpy() == 0, Level.critical.value)
        extra = {code: {"severe_reports": int(n)} for code, n in severe.items()}
    return _frame(rule, sums, levels, as_of, days, extra)


# ---------------------------------------------------------------------------------------------
# The catalog.


def defender_threats(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of threats to defenders (and armed presence) in the window; critical at ``critical``
    reports or at one report of severity >= ``params.critical_min_severity``."""
    return _report_count_indicator(
        rules["defender_threats"], reports, communities, as_of, "critical_min_severity"
    )


def forest_crime_reports(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of deforestation and illegal logging in the window."""
    return _report_count_indicator(rules["forest_crime_reports"], reports, communities, as_of)


def illicit_crop_reports(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of coca cultivation and drug trafficking; critical on any report of severity >=
    ``params.critical_severity``."""
    return _report_count_indicator(
        rules["illicit_crop_reports"], reports, communities, as_of, "critical_severity"
    )


def invasion_reports(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Reports of settler invasion and illegal mining in the window."""
    return _report_count_indicator(rules["invasion_reports"], reports, communities, as_of)


def deforestation_ha(
    *, deforestation: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Confidence-weighted hectares of satellite deforestation alerts in the window. An alert's date
    is a local day (its midnight in Lima); a missing area takes the dataset's pixel area."""
    rule = rules["deforestation_ha"]
    days = _window_days(rule)
    codes = _codes(communities)
    located = _located_points(deforestation, communities)
    weights = {str(k): float(v) for k, v in rule.params["confidence_weights"].items()}
    pixel = {str(k): float(v) for k, v in rule.params.get("default_pixel_ha", {}).items()}
    if located.empty:
        events = _empty_events()
    else:
        area = located["area_ha"].astype(float)
        if area.isna().any():
            area = area.fillna(located["dataset"].map(pixel)).fillna(0.0)
        weight = located["confidence"].map(weights).fillna(0.0).astype(float) * area
        day = pd.to_datetime(located["alert_date"]).dt.tz_localize(LIMA)
        events = _events(located, day, weight.to_numpy(), "deforestation_alert")
    sums = _windowed_sums(events, codes, as_of, days)
    return _frame(rule, sums, _levels(sums["value"], rule), as_of, days)


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
    rule = rules["fire_hotspots"]
    days = _window_days(rule)
    codes = _codes(communities)
    located = _located_points(hotspots, communities)
    if located.empty:
        hot = _empty_events()
    else:
        instrument = located["instrument"].astype(str).str.upper()
        viirs_ok = (instrument == "VIIRS") & located["confidence"].isin(
            list(rule.params["viirs_confidence"])
        )
        modis_ok = (instrument == "MODIS") & (
            located["confidence_pct"].astype(float) >= float(rule.params["modis_min_confidence"])
        )
        counted = located[viirs_ok | modis_ok]
        hot = _events(counted, counted["acquired_at"], 1.0, "fire_hotspot")
    fire_reports = _report_events(
        _located_reports(reports, communities), list(rule.params["threat_types"])
    )
    events = pd.concat([e for e in (hot, fire_reports) if len(e)] or [hot], ignore_index=True)
    sums = _windowed_sums(events, codes, as_of, days)
    return _frame(rule, sums, _levels(sums["value"], rule), as_of, days)


def patrol_silence_days(
    *, reports: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Whole days from the community's last report of any type (observed at or before ``as_of``) to
    ``as_of``. A community with no report in the lookback gets ``params.max_days``. The baseline is
    the median silence at the ends of the twelve ``params.baseline_step_days`` steps before."""
    rule = rules["patrol_silence_days"]
    codes = _codes(communities)
    max_days = float(rule.params["max_days"])
    step = int(rule.params["baseline_step_days"])
    as_of_ns = pd.Timestamp(as_of).as_unit("ns").value
    seen = pd.DataFrame(
        {
            "community_code": reports["community_code"].to_numpy(dtype=object),
            "t_ns": _utc_ns(reports["observed_at"]) if len(reports) else np.array([], np.int64),
            "id": reports["id"].to_numpy(dtype=object),
        }
    )
    seen = seen[seen["t_ns"] <= as_of_ns]
    newest = seen.sort_values("t_ns", kind="stable").groupby("community_code").tail(1)
    last = newest.set_index("community_code").reindex(codes)
    silence = np.floor((as_of_ns - last["t_ns"].to_numpy(dtype=float)) / _DAY_NS)
    value = pd.Series(np.minimum(np.nan_to_num(silence, nan=max_days), max_days), index=codes)
    # Baseline: silence at as_of - k * step for k = 1..12 (merge_asof: last report before each).
    k = BASELINE_DAYS // step
    grid = pd.DataFrame(
        {
            "community_code": np.repeat(codes.to_numpy(dtype=object), k),
            "at_ns": np.tile(
                as_of_ns - np.arange(1, k + 1, dtype=np.int64) * step * _DAY_NS, len(codes)
            ),
        }
    ).sort_values("at_ns", kind="stable")
    before = pd.merge_asof(
        grid,
        seen.sort_values("t_ns", kind="stable")[["community_code", "t_ns"]].astype(
            {"community_code": grid["community_code"].dtype}
        ),
        left_on="at_ns",
        right_on="t_ns",
        by="community_code",
        direction="backward",
    )
    gap = (before["at_ns"].to_numpy(dtype=float) - before["t_ns"].to_numpy(dtype=float)) / _DAY_NS
    past = np.minimum(np.nan_to_num(np.floor(gap), nan=max_days), max_days)
    baseline = pd.Series(past, index=before["community_code"].to_numpy()).groupby(level=0).median()
    sums = pd.DataFrame(
        {
            "value": value,
            "core_value": value,
            "buffer_value": 0.0,
            "baseline": baseline.reindex(codes),
            "inputs": seen.groupby("community_code").size().reindex(codes, fill_value=0),
            "evidence": [
                {
                    "report_ids": [] if pd.isna(rid) else [rid],
                    "fire_hotspot_ids": [],
                    "deforestation_alert_ids": [],
                }
                for rid in last["id"]
            ],
        },
        index=codes,
    )
    return _frame(rule, sums, _levels(sums["value"], rule), as_of, 1)


def threat_index(
    *, parts: pd.DataFrame, communities: pd.DataFrame, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Composite 0-100: ``100 * sum(weight * normalized) / sum(weights)`` over the parts named in
    ``params.weights``. A part is normalized to 0..1 by its highest defined threshold, and counts 1
    when it is critical. ``details.contributions`` keeps each part's value, normalized value, weight
    and points; the baseline is the same index over the parts' baselines."""
    rule = rules["threat_index"]
    codes = _codes(communities)
    weights = {str(k): float(v) for k, v in rule.params["weights"].items()}
    total = sum(weights.values()) or 1.0
    index = pd.Series(0.0, index=codes)
    base_index = pd.Series(0.0, index=codes)
    contributions: dict[Any, dict[str, Any]] = {code: {} for code in codes}
    inputs = pd.Series(0, index=codes, dtype=np.int64)
    for code, weight in weights.items():
        part = parts[parts["code"] == code].set_index("community_code").reindex(codes)
        top = rules[code].top or 1.0
        value = part["value"].fillna(0.0)
        norm = np.clip(value / top, 0.0, 1.0).where(part["level"] != Level.critical.value, 1.0)
        base_norm = np.clip(part["baseline"].fillna(0.0) / top, 0.0, 1.0)
        points = 100.0 * weight * norm / total
        index += points
        base_index += 100.0 * weight * base_norm / total
        inputs += part["value"].notna().astype(np.int64)
        for community, v, n, p, level in zip(
            codes, value, norm, points, part["level"].fillna(Level.none.value), strict=True
        ):
            contributions[community][code] = {
                "value": float(v),
                "level": str(level),
                "normalized": round(float(n), 6),
                "weight": weight,
                "points": round(float(p), 6),
            }
    sums = pd.DataFrame(
        {
            "value": index.round(6),
            "core_value": index.round(6),
            "buffer_value": 0.0,
            "baseline": base_index.round(6),
            "inputs": inputs,
            "evidence": [{key: [] for key in EVIDENCE_KEYS.values()} for _ in codes],
        },
        index=codes,
    )
    extra = {code: {"contributions": contributions[code]} for code in codes}
    return _frame(rule, sums, _levels(sums["value"], rule), as_of, 1, extra)


# ---------------------------------------------------------------------------------------------

REPORT_INDICATORS: dict[str, Callable[..., pd.DataFrame]] = {
    "defender_threats": defender_threats,
    "forest_crime_reports": forest_crime_reports,
    "illicit_crop_reports": illicit_crop_reports,
    "invasion_reports": invasion_reports,
    "patrol_silence_days": patrol_silence_days,
}


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
    reports = _located_reports(reports, communities)
    hotspots = _located_points(hotspots, communities)
    deforestation = _located_points(deforestation, communities)
    frames = [
        fn(reports=reports, communities=communities, rules=rules, as_of=as_of)
        for code, fn in REPORT_INDICATORS.items()
        if code in rules
    ]
    if "deforestation_ha" in rules:
        frames.append(
            deforestation_ha(
                deforestation=deforestation, communities=communities, rules=rules, as_of=as_of
            )
        )
    if "fire_hotspots" in rules:
        frames.append(
            fire_hotspots(
                hotspots=hotspots,
                reports=reports,
                communities=communities,
                rules=rules,
                as_of=as_of,
            )
        )
    parts = pd.concat(frames, ignore_index=True)
    if "threat_index" in rules:
        index = threat_index(parts=parts, communities=communities, rules=rules, as_of=as_of)
        parts = pd.concat([parts, index], ignore_index=True)
    return parts


def lookback_days(rules: Rules) -> int:
    """How many days before a day's end a run must read for every value and baseline."""
    longest = max((r.window_days or 0) for r in rules.values())
    spans = [
        (r.window_days or 0) * (1 + baseline_windows(r.window_days, BASELINE_DAYS))
        for r in rules.values()
        if r.window_days
    ]
    return max([*spans, longest, BASELINE_DAYS + 31])
