"""Table-driven tests of silences and inhibition in the pure core (no database): a silence mutes
the notifications but the events are recorded, no reminder while silenced and one after, and a
critical alert inhibits warnings of the categories it covers in its own community only."""

from __future__ import annotations

import pytest

from alerts.lifecycle import INHIBITED
from alerts.states import CategoryState, SilenceRule
from indicators.levels import Level
from tests.support.alert_lifecycle import NOW, H, alert, fp, kinds, run, silence, state


@pytest.mark.parametrize(
    ("rule", "muted"),
    [
        (silence(), True),
        (silence(category=None), True),  # the whole community
        (silence(community_code=None), True),  # the category everywhere
        (silence(category="deforestation"), False),
        (silence(community_code="otra"), False),
        (silence(starts_at=NOW + H / 2), False),  # not yet
        (silence(ends_at=NOW), False),  # over
    ],
)
def test_silences_mute_but_record(rule: SilenceRule, muted: bool) -> None:
    (outcome,) = run([state("fire", "critical")], silences=[rule])
    if muted:
        # recorded, not sent; national escalation waits until the silence ends
        assert kinds(outcome.events) == ["raised"]
        assert outcome.events[0].muted_by == "silence:3"
        assert not outcome.events[0].notifies
        assert outcome.national_escalated is False
    else:
        assert kinds(outcome.events) == ["raised", "escalated_national"]
        assert all(e.muted_by is None for e in outcome.events)


def test_no_reminder_while_silenced_then_one_after() -> None:
    open_alert = alert("fire", "warning", last_notified_at=NOW - 30 * H)
    assert run([], [open_alert], silences=[silence()]) == []
    (outcome,) = run([], [open_alert], silences=[silence(ends_at=NOW - H / 2)])
    assert kinds(outcome.events) == ["reminded"]


@pytest.mark.parametrize(
    ("critical_category", "warning_category", "inhibited"),
    [
        ("defender_safety", "composite", True),  # MINJUS+DP already reached: adds nothing
        ("territorial_invasion", "defender_safety", True),  # DP+MINJUS+MINAM covers MINJUS+DP
        ("territorial_invasion", "fire", True),  # MINAM is reached by the invasion alert
        ("defender_safety", "fire", False),  # MINAM would learn nothing otherwise
        ("fire", "deforestation", True),  # both MINAM (territory not hit)
    ],
)
def test_inhibition(critical_category: str, warning_category: str, inhibited: bool) -> None:
    outcomes = {
        o.fingerprint.category: o
        for o in run([state(critical_category, "critical"), state(warning_category, "warning")])
    }
    warning = outcomes[warning_category]
    assert warning.events[0].muted_by == (INHIBITED if inhibited else None)
    assert outcomes[critical_category].events[0].muted_by is None


def test_inhibition_is_per_community() -> None:
    outcomes = run(
        [
            state("defender_safety", "critical"),
            CategoryState(fp("composite", "otra"), Level.warning, 10, False, ("x",)),
        ]
    )
    other = next(o for o in outcomes if o.fingerprint.community_code == "otra")
    assert other.events[0].muted_by is None
