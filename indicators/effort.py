"""Patrol effort as indicator values: kilometres patrolled (:func:`patrol_km_values`, a sum of days
with SMART's encounter rates beside it) and the share of the territory and its approach zone
covered (:func:`patrol_coverage_values`, a union of cells: no sum of days, so it is made from the
patrols of the span themselves). Both return :data:`indicators.columns.VALUE_COLUMNS` rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from indicators.coverage import Grid, covered_cells, coverage_shares, grid_of
from indicators.days import local_day_number, utc_ns
from indicators.rollups import EVIDENCE_CAP, DailySpan, empty_evidence
from indicators.rules import Rule
from indicators.values import DECIMALS, _frame, _levels, concat_values, window_values
from indicators.windows import BASELINE_DAYS, baseline_windows


def encounter_rate(count: float, km: float) -> float | None:
    """Reports per 100 km patrolled (SMART's encounter rate); ``None`` with no km patrolled."""
    return round(100.0 * count / km, DECIMALS) if km > 0 else None


def patrol_km_values(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """Kilometres patrolled in the window (see :func:`indicators.values.window_values`), and in
    ``details.encounter_rates``, for each code of ``params.encounter_codes`` computed before it in
    the run: that indicator's value, the km patrolled over the same window, and the value per
    100 km, so more reports after more patrolling are not read as more threat."""
    frame = window_values(span, rule)
    codes = [str(c) for c in rule.params.get("encounter_codes", [])]
    parts = concat_values(list(span.parts))
    if not codes or parts.empty or frame.empty:
        return frame
    dense = span.dense(rule.code)
    total = dense["core_value"] + dense["buffer_value"]
    cumulative = np.zeros((len(span.codes), span.length + 1))
    np.cumsum(total, axis=1, out=cumulative[:, 1:])
    details = list(frame["details"])
    ends = pd.to_datetime(frame["window_end"], utc=True)
    for moment_end, end_day in zip(sorted(ends.unique()), sorted(set(span.ends)), strict=True):
        rows = np.flatnonzero((ends == moment_end).to_numpy())
        mine = parts[pd.to_datetime(parts["window_end"], utc=True) == moment_end]
        last = end_day - span.first_day
        for code in codes:
            if code not in span.rules:
                continue
            days = span.rules[code].window_days or 1
            km = cumulative[:, last + 1] - cumulative[:, max(last + 1 - days, 0)]
            values = mine[mine["code"] == code].set_index("community_code")["value"]
            for position, row in enumerate(rows):
                community = frame["community_code"].iloc[row]
                count = float(values.get(community, 0.0))
                entry = details[row].setdefault("encounter_rates", {})
                entry[code] = {
                    "value": count,
                    "km": round(float(km[position]), DECIMALS),
                    "window_days": days,
                    "per_100_km": encounter_rate(count, float(km[position])),
                }
    frame["details"] = details
    return frame


def _patrol_cells(span: DailySpan, rule: Rule) -> tuple[dict[str, Grid], pd.DataFrame]:
    """Each community's grid, and the span's patrols with their local day and covered cells."""
    cell_m = float(rule.params["cell_m"])
    reach_m = float(rule.params["reach_m"])
    grids = {
        str(row.code): grid_of(str(row.code), row.boundary, getattr(row, "buffer", None), cell_m)
        for row in span.communities.itertuples(index=False)
    }
    patrols = span.patrols
    patrols = patrols[patrols["community_code"].isin(list(grids))]
    if not len(patrols):
        return grids, patrols.assign(day=pd.Series(dtype=np.int64), cells=pd.Series(dtype=object))
    days = local_day_number(utc_ns(patrols["ended_at"]))
    cells = [
        covered_cells(track, grids[str(code)], reach_m)
        for track, code in zip(patrols["track"], patrols["community_code"], strict=True)
    ]
    return grids, patrols.assign(day=days, cells=cells)


def patrol_coverage_values(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """The share 0-100 of a community's cells (territory and approach zone, ``params.cell_m``
    metres square) within ``params.reach_m`` of a track of a patrol ended in the window; the
    territory's and the ring's own shares in ``details.core_value`` and ``details.buffer_value``.
    Baseline: the median share of the twelve windows before (as for the other indicators)."""
    days = rule.window_days or 30
    k = baseline_windows(days, BASELINE_DAYS)
    grids, patrols = _patrol_cells(span, rule)
    by_community = {code: group for code, group in patrols.groupby("community_code", sort=False)}
    frames = []
    for moment, end_day in zip(span.moments, span.ends, strict=True):
        shares, baselines, inputs, details = [], [], [], []
        for code in span.codes:
            grid = grids[str(code)]
            mine = by_community.get(code)

            def union(last_day: int, mine: pd.DataFrame | None = mine) -> tuple[list[int], Any]:
                if mine is None:
                    return [], mine
                inside = mine[(mine["day"] > last_day - days) & (mine["day"] <= last_day)]
                cells = np.unique(np.concatenate([np.asarray(c) for c in inside["cells"]] or [[]]))
                return [int(c) for c in cells], inside

            cells, current = union(end_day)
            share, core, ring = coverage_shares(grid, cells)
            past = [coverage_shares(grid, union(end_day - j * days)[0])[0] for j in range(1, k + 1)]
            shares.append(share)
            baselines.append(float(np.median(past)))
            inputs.append(0 if current is None else len(current))
            ids: list[Any] = []
            if current is not None and len(current):
                newest = current.sort_values(["ended_at", "id"], ascending=[False, True])
                ids = [str(i) for i in newest["id"].head(EVIDENCE_CAP)]
            details.append(
                {
                    "core_value": round(core, DECIMALS),
                    "buffer_value": round(ring, DECIMALS),
                    "evidence": {**empty_evidence(), "patrol_ids": ids},
                    "cells": len(grid),
                    "cells_covered": len(cells),
                    "cell_m": grid.cell_m,
                    "reach_m": float(rule.params["reach_m"]),
                }
            )
        value = np.round(np.asarray(shares, dtype=float), DECIMALS)
        level = _levels(value, rule) if len(value) else np.array([], dtype=object)
        frames.append(
            _frame(
                rule,
                span.codes,
                moment,
                days,
                {"value": value, "level": level, "baseline": baselines, "inputs": inputs},
                details,
            )
        )
    return concat_values(frames)

