"""An alert's evidence: what it keeps of the indicator values that raised it (never who reported),
and the ids of the reports, hotspots and deforestation alerts behind them, merged as they come."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row

from ews.alerting.loading import EVIDENCE_ID_KINDS
from ews.models import IndicatorValue

# An alert keeps at most this many ids of each kind (the newest); the indicator values say the rest.
MAX_EVIDENCE_IDS = 500


def indicator_snapshot(value: Row[Any] | IndicatorValue) -> dict[str, Any]:
    """What an alert keeps of one indicator value (never who reported)."""
    details = value.details or {}
    snapshot: dict[str, Any] = {
        "code": value.code,
        "value": value.value,
        "level": value.level,
        "baseline": value.baseline,
        "inputs": value.inputs,
        "window_start": value.window_start.isoformat(),
        "window_end": value.window_end.isoformat(),
        "core_value": details.get("core_value"),
        "buffer_value": details.get("buffer_value"),
    }
    if "contributions" in details:
        snapshot["contributions"] = details["contributions"]
    return snapshot


def evidence_ids(value: Row[Any] | IndicatorValue) -> dict[str, list[Any]]:
    found = (value.details or {}).get("evidence") or {}
    return {kind: list(found.get(kind) or []) for kind in EVIDENCE_ID_KINDS}


@dataclass
class Evidence:
    """New evidence for one fingerprint: indicator snapshots and the ids behind them."""

    indicators: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_values(cls, values: Sequence[Row[Any]]) -> Evidence:
        evidence = cls()
        for value in values:
            evidence.indicators.append(indicator_snapshot(value))
            for kind, ids in evidence_ids(value).items():
                evidence.ids.setdefault(kind, []).extend(ids)
        return evidence


def merged_evidence(
    previous: Mapping[str, Any], new: Evidence | None, *, territory_hit: bool
) -> dict[str, Any]:
    """The alert's evidence: the newest snapshot per indicator, and every id seen (newest kept)."""
    indicators = {item["code"]: item for item in previous.get("indicators", [])}
    result: dict[str, Any] = {"territory_hit": territory_hit}
    for kind in EVIDENCE_ID_KINDS:
        ids = list(previous.get(kind, []))
        if new is not None:
            seen = set(ids)
            for item in new.ids.get(kind, []):
                if item not in seen:
                    seen.add(item)
                    ids.append(item)
        result[kind] = ids[-MAX_EVIDENCE_IDS:]
    if new is not None:
        for item in new.indicators:
            indicators[item["code"]] = item
    result["indicators"] = [indicators[code] for code in sorted(indicators)]
    return result
