"""Routing from data: which institutions an alert goes to, and which of their contacts.

The routing matrix (DESIGN section 5) arrives as rows: ``primary`` and ``also`` rows per category
(an ``also`` row may carry the condition ``inside_titled_territory``), and ``national`` rows naming
the institutions whose national contacts receive escalations to national level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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
