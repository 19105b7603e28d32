"""Per community and local day rollups of the indicator events, and the indicators computed from
them. Windows are whole local days, so a window's value is a sum of daily rollups: a run after new
rows only needs the rollups of the days they touch, and the series for many days costs little more
than for one.

A rollup row: ``code, community_code, day`` (days since 1970-01-01, Lima calendar),
``core_value, buffer_value`` (summed weights by zone), ``inputs`` (rows counted) and ``severe``
(rows severe enough to make the indicator critical on their own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from indicators.days import day_number
from indicators.events import REPORT_CODES, SILENCE
from indicators.levels import Level
from indicators.rules import Rule, Rules
from indicators.windows import BASELINE_DAYS, baseline_windows, local_day_end, window
from indicators.zones import CORE

ROLLUP_KEY = ["code", "community_code", "day"]
ROLLUP_COLUMNS = [*ROLLUP_KEY, "core_value", "buffer_value", "inputs", "severe"]
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
EVIDENCE_CAP = 50
# Values are rounded so that summing the same rows in another order gives the same stored number.
DECIMALS = 6
WINDOWED = (
    "defender_threats",
    "forest_crime_reports",
    "illicit_crop_reports",
    "invasion_reports",
    "deforestation_ha",
    "fire_hotspots",
)


def daily_rollups(events: pd.DataFrame) -> pd.DataFrame:
    """Sum events per (code, community, day)."""
    if events.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=object if c in ("code", "community_code") else float)
                for c in ROLLUP_COLUMNS
            }
        )
    # One int64 key per (code, community, day), summed with bincount: light on memory and fast
    # for millions of events, where a groupby on object columns is neither.
    code_idx, code_names = pd.factorize(events["code"].to_numpy(dtype=object))
    comm_idx, comm_names = pd.factorize(events["community_code"].to_numpy(dtype=object))
    day = events["day"].to_numpy(dtype=np.int64)
    first = int(day.min())
    span = int(day.max()) - first + 1
    key = (code_idx.astype(np.int64) * len(comm_names) + comm_idx) * span + (day - first)
    unique, slot = np.unique(key, return_inverse=True)
    core = events["zone"].to_numpy() == CORE
    weight = events["weight"].to_numpy(dtype=float)
    n = len(unique)
    day_of, rest = unique % span + first, unique // span
    return pd.DataFrame(
        {
            "code": np.asarray(code_names, dtype=object)[rest // len(comm_names)],
            "community_code": np.asarray(comm_names, dtype=object)[rest % len(comm_names)],
            "day": day_of.astype(np.int64),
            "core_value": np.bincount(slot, weights=np.where(core, weight, 0.0), minlength=n),
            "buffer_value": np.bincount(slot, weights=np.where(core, 0.0, weight), minlength=n),
            "inputs": np.bincount(slot, minlength=n).astype(np.int64),
            "severe": np.bincount(
                slot, weights=events["severe"].to_numpy(dtype=float), minlength=n
            ).astype(np.int64),
        },
        columns=ROLLUP_COLUMNS,
    )


def merge_rollups(*frames: pd.DataFrame) -> pd.DataFrame:
    """Add rollups of the same (code, community, day) together."""
    present = [f[ROLLUP_COLUMNS] for f in frames if len(f)]
    if not present:
        return daily_rollups(pd.DataFrame())
    return (
        pd.concat(present, ignore_index=True).groupby(ROLLUP_KEY, as_index=False, sort=False).sum()
    )


def _dense(
    rollups: pd.DataFrame, code: str, codes: pd.Index, first_day: int, length: int
) -> dict[str, np.ndarray]:
    """(communities x days) arrays of one code's rollups, zero where nothing happened."""
    mine = rollups[rollups["code"] == code]
    row = codes.get_indexer(pd.Index(mine["community_code"]))
    col = mine["day"].to_numpy(dtype=np.int64) - first_day
    keep = (row >= 0) & (col >= 0) & (col < length)
    flat = row[keep] * length + col[keep]
    size = len(codes) * length
    out = {}
    for name in ("core_value", "buffer_value", "inputs", "severe"):
        values = mine[name].to_numpy(dtype=float)[keep]
        out[name] = np.bincount(flat, weights=values, minlength=size).reshape(len(codes), length)
    return out


def _window_sums(cumulative: np.ndarray, end: int, days: int) -> np.ndarray:
    """Sum of the ``days`` columns ending at column ``end`` (inclusive), from a zero-padded cumsum."""
    sums: np.ndarray = cumulative[:, end + 1] - cumulative[:, max(end + 1 - days, 0)]
    return sums


def _levels(values: np.ndarray, rule: Rule) -> np.ndarray:
    conditions, choices = [], []
    for threshold, level in (
        (rule.critical, Level.critical),
        (rule.high, Level.high),
        (rule.warning, Level.warning),
    ):
        if threshold is not None:
            conditions.append(values >= threshold)
            choices.append(level.value)
    if not conditions:
        return np.full(len(values), Level.none.value, dtype=object)
    return np.select(conditions, choices, default=Level.none.value).astype(object)


def _empty_evidence() -> dict[str, list[Any]]:
    return {key: [] for key in EVIDENCE_KEYS.values()}


def window_evidence(
    events: pd.DataFrame, code: str, start_day: int, end_day: int
) -> dict[Any, dict[str, list[Any]]]:
    """Newest-first ids per community of one code's events in ``[start_day, end_day]``, capped."""
    if events.empty:
        return {}
    day = events["day"].to_numpy()
    mask = (day >= start_day) & (day <= end_day)
    if "code" in events:
        mask &= events["code"].to_numpy() == code
    current = events[mask]
    if current.empty:
        return {}
    # Newest first; rows of the same instant by id, so the list never depends on the read order.
    newest = current.assign(id_key=current["id"].astype(str)).sort_values(
        ["t_ns", "id_key"], ascending=[False, True], kind="stable"
    )
    capped = newest.groupby(["community_code", "kind"], sort=False).head(EVIDENCE_CAP)
    result: dict[Any, dict[str, list[Any]]] = {}
    for (community, kind), ids in capped.groupby(["community_code", "kind"], sort=False)["id"]:
        entry = result.setdefault(community, _empty_evidence())
        entry[EVIDENCE_KEYS[str(kind)]] = [
            i.item() if isinstance(i, np.generic) else i for i in ids
        ]
    return result


def _frame(
    rule: Rule,
    codes: pd.Index,
    as_of: datetime,
    window_days: int,
    columns: Mapping[str, Any],
    details: list[dict[str, Any]],
) -> pd.DataFrame:
    start, end = window(as_of, window_days)
    return pd.DataFrame(
        {
            "code": rule.code,
            "community_code": codes.to_numpy(dtype=object),
            "window_start": start,
            "window_end": end,
            "value": np.round(np.asarray(columns["value"], dtype=float), DECIMALS),
            "level": columns["level"],
            "baseline": np.round(np.asarray(columns["baseline"], dtype=float), DECIMALS),
            "inputs": np.asarray(columns["inputs"], dtype=np.int64),
            "details": details,
        },
        columns=COLUMNS,
    )


def indicators_from_rollups(
    *,
    rollups: pd.DataFrame,
    communities: pd.DataFrame,
    rules: Rules,
    as_of: datetime | Sequence[datetime],
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every indicator of ``rules`` for every community of ``communities`` on the local day of
    ``as_of`` (or of each moment of a sequence), from daily rollups; ``events`` (of at least the
    current windows) give the evidence ids."""
    moments = [as_of] if isinstance(as_of, datetime) else sorted(as_of)
    codes = pd.Index(communities["code"].to_numpy(dtype=object), name="community_code")
    ends = [day_number(m) for m in moments]
    spans = [
        (r.window_days or 1) * (1 + baseline_windows(r.window_days or 1, BASELINE_DAYS))
        for r in rules.values()
    ]
    lookback = max([*spans, BASELINE_DAYS + 1])
    first_day = min(ends) - lookback + 1
    length = max(ends) - first_day + 1
    events = events if events is not None else pd.DataFrame()
    frames: list[pd.DataFrame] = []
    for code in WINDOWED:
        if code not in rules:
            continue
        rule = rules[code]
        days = rule.window_days or 1
        k = baseline_windows(days, BASELINE_DAYS)
        cumulative = {}
        for name, array in _dense(rollups, code, codes, first_day, length).items():
            padded = np.zeros((len(codes), length + 1))
            np.cumsum(array, axis=1, out=padded[:, 1:])
            cumulative[name] = padded
        severe_param = REPORT_CODES.get(code)
        special = bool(severe_param and rule.params.get(severe_param) is not None)
        mine = (
            events[events["code"].to_numpy() == code].drop(columns="code")
            if len(events)
            else events
        )
        for moment, end_day in zip(moments, ends, strict=True):
            last = end_day - first_day
            core = _window_sums(cumulative["core_value"], last, days)
            buffer = _window_sums(cumulative["buffer_value"], last, days)
            total = cumulative["core_value"] + cumulative["buffer_value"]
            past = np.stack(
                [_window_sums(total, last - j * days, days) for j in range(1, k + 1)], axis=1
            )
            value = core + buffer
            # Levels from the stored (rounded) number: sums of the same rows in another order
            # differ in the last bits, and must not fall on two sides of a threshold.
            level = _levels(np.round(value, DECIMALS), rule)
            extra: list[dict[str, Any]] = [{} for _ in codes]
            if special:
                severe = _window_sums(cumulative["severe"], last, days)
                level = np.where(severe > 0, Level.critical.value, level).astype(object)
                extra = [{"severe_reports": int(n)} for n in severe]
            evidence = window_evidence(mine, code, end_day - days + 1, end_day)
            details = [
                {
                    "core_value": round(float(c), DECIMALS),
                    "buffer_value": round(float(b), DECIMALS),
                    "evidence": evidence.get(community, _empty_evidence()),
                    **more,
                }
                for community, c, b, more in zip(codes, core, buffer, extra, strict=True)
            ]
            frames.append(
                _frame(
                    rule,
                    codes,
                    moment,
                    days,
                    {
                        "value": value,
                        "level": level,
                        "baseline": np.median(past, axis=1),
                        "inputs": _window_sums(cumulative["inputs"], last, days),
                    },
                    details,
                )
            )
    if SILENCE in rules:
        counts = _dense(rollups, SILENCE, codes, first_day, length)["inputs"]
        seen = counts > 0
        last_seen = np.maximum.accumulate(np.where(seen, np.arange(length), -1), axis=1)
        started = monitoring_columns(communities, first_day)
        for moment, end_day in zip(moments, ends, strict=True):
            frames.append(
                _silence(
                    last_seen,
                    started,
                    counts,
                    codes,
                    rules[SILENCE],
                    moment,
                    end_day,
                    first_day,
                    events,
                )
            )
    parts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    if "threat_index" in rules:
        indexes = [
            threat_index_of(parts[parts["window_end"] == end], codes, rules, moment)
            for moment, end in ((m, local_day_end(m)) for m in moments)
        ]
        parts = pd.concat([parts, *indexes], ignore_index=True)
    return parts


def _silence(
    last_seen: np.ndarray,
    started: np.ndarray,
    counts: np.ndarray,
    codes: pd.Index,
    rule: Rule,
    as_of: datetime,
    end_day: int,
    first_day: int,
    events: pd.DataFrame,
) -> pd.DataFrame:
    """Whole local days from the last day with a report to ``as_of``'s day; with no report in the
    lookback, from the day monitoring began (``started``, a column; 0 before it), else
    ``params.max_days``. Baseline: the median silence twelve ``baseline_step_days`` before."""
    max_days = float(rule.params["max_days"])
    step = int(rule.params["baseline_step_days"])
    column_now = end_day - first_day

    def silence_at(column: int) -> np.ndarray:
        last = last_seen[:, column] if column >= 0 else np.full(len(codes), -1)
        # With no report yet, a community is silent only since it is watched: from the day its
        # monitoring began, and not at all before it.
        unheard = np.where(started >= 0, np.clip(column - started, 0, max_days), max_days)
        return np.where(last >= 0, np.minimum(column - last, max_days), unheard).astype(float)

    value = silence_at(column_now)
    k = BASELINE_DAYS // step
    baseline = np.median(
        np.stack([silence_at(column_now - j * step) for j in range(1, k + 1)], axis=1), axis=1
    )
    start = max(column_now - BASELINE_DAYS, 0)
    inputs = counts[:, start : column_now + 1].sum(axis=1)  # reports in the last year
    latest = window_evidence(events, SILENCE, end_day - int(max_days), end_day)
    details = [
        {
            "core_value": round(float(v), DECIMALS),
            "buffer_value": 0.0,
            "evidence": {
                **_empty_evidence(),
                "report_ids": latest.get(c, _empty_evidence())["report_ids"][:1],
            },
        }
        for c, v in zip(codes, value, strict=True)
    ]
    return _frame(
        rule,
        codes,
        as_of,
        1,
        {"value": value, "level": _levels(value, rule), "baseline": baseline, "inputs": inputs},
        details,
    )


def threat_index_of(
    parts: pd.DataFrame, codes: pd.Index, rules: Rules, as_of: datetime
) -> pd.DataFrame:
    """Composite 0-100: ``100 * sum(weight * normalized) / sum(weights)`` over ``params.weights``. A
    part is normalized to 0..1 by its highest defined threshold and counts 1 when critical; the
    baseline is the same index over the parts' baselines; ``details.contributions`` keeps each part."""
    rule = rules["threat_index"]
    weights = {str(k): float(v) for k, v in rule.params["weights"].items()}
    total = sum(weights.values()) or 1.0
    index = np.zeros(len(codes))
    base_index = np.zeros(len(codes))
    inputs = np.zeros(len(codes), dtype=np.int64)
    contributions: list[dict[str, Any]] = [{} for _ in codes]
    for code, weight in weights.items():
        part = parts[parts["code"] == code].set_index("community_code").reindex(codes)
        top = rules[code].top if code in rules else None
        top = top or 1.0
        value = part["value"].fillna(0.0).to_numpy(dtype=float)
        level = part["level"].fillna(Level.none.value).to_numpy(dtype=object)
        norm = np.where(level == Level.critical.value, 1.0, np.clip(value / top, 0.0, 1.0))
        base_norm = np.clip(part["baseline"].fillna(0.0).to_numpy(dtype=float) / top, 0.0, 1.0)
        points = 100.0 * weight * norm / total
        index += points
        base_index += 100.0 * weight * base_norm / total
        inputs += part["value"].notna().to_numpy(dtype=np.int64)
        for i in range(len(codes)):
            contributions[i][code] = {
                "value": float(value[i]),
                "level": str(level[i]),
                "normalized": round(float(norm[i]), DECIMALS),
                "weight": weight,
                "points": round(float(points[i]), DECIMALS),
            }
    details = [
        {
            "core_value": round(float(v), DECIMALS),
            "buffer_value": 0.0,
            "evidence": _empty_evidence(),
            "contributions": contributions[i],
        }
        for i, v in enumerate(index)
    ]
    return _frame(
        rule,
        codes,
        as_of,
        1,
        {
            "value": index,
            "level": _levels(np.round(index, DECIMALS), rule),
            "baseline": base_index,
            "inputs": inputs,
        },
        details,
    )


def monitoring_columns(communities: pd.DataFrame, first_day: int) -> np.ndarray:
    """Per community, the column (day - ``first_day``) its monitoring began; -1 when unknown or
    before ``first_day`` (silence then counts from reports alone). ``communities`` may carry
    ``monitored_day`` (days since 1970-01-01, Lima calendar; missing or NaN: unknown)."""
    if "monitored_day" not in communities:
        return np.full(len(communities), -1, dtype=np.int64)
    days = pd.to_numeric(communities["monitored_day"], errors="coerce").to_numpy(dtype=float)
    columns = np.where(np.isnan(days), -1, days - first_day)
    return np.where(columns < 0, -1, columns).astype(np.int64)


__all__ = [
    "COLUMNS",
    "ROLLUP_COLUMNS",
    "daily_rollups",
    "indicators_from_rollups",
    "merge_rollups",
    "monitoring_columns",
    "threat_index_of",
    "window_evidence",
]
