"""The alert core: levels, lifecycle decisions, routing, the defender fast-path rule, CAP 1.2 and
Atom rendering. Pure: no database, clock or network; imports nothing from ``ews``."""

from alerts.lifecycle import (
    CategoryState,
    Event,
    EventKind,
    Fingerprint,
    OpenAlert,
    Outcome,
    Policy,
    Reading,
    ResolvedMark,
    SilenceRule,
    category_states,
    decide,
    plan_messages,
    resolve_by_hand,
)
from alerts.routing import ContactInfo, RoutingRule
from indicators.levels import Level, max_level

__all__ = [
    "CategoryState",
    "ContactInfo",
    "Event",
    "EventKind",
    "Fingerprint",
    "Level",
    "OpenAlert",
    "Outcome",
    "Policy",
    "Reading",
    "ResolvedMark",
    "RoutingRule",
    "SilenceRule",
    "category_states",
    "decide",
    "max_level",
    "plan_messages",
    "resolve_by_hand",
]
