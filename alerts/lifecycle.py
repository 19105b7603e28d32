"""The alert lifecycle as pure decisions (in the spirit of Prometheus Alertmanager).

``decide`` takes the category states (the latest indicator values per community + category), the
open alerts, the silences, the routing rows, the number of the last computation done and ``now``,
and returns one ``Decision`` per fingerprint that changes: the alert's new state and the events to
record. Nothing here reads a clock or a database. Each rule is a small named predicate.

Rules (DESIGN sections 5 and 10):

- one open alert per fingerprint; new evidence updates it, never duplicates it;
- new evidence is judged by change, not by the calendar: every stored indicator value carries a
  revision that grows when its number, level or details change, and an alert acts on its category
  when one of the category's values is newer than the revisions it has seen (:func:`is_new`). A
  rise escalates at the next evaluation, the same day; a fall deescalates;
- ``raised`` when a category reaches warning with no open alert; after a resolve, only on values
  that bring rows the resolved alert had not seen or a higher level (:func:`should_raise`);
- ``escalated`` / ``deescalated`` when the level goes up / down (staying at warning or above); a
  rise asks for a new acknowledgement;
- ``resolved`` once the category has stayed below warning for ``policy.auto_resolve_after``,
  counted from the evaluation that first saw it fall (:func:`needs_auto_resolve`);
- the fast path (a defender threat report) brings a state straight from the reports: always new,
  and it *holds* the alert (:func:`holds`): until the computation numbered ``hold_until`` has
  committed (the first one sure to count the report), values cannot lower the alert, and the
  first evaluation after that judges the values again (:func:`hold_released`). Whichever runs
  last, the schedule or the fast path, decides on the newer evidence;
- each routed institution acknowledges for itself (DESIGN section 12): the alert as a whole is
  acknowledged once every institution of its category has (or an analyst or admin acknowledged
  it); the institutions still to acknowledge are :func:`pending_institutions`;
- ``reminded`` when an alert with institutions still to acknowledge was last notified
  ``reminder_interval`` ago (:func:`needs_reminder`), for those institutions only;
- ``escalated_national`` for every critical alert, to the national contacts of every national
  institution; and for a high alert with institutions still to acknowledge ``national_after`` after
  it became high, to the national contacts of the national institutions (MINJUS, DP) that have not
  acknowledged it (:func:`national_targets`, :func:`needs_national_escalation`);
- a matching silence mutes an event (recorded, not sent); inhibition mutes a warning alert of a
  community that also has a critical alert whose institutions already cover the warning's: it adds
  nothing (:func:`mutes`). While muted, reminders and escalations to national level wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from alerts.routing import (
    RoutingRule,
    national_institutions,
    route_institutions,
)
from alerts.states import (
    CategoryState,
    Decision,
    Event,
    EventKind,
    Fingerprint,
    OpenAlert,
    Policy,
    ResolvedMark,
    SilenceRule,
)
from indicators.levels import Level, max_level

INHIBITED = "inhibited"
DEFAULT_POLICY = Policy()

__all__ = [
    "INHIBITED",
    "decide",
    "hold_released",
    "holds",
    "is_new",
    "mutes",
    "national_targets",
    "needs_auto_resolve",
    "needs_national_escalation",
    "needs_reminder",
    "pending_institutions",
    "resolve_by_hand",
    "should_raise",
    "state_matters",
]


# The predicates: each rule of the lifecycle, by name.


def is_new(state: CategoryState, seen_revision: int | None) -> bool:
    """Has ``state`` evidence newer than ``seen_revision``? A state from the fast path always has."""
    return state.from_report or seen_revision is None or state.revision > seen_revision


def holds(hold_until: int | None, computation: int) -> bool:
    """Is a fast-path decision still standing? Until computation ``hold_until`` has committed,
    the values may predate the urgent report."""
    return hold_until is not None and computation < hold_until


def hold_released(alert: OpenAlert, computation: int) -> bool:
    """Has the computation that counts the fast path's report committed since it held the alert?
    Its values are then judged whatever their revision."""
    return alert.hold_until is not None and computation >= alert.hold_until


def should_raise(state: CategoryState, resolved: ResolvedMark | None) -> bool:
    """A new alert for a fingerprint with no open one: at warning or above, and, after a resolve,
    only on new evidence that brings rows the resolved alert had not seen or a higher level (a
    fall, or values that count again what it was resolved on, are nothing new)."""
    if not state.level.at_least(Level.warning):
        return False
    if resolved is None:
        return True
    return is_new(state, resolved.revision) and (
        state.level.rank > resolved.level.rank or not state.rows <= resolved.rows
    )


def needs_auto_resolve(draft: Decision, now: datetime, policy: Policy) -> bool:
    """Below warning for ``policy.auto_resolve_after`` since the evaluation that saw it fall."""
    return (
        not draft.resolved
        and draft.below_warning_since is not None
        and now - draft.below_warning_since >= policy.auto_resolve_after
    )


def pending_institutions(draft: Decision) -> tuple[str, ...]:
    """The institutions of the alert's category that have not acknowledged it at its level (none
    once the alert as a whole is acknowledged or resolved)."""
    if draft.acknowledged or draft.resolved:
        return ()
    return tuple(code for code in draft.institutions if code not in draft.acknowledged_by)


def national_targets(draft: Decision, national: Sequence[str]) -> tuple[str, ...]:
    """Whose national contacts an escalation to national level reaches: for a critical alert every
    national institution; otherwise those of them that have not acknowledged the alert."""
    if draft.level is Level.critical:
        return tuple(national)
    return tuple(code for code in national if code not in draft.acknowledged_by)


def needs_national_escalation(
    draft: Decision, now: datetime, policy: Policy, national: Sequence[str] | None = None
) -> bool:
    """Every critical alert, and a high one with institutions still to acknowledge
    ``national_after`` after it became high, goes to the national contacts once: those of the
    ``national`` institutions that have not acknowledged (none left: no escalation)."""
    if draft.national_escalated or draft.resolved:
        return False
    if draft.level is Level.critical:
        return True
    return (
        draft.level is Level.high
        and bool(pending_institutions(draft))
        and now - draft.level_since >= policy.national_after
        and (national is None or bool(national_targets(draft, national)))
    )


def needs_reminder(
    alert: OpenAlert | None,
    draft: Decision,
    events: Sequence[Event],
    now: datetime,
    policy: Policy,
) -> bool:
    """An alert with institutions still to acknowledge notified nothing for
    ``reminder_interval`` (and nothing now)."""
    if alert is None or not pending_institutions(draft):
        return False
    if any(event.notifies for event in events):
        return False
    return now - (alert.last_notified_at or alert.opened_at) >= policy.reminder_interval


def mutes(
    draft: Decision,
    silences: Sequence[SilenceRule],
    criticals: Mapping[str, list[Decision]],
    now: datetime,
) -> str | None:
    """What mutes ``draft``'s events: a matching silence (``silence:<id>``), or inhibition: a
    warning alert adds nothing when a critical alert of the same community already reaches every
    institution it would reach."""
    silence = next((s for s in silences if s.mutes(draft.fingerprint, now)), None)
    if silence is not None:
        return f"silence:{silence.id}"
    if draft.level is not Level.warning or draft.resolved:
        return None
    inhibited = any(
        other.fingerprint != draft.fingerprint
        and set(draft.institutions) <= set(other.institutions)
        for other in criticals.get(draft.fingerprint.community_code, ())
    )
    return INHIBITED if inhibited else None


# Drafts: the alert after the evidence, before muting, escalation to national level and reminders.


def _draft_new(state: CategoryState, now: datetime, institutions: tuple[str, ...]) -> Decision:
    return Decision(
        fingerprint=state.fingerprint,
        alert_id=None,
        level=state.level,
        acknowledged=False,
        opened_at=now,
        level_since=now,
        below_warning_since=None,
        seen_revision=state.revision,
        hold_until=state.hold_until,
        territory_hit=state.territory_hit,
        routed_to=(),
        institutions=institutions,
        national=(),
        national_escalated=False,
        resolved=False,
        muted_by=None,
        state=state,
        events=(Event(EventKind.raised, state.level),),
    )


def _as_is(
    alert: OpenAlert, *, hold_until: int | None, institutions: tuple[str, ...] = ()
) -> Decision:
    return Decision(
        fingerprint=alert.fingerprint,
        alert_id=alert.id,
        level=alert.level,
        acknowledged=alert.acknowledged,
        acknowledged_by=alert.acknowledged_by,
        opened_at=alert.opened_at,
        level_since=alert.level_since,
        below_warning_since=alert.below_warning_since,
        seen_revision=alert.seen_revision,
        hold_until=hold_until,
        territory_hit=alert.territory_hit,
        routed_to=alert.routed_to,
        institutions=institutions,
        national=(),
        national_escalated=alert.national_escalated_at is not None,
        resolved=False,
        muted_by=None,
        state=None,
    )


class _Routes:
    """``route_institutions`` for each (category, territory hit), computed once per decision."""

    def __init__(self, routing: Sequence[RoutingRule]) -> None:
        self.routing = routing
        self.known: dict[tuple[str, bool], tuple[str, ...]] = {}

    def __call__(self, category: str, territory_hit: bool) -> tuple[str, ...]:
        key = (category, territory_hit)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = route_institutions(
                category, self.routing, territory_hit=territory_hit
            )
        return found


def _draft_existing(
    alert: OpenAlert,
    state: CategoryState | None,
    now: datetime,
    computation: int,
    routes: _Routes,
) -> Decision:
    held = holds(alert.hold_until, computation)
    hold_until = alert.hold_until if held else None
    category = alert.fingerprint.category
    if state is None or not (
        is_new(state, alert.seen_revision) or hold_released(alert, computation)
    ):
        return _as_is(
            alert, hold_until=hold_until, institutions=routes(category, alert.territory_hit)
        )
    level = state.level
    if held or state.from_report:
        level = max_level([level, alert.level])  # the values may predate the urgent report
    territory_hit = alert.territory_hit or state.territory_hit
    new_level = alert.level
    level_since = alert.level_since
    acknowledged = alert.acknowledged
    acknowledged_by = alert.acknowledged_by
    events: tuple[Event, ...] = ()
    if level is not Level.none and level.rank > alert.level.rank:
        new_level, level_since = level, now
        acknowledged = False  # a higher level needs a new acknowledgement
        acknowledged_by = frozenset()  # from every institution
        events = (Event(EventKind.escalated, level, previous_level=alert.level),)
    elif level is not Level.none and level.rank < alert.level.rank:
        new_level, level_since = level, now
        events = (Event(EventKind.deescalated, level, previous_level=alert.level),)
    return Decision(
        fingerprint=alert.fingerprint,
        alert_id=alert.id,
        level=new_level,
        acknowledged=acknowledged,
        acknowledged_by=acknowledged_by,
        opened_at=alert.opened_at,
        level_since=level_since,
        below_warning_since=(alert.below_warning_since or now) if level is Level.none else None,
        # The fast path saw reports, not values: the values stay to be evaluated.
        seen_revision=(
            alert.seen_revision
            if state.from_report
            else max(alert.seen_revision or 0, state.revision)
        ),
        hold_until=state.hold_until if state.from_report else hold_until,
        territory_hit=territory_hit,
        routed_to=alert.routed_to,
        institutions=routes(category, territory_hit),
        national=(),
        national_escalated=alert.national_escalated_at is not None,
        resolved=False,
        muted_by=None,
        state=state,
        events=events,
    )


def _auto_resolved(draft: Decision) -> Decision:
    return replace(draft, resolved=True, events=(Event(EventKind.resolved, draft.level),))


def _critical_institutions(drafts: Sequence[Decision]) -> dict[str, list[Decision]]:
    """Per community, its critical alerts that stay open: the candidates to inhibit."""
    by_community: dict[str, list[Decision]] = {}
    for draft in drafts:
        if draft.level is Level.critical and not draft.resolved:
            by_community.setdefault(draft.fingerprint.community_code, []).append(draft)
    return by_community


def _fingerprint_order(fingerprint: Fingerprint) -> tuple[str, str]:
    return (fingerprint.community_code, fingerprint.category)  # Fingerprint's own order


def state_matters(
    alert: OpenAlert | None, level: Level, revision: int, computation: int = 0
) -> bool:
    """Does :func:`decide` read the state of a fingerprint from values (not the fast path) at
    ``level`` with newest ``revision``? With an open ``alert``, only when the values are new to it
    or its hold was released; without one, only at warning or above. Leaving out a state that does
    not matter changes no decision (the caller need not build it)."""
    if alert is None:
        return level.at_least(Level.warning)
    return (
        alert.seen_revision is None
        or revision > alert.seen_revision
        or hold_released(alert, computation)
    )


def decide(
    *,
    states: Mapping[Fingerprint, CategoryState],
    alerts: Iterable[OpenAlert],
    silences: Iterable[SilenceRule],
    routing: Sequence[RoutingRule],
    now: datetime,
    computation: int = 0,
    policy: Policy = DEFAULT_POLICY,
    resolved: Mapping[Fingerprint, ResolvedMark] | None = None,
) -> list[Decision]:
    """Decide every fingerprint's decision; returns only those that change.

    ``computation`` is the number of the last computation of the indicators that has committed
    (what releases the fast path's holds); ``resolved`` gives, per fingerprint without an open
    alert, what its last resolved alert had seen.
    """
    open_by_fp = {alert.fingerprint: alert for alert in alerts}
    resolved = resolved or {}
    national = national_institutions(routing)
    routes = _Routes(routing)
    drafts: list[Decision] = []
    for fp in sorted(set(states) | set(open_by_fp), key=_fingerprint_order):
        state = states.get(fp)
        alert = open_by_fp.get(fp)
        if alert is not None:
            draft = _draft_existing(alert, state, now, computation, routes)
        elif state is not None and should_raise(state, resolved.get(fp)):
            draft = _draft_new(state, now, routes(fp.category, state.territory_hit))
        else:
            continue
        if needs_auto_resolve(draft, now, policy):
            draft = _auto_resolved(draft)
        drafts.append(draft)

    silence_list = list(silences)
    criticals = _critical_institutions(drafts)
    decisions: list[Decision] = []
    for draft in drafts:
        alert = open_by_fp.get(draft.fingerprint)
        muted_by = mutes(draft, silence_list, criticals, now)
        events = [
            event if event.muted_by == muted_by else replace(event, muted_by=muted_by)
            for event in draft.events
        ]
        national_escalated = draft.national_escalated
        if muted_by is None:
            if needs_national_escalation(draft, now, policy, national):
                national_escalated = True
                targets = national_targets(draft, national)
                events.append(
                    Event(EventKind.escalated_national, draft.level, institutions=targets)
                )
            if needs_reminder(alert, draft, events, now, policy):
                pending = pending_institutions(draft)
                events.append(Event(EventKind.reminded, draft.level, institutions=pending))
        if not (events or draft.state is not None or _marks_moved(alert, draft)):
            continue  # nothing changes: no decision to build
        routed = list(draft.routed_to)
        for code in draft.institutions + (national if national_escalated else ()):
            if code not in routed:
                routed.append(code)
        decisions.append(
            replace(
                draft,
                muted_by=muted_by,
                national_escalated=national_escalated,
                national=national if national_escalated else (),
                routed_to=tuple(routed),
                events=tuple(events),
            )
        )
    return decisions


def _marks_moved(alert: OpenAlert | None, decision: Decision) -> bool:
    return alert is not None and decision.hold_until != alert.hold_until


def resolve_by_hand(
    alert: OpenAlert,
    *,
    routing: Sequence[RoutingRule],
    silences: Iterable[SilenceRule],
    now: datetime,
) -> Decision:
    """An institution or analyst resolves ``alert``: a ``resolved`` event to everyone it reached
    (muted by a matching silence). It keeps the revisions and rows it had seen: what it was
    resolved on raises nothing again, anything newer does (:func:`should_raise`)."""
    silence = next((s for s in silences if s.mutes(alert.fingerprint, now)), None)
    muted_by = f"silence:{silence.id}" if silence is not None else None
    escalated = alert.national_escalated_at is not None
    return replace(
        _as_is(alert, hold_until=None),
        institutions=route_institutions(
            alert.fingerprint.category, routing, territory_hit=alert.territory_hit
        ),
        national=national_institutions(routing) if escalated else (),
        resolved=True,
        muted_by=muted_by,
        events=(Event(EventKind.resolved, alert.level, muted_by=muted_by),),
    )
