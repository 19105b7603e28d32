"""Which local days a computation rebuilds and recomputes (pure: day numbers in, day numbers out).

Days are numbered since 1970-01-01 in Lima's calendar (:func:`indicators.days.local_day_number`).
Input rows count on the day they were observed (a deforestation alert on its date), so a change to
the rows of day ``d`` changes the rollups of ``d`` only, and the values of ``d`` and of the days
after it whose windows (and baselines) reach back to ``d``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from indicators.catalog import ALGORITHM_VERSION
from indicators.columns import ROLLUP_KEY
from indicators.days import day_as_of, day_number
from indicators.rules import Rules
from indicators.windows import lookback_days

# Rollups are sums of floats: a rebuild that adds the same rows in another order may differ here.
ROLLUP_DECIMALS = 9


def first_day_read(last_day: int, rules: Rules) -> int:
    """The earliest day whose rollups the values of ``last_day`` (and their baselines) read."""
    return last_day - lookback_days(rules) + 1


def longest_window(rules: Rules) -> int:
    return max((rule.window_days or 1) for rule in rules.values())


def rollup_days(pending: Iterable[int], *, first_kept: int) -> list[int]:
    """The pending days worth rebuilding: those on or after ``first_kept`` (older days reach no
    value any more), sorted."""
    return sorted({int(day) for day in pending if day >= first_kept})


def value_days(
    changed: Iterable[int], *, today: int, stored: tuple[int, int] | None, rules: Rules
) -> list[int]:
    """The days whose values a change on ``changed`` days moves: from the first changed day (not
    before the first stored day, nor more than the longest window before ``today``: older values
    are history) to today, or to the last stored day if later (a run for an earlier ``as_of``
    leaves no later value stale). Always includes ``today``; the days between a ``today`` before
    every stored day and the first stored one have no values to keep fresh, so a run for a far
    earlier ``as_of`` does not compute the years in between. ``stored``: the first and last day
    with stored values, if any."""
    if stored is None:
        return [today]
    first_stored, last_stored = stored
    first = max(min([today, *changed]), first_stored, today - longest_window(rules))
    return sorted({today, *range(first, max(today, last_stored) + 1)})


def moments(days: Sequence[int], as_of: datetime) -> list[datetime]:
    """When to compute each day's values: ``as_of`` for its own day, the end of the others (windows
    are whole days, so any moment of a day gives the same numbers)."""
    today = day_number(as_of)
    return sorted({as_of if day == today else day_as_of(day) for day in days})


def day_spans(days: Iterable[int]) -> list[tuple[int, int]]:
    """Runs of consecutive days as ``(first, last)`` pairs, in order."""
    spans: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if spans and day == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def changed_communities(stored: pd.DataFrame, rebuilt: pd.DataFrame) -> list[str]:
    """Communities whose rollups differ between ``stored`` and ``rebuilt`` (of the same days)."""
    columns = ["core_value", "buffer_value", "inputs", "severe"]

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        # An empty frame read from the store carries no types: give the key its own.
        return frame[[*ROLLUP_KEY, *columns]].astype(
            {"code": object, "community_code": object, "day": "int64"}
        )

    merged = pd.merge(
        keyed(stored),
        keyed(rebuilt),
        on=ROLLUP_KEY,
        how="outer",
        suffixes=("_stored", "_rebuilt"),
    )
    differs = np.zeros(len(merged), dtype=bool)
    for column in columns:
        old = merged[f"{column}_stored"].to_numpy(dtype=float)
        new = merged[f"{column}_rebuilt"].to_numpy(dtype=float)
        differs |= np.isnan(old) | np.isnan(new)
        differs |= np.round(old, ROLLUP_DECIMALS) != np.round(new, ROLLUP_DECIMALS)
    return sorted({str(c) for c in merged.loc[differs, "community_code"]})


def rules_hash(rules: Rules) -> str:
    """What the rollups depend on: each rule's window and parameters, and the algorithm."""
    spec = {c: [r.window_days, dict(r.params)] for c, r in sorted(rules.items())}
    raw = json.dumps([ALGORITHM_VERSION, spec], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def shards(codes: Sequence[str], xs: Sequence[float], size: int) -> list[list[str]]:
    """Communities in shards of at most ``size`` (``size`` < 1: one shard), west to east by
    ``xs`` (each community's longitude; ties by code), so a shard covers a narrow band of the
    country and reads only the satellite points in it. Every code once, in one shard; the order of
    the shards, concatenated, is the order a computation numbers its revisions in."""
    if len(codes) != len(xs):
        raise ValueError("one longitude per community")
    ordered = [code for _, code in sorted(zip((float(x) for x in xs), codes, strict=True))]
    if not ordered:
        return []
    step = size if size >= 1 else len(ordered)
    return [ordered[i : i + step] for i in range(0, len(ordered), step)]
