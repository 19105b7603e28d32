"""Patrol effort as indicator values: kilometres patrolled (:func:`patrol_km_values`, a sum of days
with SMART's encounter rates beside it) and the share of the territory and its approach zone
covered (:func:`patrol_coverage_values`, a union of cells: no sum of days, so it is made from the
patrols of the span themselves). Both return :data:`indicators.columns.VALUE_COLUMNS` rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from indicators.coverage import Grid, coverage_shares, covered_cells, grid_of
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
    wanted = parts[parts["code"].isin(codes)]
    counted = {
        (pd.Timestamp(end).value, code, community): float(value)
        for end, code, community, value in zip(
            wanted["window_end"],
            wanted["code"],
            wanted["community_code"],
            wanted["value"],
            strict=True,
        )
    }
    details = list(frame["details"])
    n = len(span.codes)
    # window_values lists the communities in span order, one block per moment in moment order.
    for block, end_day in enumerate(span.ends):
        last = end_day - span.first_day
        end_key = pd.Timestamp(frame["window_end"].iloc[block * n]).value
        for code in codes:
            if code not in span.rules:
                continue
            days = span.rules[code].window_days or 1
            km = cumulative[:, last + 1] - cumulative[:, max(last + 1 - days, 0)]
            for position, community in enumerate(span.codes):
                count = counted.get((end_key, code, community), 0.0)
                entry = details[block * n + position].setdefault("encounter_rates", {})
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
    return grids, patrols.assign(
        day=days, cells=pd.Series(cells, index=patrols.index, dtype=object)
    )


@dataclass(frozen=True)
class _Patrols:
    """One community's patrols of the span as arrays: local day, covered cells, end, id."""

    day: np.ndarray
    cells: list[np.ndarray]
    ended_ns: np.ndarray
    ids: np.ndarray

    @classmethod
    def by_community(cls, frame: pd.DataFrame) -> dict[str, _Patrols]:
        """Each community's patrols, in the frame's order (columns converted once, not per
        community)."""
        day = frame["day"].to_numpy(dtype=np.int64)
        ended_ns = utc_ns(frame["ended_at"])
        ids = frame["id"].astype(str).to_numpy(dtype=object)
        cells = list(frame["cells"])
        positions: dict[str, list[int]] = {}
        for position, code in enumerate(frame["community_code"]):
            positions.setdefault(str(code), []).append(position)
        return {
            code: cls(
                day=day[mine],
                cells=[cells[i] for i in mine],
                ended_ns=ended_ns[mine],
                ids=ids[mine],
            )
            for code, mine in positions.items()
        }

    def ended_within(self, last_day: int, days: int) -> np.ndarray:
        """Positions of the patrols ended in the ``days`` local days up to ``last_day``."""
        return np.flatnonzero((self.day > last_day - days) & (self.day <= last_day))

    def cells_of(self, positions: np.ndarray) -> list[int]:
        if not positions.size:
            return []
        return [int(c) for c in np.unique(np.concatenate([self.cells[i] for i in positions]))]

    def newest_ids(self, positions: np.ndarray) -> list[str]:
        """Ids newest first (ties by id), at most :data:`EVIDENCE_CAP`."""
        order = sorted(positions, key=lambda i: (-int(self.ended_ns[i]), str(self.ids[i])))
        return [str(self.ids[i]) for i in order[:EVIDENCE_CAP]]


def _details(
    core: float, ring: float, ids: list[Any], grid: Grid, covered: int, rule: Rule
) -> dict[str, Any]:
    return {
        "core_value": round(core, DECIMALS),
        "buffer_value": round(ring, DECIMALS),
        "evidence": {**empty_evidence(), "patrol_ids": ids},
        "cells": len(grid),
        "cells_covered": covered,
        "cell_m": grid.cell_m,
        "reach_m": float(rule.params["reach_m"]),
    }


def patrol_coverage_values(span: DailySpan, rule: Rule) -> pd.DataFrame:
    """The share 0-100 of a community's cells (territory and approach zone, ``params.cell_m``
    metres square) within ``params.reach_m`` of a track of a patrol ended in the window; the
    territory's and the ring's own shares in ``details.core_value`` and ``details.buffer_value``.
    Baseline: the median share of the twelve windows before (as for the other indicators)."""
    days = rule.window_days or 30
    k = baseline_windows(days, BASELINE_DAYS)
    grids, patrols = _patrol_cells(span, rule)
    by_community = _Patrols.by_community(patrols)
    frames = []
    for moment, end_day in zip(span.moments, span.ends, strict=True):
        shares, baselines, inputs, details = [], [], [], []
        for code in span.codes:
            grid = grids[str(code)]
            mine = by_community.get(code)
            if mine is None:  # no patrol in the span: nothing covered, now or before
                shares.append(0.0)
                baselines.append(0.0)
                inputs.append(0)
                details.append(_details(0.0, 0.0, [], grid, 0, rule))
                continue
            current = mine.ended_within(end_day, days)
            cells = mine.cells_of(current)
            share, core, ring = coverage_shares(grid, cells)
            past = [
                coverage_shares(grid, mine.cells_of(mine.ended_within(end_day - j * days, days)))[0]
                for j in range(1, k + 1)
            ]
            shares.append(share)
            baselines.append(float(np.median(past)))
            inputs.append(len(current))
            details.append(_details(core, ring, mine.newest_ids(current), grid, len(cells), rule))
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
