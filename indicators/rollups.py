"""Per community and local day rollups of the indicator events, and the span of days a run computes
values from. Windows are whole local days, so a window's value is a sum of daily rollups: a run after
new rows only needs the rollups of the days they touch, and the series for many days costs little
more than for one.

A rollup row (:data:`indicators.columns.ROLLUP_COLUMNS`): ``code, community_code, day`` (days since
1970-01-01, Lima calendar), ``core_value, buffer_value`` (summed weights by zone), ``inputs`` (rows
counted) and ``severe`` (rows severe enough to make the indicator critical on their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from indicators.columns import ROLLUP_COLUMNS, ROLLUP_KEY, no_patrols
from indicators.days import day_number
from indicators.rules import Rules
from indicators.windows import lookback_days
from indicators.zones import CORE

EVIDENCE_KEYS = {
    "report": "report_ids",
    "fire_hotspot": "fire_hotspot_ids",
    "deforestation_alert": "deforestation_alert_ids",
    "patrol": "patrol_ids",  # listed only where patrols count (not in empty_evidence)
}
EVIDENCE_CAP = 50


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


@dataclass(frozen=True)
class DailySpan:
    """What a run computes indicator values from: the daily rollups of ``first_day`` onwards, the
    communities, the moments to compute (one per local day), the events of at least the current
    windows (their ids are the evidence), the rules, and the values already computed in this run
    (``parts``: the threat index is made of them). Build it with :meth:`of`."""

    rollups: pd.DataFrame
    communities: pd.DataFrame
    moments: tuple[datetime, ...]
    first_day: int
    rules: Rules
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    parts: tuple[pd.DataFrame, ...] = ()
    # The patrols (with their tracks) of the lookback: patrol coverage is no sum of days.
    patrols: pd.DataFrame = field(default_factory=no_patrols)

    @classmethod
    def of(
        cls,
        *,
        rollups: pd.DataFrame,
        communities: pd.DataFrame,
        rules: Rules,
        as_of: datetime | Sequence[datetime],
        events: pd.DataFrame | None = None,
        patrols: pd.DataFrame | None = None,
    ) -> DailySpan:
        """The span for the local day of ``as_of`` (or of each moment of a sequence): it starts
        early enough for every window and baseline of ``rules``."""
        moments = (as_of,) if isinstance(as_of, datetime) else tuple(sorted(as_of))
        first_day = min(day_number(m) for m in moments) - lookback_days(rules) + 1
        return cls(
            rollups=rollups,
            communities=communities,
            moments=moments,
            first_day=first_day,
            rules=rules,
            events=events if events is not None else pd.DataFrame(),
            patrols=patrols if patrols is not None else no_patrols(),
        )

    @cached_property
    def codes(self) -> pd.Index:
        """The communities' codes, in the order of every array of the span."""
        codes: pd.Index = pd.Index(
            self.communities["code"].to_numpy(dtype=object), name="community_code"
        )
        return codes

    @cached_property
    def ends(self) -> list[int]:
        """The local day number of each moment."""
        return [day_number(m) for m in self.moments]

    @property
    def length(self) -> int:
        """How many days the span covers, from ``first_day`` to the last moment's day."""
        return max(self.ends) - self.first_day + 1

    def dense(self, code: str) -> dict[str, np.ndarray]:
        """(communities x days) arrays of one code's rollups, zero where nothing happened."""
        rollups, codes, length = self.rollups, self.codes, self.length
        mine = rollups[rollups["code"] == code]
        row = codes.get_indexer(pd.Index(mine["community_code"]))
        col = mine["day"].to_numpy(dtype=np.int64) - self.first_day
        keep = (row >= 0) & (col >= 0) & (col < length)
        flat = row[keep] * length + col[keep]
        size = len(codes) * length
        out = {}
        for name in ("core_value", "buffer_value", "inputs", "severe"):
            values = mine[name].to_numpy(dtype=float)[keep]
            out[name] = np.bincount(flat, weights=values, minlength=size).reshape(
                len(codes), length
            )
        return out

    def events_of(self, code: str) -> pd.DataFrame:
        """The events of one indicator (without their ``code`` column)."""
        events = self.events
        if not len(events):
            return events
        mine: pd.DataFrame = events[events["code"].to_numpy() == code].drop(columns="code")
        return mine


def empty_evidence() -> dict[str, list[Any]]:
    return {key: [] for kind, key in EVIDENCE_KEYS.items() if kind != "patrol"}


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
        entry = result.setdefault(community, empty_evidence())
        entry[EVIDENCE_KEYS[str(kind)]] = [
            i.item() if isinstance(i, np.generic) else i for i in ids
        ]
    return result
