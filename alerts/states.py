"""What the alert lifecycle reads and decides: fingerprints, category states, open alerts, what
resolved alerts had seen, silences, the policy, events and decisions (plain frozen data)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from indicators.levels import Level, max_level


class EventKind(StrEnum):
    raised = "raised"
    escalated = "escalated"
    deescalated = "deescalated"
    acknowledged = "acknowledged"
    reminded = "reminded"
    escalated_national = "escalated_national"
    resolved = "resolved"


NOTIFY_KINDS = frozenset(
    {
        EventKind.raised,
        EventKind.escalated,
        EventKind.escalated_national,
        EventKind.reminded,
        EventKind.resolved,
    }
)


@dataclass(frozen=True, order=True)
class Fingerprint:
    community_code: str
    category: str

    @property
    def key(self) -> str:
        return f"{self.community_code}:{self.category}"


@dataclass(frozen=True)
class Reading:
    """The latest value of one indicator for one community."""

    code: str
    community_code: str
    category: str
    level: Level
    revision: int
    core_value: float | None = None  # the part of the value inside the titled territory
    rows: frozenset[str] = frozenset()  # the input rows it counted, as "kind:id"


@dataclass(frozen=True)
class CategoryState:
    """A category's level for a community: the highest level of its indicators."""

    fingerprint: Fingerprint
    level: Level
    revision: int  # the newest revision among its values: what "new evidence" means
    territory_hit: bool
    codes: tuple[str, ...]
    rows: frozenset[str] = frozenset()  # the input rows its values counted, as "kind:id"
    # Set by the fast path: the state comes straight from the reports, newer than any value, and
    # holds the alert until the computation with this number has committed.
    hold_until: int | None = None

    @property
    def from_report(self) -> bool:
        return self.hold_until is not None


def category_states(readings: Iterable[Reading]) -> dict[Fingerprint, CategoryState]:
    """Group the latest readings per (community, category)."""
    grouped: dict[Fingerprint, list[Reading]] = {}
    for reading in readings:
        grouped.setdefault(Fingerprint(reading.community_code, reading.category), []).append(
            reading
        )
    return {
        fp: CategoryState(
            fingerprint=fp,
            level=max_level(r.level for r in group),
            revision=max(r.revision for r in group),
            territory_hit=any((r.core_value or 0) > 0 for r in group),
            codes=tuple(sorted(r.code for r in group)),
            rows=frozenset().union(*(r.rows for r in group)),
        )
        for fp, group in grouped.items()
    }


@dataclass(frozen=True)
class OpenAlert:
    """An alert that is not resolved, as the lifecycle needs to see it."""

    id: int
    fingerprint: Fingerprint
    level: Level
    acknowledged: bool
    opened_at: datetime
    level_since: datetime
    last_notified_at: datetime | None
    national_escalated_at: datetime | None
    below_warning_since: datetime | None
    seen_revision: int | None
    routed_to: tuple[str, ...]
    territory_hit: bool = False
    hold_until: int | None = None
    # The institutions that acknowledged for themselves at the current level (DESIGN section 12);
    # ``acknowledged`` is the alert as a whole (every institution did, or an analyst or admin).
    acknowledged_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResolvedMark:
    """What the last resolved alert of a fingerprint had seen: the newest revision, the level its
    values had (``none`` if they were below warning) and the rows behind them."""

    revision: int | None
    level: Level
    rows: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SilenceRule:
    """A time-bounded matcher; ``None`` matches any community or category."""

    id: int
    community_code: str | None
    category: str | None
    starts_at: datetime
    ends_at: datetime

    def mutes(self, fingerprint: Fingerprint, now: datetime) -> bool:
        return (
            self.starts_at <= now < self.ends_at
            and self.community_code in (None, fingerprint.community_code)
            and self.category in (None, fingerprint.category)
        )


@dataclass(frozen=True)
class Policy:
    reminder_interval: timedelta = timedelta(hours=24)
    national_after: timedelta = timedelta(hours=12)
    auto_resolve_after: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Event:
    kind: EventKind
    level: Level
    previous_level: Level | None = None
    muted_by: str | None = None
    # Whom the event is for when not every institution of the alert: a reminder goes to the
    # institutions that have not acknowledged, an escalation to national level to its targets.
    institutions: tuple[str, ...] = ()

    @property
    def notifies(self) -> bool:
        return self.kind in NOTIFY_KINDS and self.muted_by is None


@dataclass(frozen=True)
class Decision:
    """What becomes of one fingerprint: the alert after this evaluation and the events to record."""

    fingerprint: Fingerprint
    alert_id: int | None  # None: a new alert
    level: Level
    acknowledged: bool
    opened_at: datetime
    level_since: datetime
    below_warning_since: datetime | None
    seen_revision: int | None
    hold_until: int | None
    territory_hit: bool
    routed_to: tuple[str, ...]  # every institution the alert reached, national ones included
    institutions: tuple[str, ...]  # ordinary routing of the category now
    national: tuple[str, ...]  # national-escalation institutions (empty until escalated)
    national_escalated: bool
    resolved: bool
    muted_by: str | None
    state: CategoryState | None  # new indicator evidence to keep, if any
    events: tuple[Event, ...] = field(default_factory=tuple)
    # The institutions that acknowledged for themselves at the current level (a rise clears them).
    acknowledged_by: frozenset[str] = frozenset()
