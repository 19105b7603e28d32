"""Routing from data: which institutions an alert goes to, which of their contacts, and who hears of
each event of a decision (:func:`plan_notifications`).

The routing matrix (DESIGN section 5) arrives as rows: ``primary`` and ``also`` rows per category
(an ``also`` row may carry the condition ``inside_titled_territory``), and ``national`` rows naming
the institutions whose national contacts receive escalations to national level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alerts.states import Decision, EventKind
from indicators.levels import Level

PRIMARY = "primary"
ALSO = "also"
NATIONAL = "national"
INSIDE_TERRITORY = "inside_titled_territory"
NATIONAL_SCOPE = "national"
REGIONAL_SCOPE = "regional"


@dataclass(frozen=True)
class RoutingRule:
    category: str
    institution_code: str
    role: str  # primary | also | national
    condition: str | None = None


@dataclass(frozen=True)
class ContactInfo:
    id: int
    institution_code: str
    channel: str
    scope: str  # regional | national
    region_ubigeo: str | None
    min_level: str
    active: bool = True


def route_institutions(
    category: str, rules: Iterable[RoutingRule], *, territory_hit: bool
) -> tuple[str, ...]:
    """Institution codes for ``category``: primary ones first, then the ``also`` ones that apply.

    ``territory_hit`` says the titled territory itself (not only its buffer ring) is affected; the
    rows with the condition ``inside_titled_territory`` apply only then.
    """
    ordered = sorted(
        (r for r in rules if r.category == category and r.role in (PRIMARY, ALSO)),
        key=lambda r: 0 if r.role == PRIMARY else 1,
    )
    codes: list[str] = []
    for rule in ordered:
        if rule.condition == INSIDE_TERRITORY and not territory_hit:
            continue
        if rule.condition not in (None, INSIDE_TERRITORY):
            continue  # an unknown condition never routes silently
        if rule.institution_code not in codes:
            codes.append(rule.institution_code)
    return tuple(codes)


def national_institutions(rules: Iterable[RoutingRule]) -> tuple[str, ...]:
    """The institutions whose national contacts receive escalations to national level."""
    codes: list[str] = []
    for rule in rules:
        if rule.role == NATIONAL and rule.institution_code not in codes:
            codes.append(rule.institution_code)
    return tuple(codes)


def select_contacts(
    contacts: Iterable[ContactInfo],
    *,
    institutions: Sequence[str],
    region_ubigeo: str,
    level: Level | str,
) -> list[ContactInfo]:
    """Ordinary routing: active contacts of ``institutions`` whose scope covers the community
    (national, or regional with the community's region) and whose minimum level the alert reaches."""
    wanted = set(institutions)
    return [
        c
        for c in contacts
        if c.active
        and c.institution_code in wanted
        and (
            c.scope == NATIONAL_SCOPE
            or (c.scope == REGIONAL_SCOPE and c.region_ubigeo == region_ubigeo)
        )
        and Level(level).at_least(c.min_level)
    ]


def select_national_contacts(
    contacts: Iterable[ContactInfo], *, institutions: Sequence[str]
) -> list[ContactInfo]:
    """Escalation to national level: the national contacts of ``institutions``, whatever their
    minimum level (a high alert unacknowledged for 12 hours must reach them too)."""
    wanted = set(institutions)
    return [
        c
        for c in contacts
        if c.active and c.institution_code in wanted and c.scope == NATIONAL_SCOPE
    ]


@dataclass(frozen=True)
class Notification:
    """One notification to queue: the index of its event in the decision and the contact's id."""

    event_index: int
    contact_id: int
    institution_code: str
    channel: str


def plan_notifications(
    decision: Decision, contacts: Sequence[ContactInfo], *, region_ubigeo: str
) -> list[Notification]:
    """Who hears of each notifying event of ``decision``: one notification per contact per decision.

    Ordinary events go to the category's institutions (scope, region and minimum level) and, once
    the alert was escalated to national level before, to the national contacts of the national
    institutions; an ``escalated_national`` event goes to the national contacts of its targets. An
    event naming its institutions (a reminder) reaches only their contacts.
    """
    escalated_now = any(e.kind is EventKind.escalated_national for e in decision.events)
    already_escalated = decision.national_escalated and not escalated_now
    seen: set[int] = set()
    notifications: list[Notification] = []
    for index, event in enumerate(decision.events):
        if not event.notifies:
            continue
        if event.kind is EventKind.escalated_national:
            chosen = select_national_contacts(
                contacts, institutions=event.institutions or decision.national
            )
        else:
            chosen = select_contacts(
                contacts,
                institutions=decision.institutions,
                region_ubigeo=region_ubigeo,
                level=event.level,
            )
            if already_escalated:
                chosen += select_national_contacts(contacts, institutions=decision.national)
            if event.institutions:  # a reminder: only the institutions that have not acknowledged
                chosen = [c for c in chosen if c.institution_code in event.institutions]
        for contact in chosen:
            if contact.id not in seen:
                seen.add(contact.id)
                notifications.append(
                    Notification(index, contact.id, contact.institution_code, contact.channel)
                )
    return notifications
