"""The alert lifecycle as pure decisions (in the spirit of Prometheus Alertmanager).

``decide`` takes the latest indicator levels per fingerprint (community + category), the open
alerts, the silences, the routing rows and ``now``, and returns one ``Outcome`` per fingerprint that
changes: the alert's new state and the events to record. Nothing here reads a clock or a database.

Rules (DESIGN section 5):

- one open alert per fingerprint; new evidence updates it, never duplicates it;
- ``raised`` when a category reaches warning with no open alert; ``escalated`` when its level goes
  up (an acknowledged alert then needs a new acknowledgement); ``deescalated`` when it goes down but
  stays at warning or above;
- ``resolved`` after the category stays below warning for ``auto_resolve_after`` evaluations; an
  evaluation counts only when its indicator values are newer than the ones the alert last saw, so a
  rerun on the same data changes nothing;
- ``reminded`` when an unacknowledged alert was last notified ``reminder_interval`` ago;
- ``escalated_national`` for every critical alert, and for a high alert unacknowledged
  ``national_after`` after it became high;
- a matching silence mutes an event (recorded, not sent); inhibition mutes a warning alert of a
  community that also has a critical alert whose institutions already cover the warning's: it adds
  nothing. While muted, reminders and escalations to national level wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.levels import Level, max_level
from alerts.routing import (
    ContactInfo,
    RoutingRule,
    national_institutions,
    route_institutions,
    select_contacts,
    select_national_contacts,
)

INHIBITED = "inhibited"


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
    window_end: datetime
    core_value: float | None = None  # the part of the value inside the titled territory


@dataclass(frozen=True)
class CategoryState:
    """A category's level for a community: the highest level of its indicators."""

    fingerprint: Fingerprint
    level: Level
    through: datetime  # the newest window end behind it: what "a new evaluation" means
    territory_hit: bool
    codes: tuple[str, ...]


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
            through=max(r.window_end for r in group),
            territory_hit=any((r.core_value or 0) > 0 for r in group),
            codes=tuple(sorted(r.code for r in group)),
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
    below_warning_count: int
    evaluated_through: datetime | None
    routed_to: tuple[str, ...]
    territory_hit: bool = False


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
    auto_resolve_after: int = 2


@dataclass(frozen=True)
class Event:
    kind: EventKind
    level: Level
    previous_level: Level | None = None
    muted_by: str | None = None

    @property
    def notifies(self) -> bool:
        return self.kind in NOTIFY_KINDS and self.muted_by is None


@dataclass(frozen=True)
class Outcome:
    """What becomes of one fingerprint: the alert after this evaluation and the events to record."""

    fingerprint: Fingerprint
    alert_id: int | None  # None: a new alert
    level: Level
    acknowledged: bool
    opened_at: datetime
    level_since: datetime
    below_warning_count: int
    evaluated_through: datetime | None
    territory_hit: bool
    routed_to: tuple[str, ...]  # every institution the alert reached, national ones included
    institutions: tuple[str, ...]  # ordinary routing of the category now
    national: tuple[str, ...]  # national-escalation institutions (empty until escalated)
    national_escalated: bool
    resolved: bool
    muted_by: str | None
    state: CategoryState | None  # new indicator evidence to keep, if any
    events: tuple[Event, ...] = field(default_factory=tuple)


def _draft_new(state: CategoryState, now: datetime) -> Outcome:
    return Outcome(
        fingerprint=state.fingerprint,
        alert_id=None,
        level=state.level,
        acknowledged=False,
        opened_at=now,
        level_since=now,
        below_warning_count=0,
        evaluated_through=state.through,
        territory_hit=state.territory_hit,
        routed_to=(),
        institutions=(),
        national=(),
        national_escalated=False,
        resolved=False,
        muted_by=None,
        state=state,
        events=(Event(EventKind.raised, state.level),),
    )


def _draft_existing(
    alert: OpenAlert, state: CategoryState | None, now: datetime, policy: Policy
) -> Outcome:
    draft = Outcome(
        fingerprint=alert.fingerprint,
        alert_id=alert.id,
        level=alert.level,
        acknowledged=alert.acknowledged,
        opened_at=alert.opened_at,
        level_since=alert.level_since,
        below_warning_count=alert.below_warning_count,
        evaluated_through=alert.evaluated_through,
        territory_hit=alert.territory_hit,
        routed_to=alert.routed_to,
        institutions=(),
        national=(),
        national_escalated=alert.national_escalated_at is not None,
        resolved=False,
        muted_by=None,
        state=None,
    )
    newer = state is not None and (
        alert.evaluated_through is None or state.through > alert.evaluated_through
    )
    if not newer or state is None:
        return draft
    draft = replace(
        draft,
        state=state,
        evaluated_through=state.through,
        territory_hit=alert.territory_hit or state.territory_hit,
    )
    if state.level is Level.none:
        count = alert.below_warning_count + 1
        if count >= policy.auto_resolve_after:
            return replace(
                draft,
                below_warning_count=count,
                resolved=True,
                events=(Event(EventKind.resolved, alert.level),),
            )
        return replace(draft, below_warning_count=count)
    draft = replace(draft, below_warning_count=0)
    if state.level.rank > alert.level.rank:
        return replace(
            draft,
            level=state.level,
            level_since=now,
            acknowledged=False,  # a higher level needs a new acknowledgement
            events=(Event(EventKind.escalated, state.level, previous_level=alert.level),),
        )
    if state.level.rank < alert.level.rank:
        return replace(
            draft,
            level=state.level,
            level_since=now,
            events=(Event(EventKind.deescalated, state.level, previous_level=alert.level),),
        )
    return draft


def _critical_institutions(drafts: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    """Per community, its critical alerts that stay open: the candidates to inhibit."""
    by_community: dict[str, list[Outcome]] = {}
    for draft in drafts:
        if draft.level is Level.critical and not draft.resolved:
            by_community.setdefault(draft.fingerprint.community_code, []).append(draft)
    return by_community


def _inhibited(draft: Outcome, criticals: Mapping[str, list[Outcome]]) -> bool:
    """A warning alert adds nothing when a critical alert of the same community already reaches
    every institution it would reach."""
    if draft.level is not Level.warning or draft.resolved:
        return False
    return any(
        other.fingerprint != draft.fingerprint
        and set(draft.institutions) <= set(other.institutions)
        for other in criticals.get(draft.fingerprint.community_code, ())
    )


def decide(
    *,
    states: Mapping[Fingerprint, CategoryState],
    alerts: Iterable[OpenAlert],
    silences: Iterable[SilenceRule],
    routing: Sequence[RoutingRule],
    now: datetime,
    policy: Policy = Policy(),
    resolved_through: Mapping[Fingerprint, datetime] | None = None,
) -> list[Outcome]:
    """Decide every fingerprint's outcome; returns only those with events or new evidence.

    ``resolved_through`` gives, per fingerprint, the evidence mark of its last resolved alert: a
    new alert is raised only on values newer than that, so a resolved alert is not raised again
    from the very values it was resolved on.
    """
    open_by_fp = {alert.fingerprint: alert for alert in alerts}
    resolved_through = resolved_through or {}
    national = national_institutions(routing)
    drafts: list[Outcome] = []
    for fp in sorted(set(states) | set(open_by_fp)):
        state = states.get(fp)
        alert = open_by_fp.get(fp)
        if alert is not None:
            draft = _draft_existing(alert, state, now, policy)
        elif (
            state is not None
            and state.level.at_least(Level.warning)
            and (fp not in resolved_through or state.through > resolved_through[fp])
        ):
            draft = _draft_new(state, now)
        else:
            continue
        institutions = route_institutions(fp.category, routing, territory_hit=draft.territory_hit)
        drafts.append(replace(draft, institutions=institutions))

    silence_list = list(silences)
    criticals = _critical_institutions(drafts)
    outcomes: list[Outcome] = []
    for draft in drafts:
        silence = next((s for s in silence_list if s.mutes(draft.fingerprint, now)), None)
        muted_by = (
            f"silence:{silence.id}"
            if silence is not None
            else (INHIBITED if _inhibited(draft, criticals) else None)
        )
        events = [replace(event, muted_by=muted_by) for event in draft.events]
        national_escalated = draft.national_escalated
        if not draft.resolved and muted_by is None:
            if not national_escalated and (
                draft.level is Level.critical
                or (
                    draft.level is Level.high
                    and not draft.acknowledged
                    and now - draft.level_since >= policy.national_after
                )
            ):
                national_escalated = True
                events.append(Event(EventKind.escalated_national, draft.level))
            alert = open_by_fp.get(draft.fingerprint)
            last = (alert.last_notified_at or alert.opened_at) if alert is not None else None
            if (
                last is not None
                and not draft.acknowledged
                and not any(event.notifies for event in events)
                and now - last >= policy.reminder_interval
            ):
                events.append(Event(EventKind.reminded, draft.level))
        routed = list(draft.routed_to)
        for code in draft.institutions + (national if national_escalated else ()):
            if code not in routed:
                routed.append(code)
        outcome = replace(
            draft,
            muted_by=muted_by,
            national_escalated=national_escalated,
            national=national if national_escalated else (),
            routed_to=tuple(routed),
            events=tuple(events),
        )
        if outcome.events or outcome.state is not None:
            outcomes.append(outcome)
    return outcomes


@dataclass(frozen=True)
class Message:
    """One notification to queue: the index of its event in the outcome and the contact's id."""

    event_index: int
    contact_id: int
    institution_code: str
    channel: str


def plan_messages(
    outcome: Outcome, contacts: Sequence[ContactInfo], *, region_ubigeo: str
) -> list[Message]:
    """Who hears of each notifying event of ``outcome``: one message per contact per outcome.

    Ordinary events go to the category's institutions (scope, region and minimum level) and, once
    the alert was escalated to national level before, to the national contacts of the national
    institutions; an ``escalated_national`` event goes to those national contacts.
    """
    escalated_now = any(e.kind is EventKind.escalated_national for e in outcome.events)
    already_escalated = outcome.national_escalated and not escalated_now
    seen: set[int] = set()
    messages: list[Message] = []
    for index, event in enumerate(outcome.events):
        if not event.notifies:
            continue
        if event.kind is EventKind.escalated_national:
            chosen = select_national_contacts(contacts, institutions=outcome.national)
        else:
            chosen = select_contacts(
                contacts,
                institutions=outcome.institutions,
                region_ubigeo=region_ubigeo,
                level=event.level,
            )
            if already_escalated:
                chosen += select_national_contacts(contacts, institutions=outcome.national)
        for contact in chosen:
            if contact.id not in seen:
                seen.add(contact.id)
                messages.append(
                    Message(index, contact.id, contact.institution_code, contact.channel)
                )
    return messages


def resolve_by_hand(
    alert: OpenAlert,
    *,
    routing: Sequence[RoutingRule],
    silences: Iterable[SilenceRule],
    now: datetime,
) -> Outcome:
    """An institution or analyst resolves ``alert``: a ``resolved`` event to everyone it reached
    (muted by a matching silence). Its evidence mark moves to ``now`` so the values it was resolved
    on do not raise it again."""
    silence = next((s for s in silences if s.mutes(alert.fingerprint, now)), None)
    escalated = alert.national_escalated_at is not None
    return Outcome(
        fingerprint=alert.fingerprint,
        alert_id=alert.id,
        level=alert.level,
        acknowledged=alert.acknowledged,
        opened_at=alert.opened_at,
        level_since=alert.level_since,
        below_warning_count=alert.below_warning_count,
        evaluated_through=max(alert.evaluated_through or now, now),
        territory_hit=alert.territory_hit,
        routed_to=alert.routed_to,
        institutions=route_institutions(
            alert.fingerprint.category, routing, territory_hit=alert.territory_hit
        ),
        national=national_institutions(routing) if escalated else (),
        national_escalated=escalated,
        resolved=True,
        muted_by=f"silence:{silence.id}" if silence is not None else None,
        state=None,
        events=(
            Event(
                EventKind.resolved,
                alert.level,
                muted_by=f"silence:{silence.id}" if silence is not None else None,
            ),
        ),
    )
