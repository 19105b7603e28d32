"""Table-driven tests of routing in the pure core (no database): which institutions each category
reaches, DP on a deforestation alert once the territory was hit, which contacts get a message by
scope, region and minimum level, muted events, and national contacts after national escalation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.routing import ContactInfo, select_contacts
from tests.support.alert_lifecycle import NOW, H, alert, kinds, messages, run, silence, state


@pytest.mark.parametrize(
    ("category", "hit", "routed"),
    [
        ("defender_safety", False, ("MINJUS", "DP")),
        ("deforestation", False, ("MINAM",)),
        ("deforestation", True, ("MINAM", "DP")),
        ("fire", True, ("MINAM",)),
        ("illicit_crops", False, ("DEVIDA",)),
        ("territorial_invasion", False, ("DP", "MINJUS", "MINAM")),
        ("monitoring_gap", False, ("DEVIDA",)),
        ("composite", False, ("MINJUS", "DP")),
    ],
)
def test_routing_matrix(category: str, hit: bool, routed: tuple[str, ...]) -> None:
    (outcome,) = run([state(category, "warning", hit=hit)])
    assert outcome.routed_to == routed
    assert outcome.institutions == routed


def test_dp_stays_on_a_deforestation_alert_once_the_territory_was_hit() -> None:
    open_alert = alert("deforestation", "warning", territory_hit=True, routed_to=("MINAM", "DP"))
    (outcome,) = run([state("deforestation", "high", revision=11, hit=False)], [open_alert])
    assert outcome.institutions == ("MINAM", "DP")


@pytest.mark.parametrize(
    ("category", "level", "expected"),
    [
        ("fire", "warning", {"raised": [5]}),  # regional of the region, min level met
        ("fire", "critical", {"raised": [5, 6], "escalated_national": [2, 4]}),
        ("defender_safety", "critical", {"raised": [1, 2, 3, 4]}),  # national already reached
        ("illicit_crops", "warning", {}),  # DEVIDA's sms wants high; its e-mail is inactive
        ("illicit_crops", "high", {"raised": [8]}),
    ],
)
def test_contacts_by_scope_region_and_minimum_level(
    category: str, level: str, expected: dict[str, list[int]]
) -> None:
    (outcome,) = run([state(category, level)])
    assert messages(outcome) == expected


def test_muted_events_queue_nothing() -> None:
    (outcome,) = run([state("fire", "critical")], silences=[silence()])
    assert messages(outcome) == {}


def test_after_national_escalation_national_contacts_follow_the_alert() -> None:
    escalated = alert(
        "fire", "high", national_escalated_at=NOW - H, routed_to=("MINAM", "MINJUS", "DP")
    )
    (outcome,) = run([state("fire", "none")], [replace(escalated, below_warning_since=NOW - H)])
    assert kinds(outcome.events) == ["resolved"]
    assert messages(outcome) == {"resolved": [5, 2, 4]}


def test_a_contact_with_categories_receives_only_those() -> None:
    general = ContactInfo(1, "DP", "email", "regional", "25", "warning")
    defenders_only = ContactInfo(
        2, "DP", "sms", "regional", "25", "warning", categories=("defender_safety",)
    )
    chosen = {
        category: [
            c.id
            for c in select_contacts(
                [general, defenders_only],
                institutions=["DP"],
                region_ubigeo="25",
                level="high",
                category=category,
            )
        ]
        for category in ("defender_safety", "deforestation")
    }
    assert chosen == {"defender_safety": [1, 2], "deforestation": [1]}
