"""The defender-threat rule, for the fast path: a ``threat_to_defender`` report of severity 4 or 5
is evaluated at once, with the same thresholds as the ``defender_threats`` indicator."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from indicators.levels import Level

URGENT_THREAT = "threat_to_defender"
CATEGORY = "defender_safety"
CODE = "defender_threats"


@dataclass(frozen=True)
class DefenderRule:
    """Thresholds of ``defender_threats`` (the ``indicator_rule`` row): high at ``high`` reports,
    critical at ``critical`` reports or at one report of ``critical_min_severity`` or more."""

    threat_types: tuple[str, ...]
    window_days: int
    warning: float | None
    high: float | None
    critical: float | None
    critical_min_severity: int

    @classmethod
    def from_row(
        cls,
        *,
        window_days: int | None,
        warning: float | None,
        high: float | None,
        critical: float | None,
        params: Mapping[str, Any],
    ) -> DefenderRule:
        return cls(
            threat_types=tuple(params.get("threat_types") or (URGENT_THREAT,)),
            window_days=window_days or 30,
            warning=warning,
            high=high,
            critical=critical,
            critical_min_severity=int(params.get("critical_min_severity", 4)),
        )


def is_urgent(threat_type: str, severity: int, rule: DefenderRule) -> bool:
    """Does this report go through the fast path?"""
    return threat_type == URGENT_THREAT and severity >= rule.critical_min_severity


def defender_level(severities: Iterable[int], rule: DefenderRule) -> tuple[int, Level]:
    """Count and level of the defender reports of one community in the window.

    ``severities`` are those of the community's reports of the rule's threat types in the window.
    """
    values = list(severities)
    count = len(values)
    if (rule.critical is not None and count >= rule.critical) or any(
        s >= rule.critical_min_severity for s in values
    ):
        return count, Level.critical
    if rule.high is not None and count >= rule.high:
        return count, Level.high
    if rule.warning is not None and count >= rule.warning:
        return count, Level.warning
    return count, Level.none
