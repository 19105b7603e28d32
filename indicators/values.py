"""How an indicator's value is made from the daily rollups of a :class:`DailySpan`, in three ways:
a sum over a window (:func:`window_values`), the days a community has been silent
(:func:`silence_values`), and a composite of other indicators' values (:func:`threat_index_of`).

Each returns one row per community and moment with :data:`indicators.columns.VALUE_COLUMNS`;
values are rounded to :data:`DECIMALS` so that summing the same rows in another order gives the
same stored number, and levels are read from the rounded number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from indicators.columns import VALUE_COLUMNS
from indicators.levels import Level
from indicators.rollups import DailySpan, empty_evidence, window_evidence
from indicators.rules import Rule, Rules
from indicators.windows import BASELINE_DAYS, baseline_windows, window

DECIMALS = 6


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
        columns=VALUE_COLUMNS,
    )


def concat_values(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Value rows of several indicators or moments as one frame (empty: the value columns)."""
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALUE_COLUMNS)


def window_values(span: DailySpan, rule: Rule, *, severe_param: str | None = None) -> pd.DataFrame:
    """The weights counted in the ``window_days`` local days ending on each moment's day, split
    by zone; the baseline is the median of the same window over the previous twelve months. With
    ``severe_param`` set in the rule's parameters, one severe row makes the value critical and
    ``details.severe_reports`` counts them."""
    codes = span.codes
    days = rule.window_days or 1
    k = baseline_windows(days, BASELINE_DAYS)
    cumulative = {}
    for name, array in span.dense(rule.code).items():
        padded = np.zeros((len(codes), span.length + 1))
        np.cumsum(array, axis=1, out=padded[:, 1:])
        cumulative[name] = padded
    special = bool(severe_param and rule.params.get(severe_param) is not None)
    mine = span.events_of(rule.code)
    frames = []
    for moment, end_day in zip(span.moments, span.ends, strict=True):
        last = end_day - span.first_day
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
        evidence = window_evidence(mine, rule.code, end_day - days + 1, end_day)
        details = [
            {
                "core_value": round(float(c), DECIMALS),
                "buffer_value": round(float(b), DECIMALS),
                "evidence": evidence.get(community, empty_evidence()),
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
    return concat_values(frames)


def silence_values(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Whole local days from the last day with a report to each moment's day; with no report in
    the lookback, from the day monitoring began (``monitored_day``; 0 before it), else
    ``params.max_days``. Baseline: the median silence twelve ``baseline_step_days`` before."""
    counts = span.dense(rule.code)["inputs"]
    length = span.length
    last_seen = np.maximum.accumulate(np.where(counts > 0, np.arange(length), -1), axis=1)
    started = monitoring_columns(span.communities, span.first_day)
    frames = [
        _silence(last_seen, started, counts, span, rule, moment, end_day)
        for moment, end_day in zip(span.moments, span.ends, strict=True)
    ]
    return concat_values(frames)


def _silence(
    last_seen: np.ndarray,
    started: np.ndarray,
    counts: np.ndarray,
    span: DailySpan,
    rule: Rule,
    as_of: datetime,
    end_day: int,
) -> pd.DataFrame:
    codes = span.codes
    max_days = float(rule.params["max_days"])
    step = int(rule.params["baseline_step_days"])
    column_now = end_day - span.first_day

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
    latest = window_evidence(span.events, rule.code, end_day - int(max_days), end_day)
    details = [
        {
            "core_value": round(float(v), DECIMALS),
            "buffer_value": 0.0,
            "evidence": {
                **empty_evidence(),
                "report_ids": latest.get(c, empty_evidence())["report_ids"][:1],
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


def monitoring_columns(communities: pd.DataFrame, first_day: int) -> np.ndarray:
    """Per community, the column (day - ``first_day``) its monitoring began; -1 when unknown or
    before ``first_day`` (silence then counts from reports alone). ``communities`` may carry
    ``monitored_day`` (days since 1970-01-01, Lima calendar; missing or NaN: unknown)."""
    if "monitored_day" not in communities:
        return np.full(len(communities), -1, dtype=np.int64)
    days = pd.to_numeric(communities["monitored_day"], errors="coerce").to_numpy(dtype=float)
    columns = np.where(np.isnan(days), -1, days - first_day)
    return np.where(columns < 0, -1, columns).astype(np.int64)


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
            "evidence": empty_evidence(),
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
