"""The pure alert lifecycle in literals, for the core tests: a fixed clock, the routing table,
builders of category states, open alerts and silences, ``run`` (one ``decide`` call) and readers of
its outcome (``kinds``, ``messages``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alerts.lifecycle import decide
from alerts.routing import ContactInfo, RoutingRule, plan_notifications
from alerts.states import CategoryState, Fingerprint, OpenAlert, Policy, SilenceRule
from indicators.levels import Level

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
DEFAULT_POLICY = Policy()
C = "flor-de-ucayali"
ROUTING = [
    RoutingRule("defender_safety", "MINJUS", "primary"),
    RoutingRule("defender_safety", "DP", "also"),
    RoutingRule("deforestation", "MINAM", "primary"),
    RoutingRule("deforestation", "DP", "also", "inside_titled_territory"),
    RoutingRule("fire", "MINAM", "primary"),
    RoutingRule("illicit_crops", "DEVIDA", "primary"),
    RoutingRule("territorial_invasion", "DP", "primary"),
    RoutingRule("territorial_invasion", "MINJUS", "also"),
    RoutingRule("territorial_invasion", "MINAM", "also"),
    RoutingRule("monitoring_gap", "DEVIDA", "primary"),
    RoutingRule("composite", "MINJUS", "primary"),
    RoutingRule("composite", "DP", "primary"),
    RoutingRule("*", "MINJUS", "national"),
    RoutingRule("*", "DP", "national"),
]


def fp(category: str, community: str = C) -> Fingerprint:
    return Fingerprint(community, category)


def state(
    category: str,
    level: str,
    *,
    revision: int = 10,
    hit: bool = False,
    rows: frozenset[str] = frozenset(),
    hold_until: int | None = None,
) -> CategoryState:
    return CategoryState(
        fp(category), Level(level), revision, hit, (category,), rows, hold_until=hold_until
    )


def alert(category: str, level: str, **changes: object) -> OpenAlert:
    base = OpenAlert(
        id=7,
        fingerprint=fp(category),
        level=Level(level),
        acknowledged=False,
        opened_at=NOW - 2 * H,
        level_since=NOW - 2 * H,
        last_notified_at=NOW - 2 * H,
        national_escalated_at=None,
        below_warning_since=None,
        seen_revision=5,
        routed_to=("MINAM",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def kinds(outcome_events: object) -> list[str]:
    return [e.kind.value for e in outcome_events]  # type: ignore[attr-defined]


def run(
    states=(), alerts=(), silences=(), now=NOW, resolved=None, policy=DEFAULT_POLICY, computation=0
):  # type: ignore[no-untyped-def]
    return decide(
        states={s.fingerprint: s for s in states},
        alerts=list(alerts),
        silences=list(silences),
        routing=ROUTING,
        now=now,
        computation=computation,
        policy=policy,
        resolved=resolved,
    )


def silence(**changes: object) -> SilenceRule:
    base = SilenceRule(3, C, "fire", NOW - H, NOW + H)
    return replace(base, **changes)  # type: ignore[arg-type]


CONTACTS = [
    ContactInfo(1, "MINJUS", "email", "regional", "25", "warning"),
    ContactInfo(2, "MINJUS", "email", "national", None, "critical"),
    ContactInfo(3, "DP", "email", "regional", "25", "warning"),
    ContactInfo(4, "DP", "email", "national", None, "critical"),
    ContactInfo(5, "MINAM", "email", "regional", "25", "warning"),
    ContactInfo(6, "MINAM", "email", "national", None, "critical"),
    ContactInfo(7, "MINAM", "webhook", "regional", "16", "warning"),  # another region
    ContactInfo(8, "DEVIDA", "sms", "regional", "25", "high"),
    ContactInfo(9, "DEVIDA", "email", "regional", "25", "warning", active=False),
]


def messages(outcome: object) -> dict[str, list[int]]:
    planned = plan_notifications(outcome, CONTACTS, region_ubigeo="25")  # type: ignore[arg-type]
    result: dict[str, list[int]] = {}
    for m in planned:
        result.setdefault(outcome.events[m.event_index].kind.value, []).append(m.contact_id)  # type: ignore[attr-defined]
    return result
