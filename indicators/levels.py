"""Levels and their one order: ``none < warning < high < critical``.

An indicator value reaches a level through its rule's thresholds (:mod:`indicators.rules`); an
alert has the highest level of its category's values (:mod:`alerts`). Both use this enum.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Level(StrEnum):
    none = "none"
    warning = "warning"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        """0 for ``none`` up to 3 for ``critical``: the order of the levels."""
        return _RANK[self]

    def at_least(self, other: Level | str) -> bool:
        return self.rank >= Level(other).rank


_RANK = {Level.none: 0, Level.warning: 1, Level.high: 2, Level.critical: 3}


def max_level(levels: Iterable[Level | str]) -> Level:
    """The highest of ``levels`` (``none`` when empty)."""
    return max((Level(level) for level in levels), key=lambda level: level.rank, default=Level.none)
