"""Indicator rules as data: window, thresholds and parameters from ``fixtures/indicators.yaml``
(the ``indicator_rule`` rows). Nothing here knows a number of its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from indicators.levels import Level


@dataclass(frozen=True)
class Rule:
    """One indicator of the catalog: ``None`` thresholds mean "no such level"."""

    code: str
    category: str
    window_days: int | None
    warning: float | None
    high: float | None
    critical: float | None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def top(self) -> float | None:
        """The highest defined threshold (used to normalize the value into the threat index)."""
        defined = [t for t in (self.critical, self.high, self.warning) if t is not None]
        return max(defined) if defined else None

    def level(self, value: float) -> Level:
        """The level a plain value reaches; special rules are applied by the indicator itself."""
        if self.critical is not None and value >= self.critical:
            return Level.critical
        if self.high is not None and value >= self.high:
            return Level.high
        if self.warning is not None and value >= self.warning:
            return Level.warning
        return Level.none


Rules = Mapping[str, Rule]


def rules_from_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, Rule]:
    """Build the rules from mappings shaped like ``indicators.yaml`` entries or ``indicator_rule`` rows."""
    rules: dict[str, Rule] = {}
    for entry in entries:
        rules[str(entry["code"])] = Rule(
            code=str(entry["code"]),
            category=str(entry["category"]),
            window_days=None if entry.get("window_days") is None else int(entry["window_days"]),
            warning=_number(entry.get("warning")),
            high=_number(entry.get("high")),
            critical=_number(entry.get("critical")),
            params=dict(entry.get("params") or {}),
        )
    return rules


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
