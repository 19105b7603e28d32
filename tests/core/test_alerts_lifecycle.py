"""Table-driven tests of the lifecycle decisions of the pure core (no database): levels and
category states, raising, escalating and resolving, reminders, national escalation, new evidence
after a resolve, the fast path and resolving by hand. Silences and inhibition are in
``test_alerts_silences_inhibition.py``, routing and contacts in ``test_alerts_routing.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from alerts.lifecycle import resolve_by_hand, state_matters
from alerts.states import CategoryState, OpenAlert, Policy, Reading, ResolvedMark, category_states
from indicators.levels import Level, max_level
from tests.support.alert_lifecycle import (
    NOW,
    ROUTING,
    C,
    H,
    alert,
    fp,
    kinds,
    messages,
    run,
    silence,
    state,
)


def test_levels_are_ordered() -> None:
    assert Level.none.rank < Level.warning.rank < Level.high.rank < Level.critical.rank
    assert max_level(["warning", "critical", "high"]) is Level.critical
    assert max_level([]) is Level.none
    assert Level.high.at_least("warning")
    assert not Level.warning.at_least("high")


def test_category_state_is_the_highest_level_and_newest_revision() -> None:
    states = category_states(
        [
            Reading(
                "deforestation_ha", C, "deforestation", Level.warning, 12, 0.0, frozenset({"a:1"})
            ),
            Reading(
                "forest_crime_reports", C, "deforestation", Level.high, 9, 3.0, frozenset({"r:2"})
            ),
            Reading("fire_hotspots", C, "fire", Level.none, 4, None),
        ]
    )
    deforestation = states[fp("deforestation")]
    assert deforestation.level is Level.high
    assert deforestation.revision == 12
    assert deforestation.rows == {"a:1", "r:2"}
    assert deforestation.territory_hit is True
    assert states[fp("fire")].territory_hit is False


# (name, state, open alert, expected event kinds, expected level after, expected status flags)
CASES = [
    ("nothing below warning", state("fire", "none"), None, [], None),
    ("raise at warning", state("fire", "warning"), None, ["raised"], "warning"),
    ("raise at high", state("fire", "high"), None, ["raised"], "high"),
    (
        "raise at critical goes national at once",
        state("fire", "critical"),
        None,
        ["raised", "escalated_national"],
        "critical",
    ),
    (
        "escalate warning to high",
        state("fire", "high"),
        alert("fire", "warning"),
        ["escalated"],
        "high",
    ),
    (
        "escalate high to critical goes national",
        state("fire", "critical"),
        alert("fire", "high"),
        ["escalated", "escalated_national"],
        "critical",
    ),
    (
        "deescalate high to warning (not notified)",
        state("fire", "warning"),
        alert("fire", "high"),
        ["deescalated"],
        "warning",
    ),
    (
        "same level, new evidence: no event",
        state("fire", "high"),
        alert("fire", "high"),
        [],
        "high",
    ),
    (
        "below warning for the first time: the clock starts, not resolved",
        state("fire", "none"),
        alert("fire", "warning"),
        [],
        "warning",
    ),
    (
        "below warning for the auto-resolve time: resolved",
        state("fire", "none"),
        alert("fire", "warning", below_warning_since=NOW - 30 * timedelta(minutes=1)),
        ["resolved"],
        "warning",
    ),
    (
        "below warning for less than that: not yet",
        state("fire", "none"),
        alert("fire", "warning", below_warning_since=NOW - 29 * timedelta(minutes=1)),
        [],
        "warning",
    ),
    (
        "values the alert has seen: nothing (not even a new window)",
        state("fire", "critical", revision=5),
        alert("fire", "warning"),
        [],
        None,
    ),
    (
        "the auto-resolve time passes with no new values: resolved",
        state("fire", "none", revision=5),
        alert("fire", "warning", below_warning_since=NOW - H),
        ["resolved"],
        "warning",
    ),
]


@pytest.mark.parametrize(
    ("name", "category_state", "open_alert", "expected", "level"), CASES, ids=[c[0] for c in CASES]
)
def test_indicator_driven_decisions(
    name: str,
    category_state: CategoryState,
    open_alert: OpenAlert | None,
    expected: list[str],
    level: str | None,
) -> None:
    outcomes = run([category_state], [open_alert] if open_alert else [])
    if level is None:
        assert outcomes == []
        return
    (outcome,) = outcomes
    assert kinds(outcome.events) == expected
    assert outcome.level is Level(level)
    assert outcome.alert_id == (open_alert.id if open_alert else None)
    assert [e.notifies for e in outcome.events] == [k != "deescalated" for k in expected]


HOLD_CASES = [
    (
        "held by the fast path, values it has seen: left out, nothing moves",
        state("fire", "warning", revision=5),
        alert("fire", "critical", hold_until=4),
        3,
    ),
    (
        "the hold released, values it has seen: judged again",
        state("fire", "warning", revision=5),
        alert("fire", "critical", hold_until=4),
        4,
    ),
    ("no open alert, below warning: left out", state("fire", "none"), None, 0),
]


@pytest.mark.parametrize(
    ("name", "category_state", "open_alert", "computation"),
    [(c[0], c[1], c[2], 0) for c in CASES] + HOLD_CASES,
    ids=[c[0] for c in CASES] + [c[0] for c in HOLD_CASES],
)
def test_leaving_out_the_states_that_do_not_matter_changes_no_decision(
    name: str, category_state: CategoryState, open_alert: OpenAlert | None, computation: int
) -> None:
    """The evaluation builds only the states :func:`state_matters` names (it decodes no details
    for the others): the decisions must be those on every state."""
    alerts = [open_alert] if open_alert else []
    kept = [
        s for s in [category_state] if state_matters(open_alert, s.level, s.revision, computation)
    ]
    assert run(kept, alerts, computation=computation) == run(
        [category_state], alerts, computation=computation
    )


def test_the_auto_resolve_clock_stops_when_the_level_comes_back() -> None:
    (outcome,) = run(
        [state("fire", "warning")], [alert("fire", "warning", below_warning_since=NOW - 2 * H)]
    )
    assert outcome.below_warning_since is None
    assert outcome.resolved is False


def test_the_auto_resolve_clock_starts_at_the_evaluation_that_saw_the_fall() -> None:
    (outcome,) = run([state("fire", "none")], [alert("fire", "high")])
    assert outcome.below_warning_since == NOW
    assert outcome.level is Level.high  # the alert keeps its level while the clock runs
    later = alert("fire", "high", below_warning_since=NOW, seen_revision=10)
    assert run([state("fire", "none")], [later], now=NOW + timedelta(minutes=29)) == []
    (outcome,) = run([state("fire", "none")], [later], now=NOW + timedelta(minutes=30))
    assert kinds(outcome.events) == ["resolved"]


def test_a_rise_the_same_day_escalates_at_once() -> None:
    """Freshness by revision: a new revision is new evidence whatever its window."""
    first = run([state("invasion", "warning", revision=11)])
    assert kinds(first[0].events) == ["raised"]
    raised = alert("invasion", "warning", seen_revision=first[0].seen_revision)
    (outcome,) = run([state("invasion", "critical", revision=12)], [raised])
    assert kinds(outcome.events) == ["escalated", "escalated_national"]
    assert outcome.seen_revision == 12


def test_escalation_after_acknowledgement_asks_for_a_new_one() -> None:
    (outcome,) = run([state("fire", "high")], [alert("fire", "warning", acknowledged=True)])
    assert kinds(outcome.events) == ["escalated"]
    assert outcome.acknowledged is False
    assert outcome.level_since == NOW


def test_one_open_alert_per_fingerprint_new_evidence_updates_it() -> None:
    (outcome,) = run([state("fire", "warning", revision=11)], [alert("fire", "warning")])
    assert outcome.alert_id == 7
    assert outcome.events == ()
    assert outcome.seen_revision == 11
    assert outcome.state is not None


def test_a_rerun_on_the_same_values_decides_nothing() -> None:
    first = run([state("fire", "high")], [alert("fire", "warning")])
    after = alert(
        "fire",
        "high",
        seen_revision=first[0].seen_revision,
        last_notified_at=NOW,
        level_since=NOW,
    )
    assert run([state("fire", "high")], [after]) == []


@pytest.mark.parametrize(
    ("last_notified", "acknowledged", "expected"),
    [
        (NOW - 23 * H, False, []),
        (NOW - 24 * H, False, ["reminded"]),
        (NOW - 30 * H, True, []),  # acknowledgement stops reminders
        (None, False, ["reminded"]),  # never notified (raised while muted): counts from opening
    ],
)
def test_reminders(last_notified: datetime | None, acknowledged: bool, expected: list[str]) -> None:
    open_alert = alert(
        "fire",
        "warning",
        last_notified_at=last_notified,
        opened_at=NOW - 25 * H,
        acknowledged=acknowledged,
    )
    outcomes = run([], [open_alert])
    assert [kinds(o.events) for o in outcomes] == ([expected] if expected else [])


def test_the_reminder_interval_is_a_policy() -> None:
    open_alert = alert("fire", "warning", last_notified_at=NOW - 2 * H)
    (outcome,) = run([], [open_alert], policy=Policy(reminder_interval=timedelta(hours=1)))
    assert kinds(outcome.events) == ["reminded"]


@pytest.mark.parametrize(
    ("level", "since", "acknowledged", "already", "expected"),
    [
        ("high", NOW - 11 * H, False, None, []),
        ("high", NOW - 12 * H, False, None, ["escalated_national"]),
        ("high", NOW - 13 * H, True, None, []),  # acknowledged in time
        ("high", NOW - 13 * H, False, NOW - H, []),  # already escalated
        ("critical", NOW - H, True, None, ["escalated_national"]),  # every critical
        ("warning", NOW - 40 * H, False, None, []),
    ],
)
def test_national_escalation(
    level: str,
    since: datetime,
    acknowledged: bool,
    already: datetime | None,
    expected: list[str],
) -> None:
    open_alert = alert(
        "fire",
        level,
        level_since=since,
        acknowledged=acknowledged,
        national_escalated_at=already,
        last_notified_at=NOW - H,
    )
    outcomes = run([], [open_alert])
    assert [kinds(o.events) for o in outcomes] == ([expected] if expected else [])
    if expected:
        assert outcomes[0].national == ("MINJUS", "DP")
        assert set(outcomes[0].routed_to) == {"MINAM", "MINJUS", "DP"}


@pytest.mark.parametrize(
    ("category_state", "mark", "raised"),
    [
        (state("fire", "high", revision=10), ResolvedMark(10, Level.high), False),  # same values
        (
            state("fire", "high", revision=11, rows=frozenset({"r:1"})),
            ResolvedMark(10, Level.high, frozenset({"r:1", "r:2"})),
            False,  # newer values, but a fall in rows at the same level: nothing new
        ),
        (
            state("fire", "warning", revision=11, rows=frozenset({"r:1"})),
            ResolvedMark(10, Level.high, frozenset({"r:1"})),
            False,  # a fall in level
        ),
        (
            state("fire", "high", revision=11, rows=frozenset({"r:1", "r:3"})),
            ResolvedMark(10, Level.high, frozenset({"r:1"})),
            True,  # a row the resolved alert never saw
        ),
        (
            state("fire", "critical", revision=11, rows=frozenset({"r:1"})),
            ResolvedMark(10, Level.high, frozenset({"r:1"})),
            True,  # a higher level (e.g. a threshold lowered)
        ),
        (
            state("fire", "warning", revision=11, rows=frozenset({"r:1"})),
            ResolvedMark(10, Level.none, frozenset({"r:1"})),
            True,  # resolved below warning: coming back is a rise
        ),
        (
            state("defender_safety", "critical", revision=10, hold_until=3),
            ResolvedMark(10, Level.high, frozenset()),
            True,  # the fast path's report is newer than any value
        ),
        (
            state(
                "defender_safety",
                "critical",
                revision=10,
                rows=frozenset({"r:9"}),
                hold_until=3,
            ),
            ResolvedMark(10, Level.critical, frozenset({"r:9"})),
            False,  # the same urgent report again (a resend, an edit of its description)
        ),
    ],
)
def test_after_a_resolve_only_new_evidence_raises(
    category_state: CategoryState, mark: ResolvedMark, raised: bool
) -> None:
    outcomes = run([category_state], resolved={category_state.fingerprint: mark})
    assert [kinds(o.events)[0] for o in outcomes] == (["raised"] if raised else [])


def test_the_fast_path_escalates_whatever_the_alert_has_seen_and_holds_it() -> None:
    scheduled = alert("defender_safety", "high", seen_revision=20, last_notified_at=NOW - H)
    urgent = state("defender_safety", "critical", revision=20, hold_until=4)
    (outcome,) = run([urgent], [scheduled], computation=3)
    assert kinds(outcome.events) == ["escalated", "escalated_national"]
    assert outcome.hold_until == 4
    assert outcome.seen_revision == 20  # the fast path saw reports, not values
    held = alert(
        "defender_safety",
        "critical",
        seen_revision=20,
        hold_until=4,
        last_notified_at=NOW,
        national_escalated_at=NOW,
    )
    # Values computed before the report (computation 3 and earlier) cannot lower it ...
    stale = state("defender_safety", "high", revision=21)
    (outcome,) = run([stale], [held], computation=3)
    assert outcome.events == ()
    assert outcome.level is Level.critical
    assert outcome.hold_until == 4
    # ... the computation that counts the report releases it, and its values decide.
    after = replace(held, seen_revision=21)
    (outcome,) = run([stale], [after], computation=4)
    assert kinds(outcome.events) == ["deescalated"]
    assert outcome.hold_until is None


def test_resolve_by_hand() -> None:
    outcome = resolve_by_hand(alert("fire", "high"), routing=ROUTING, silences=[], now=NOW)
    assert kinds(outcome.events) == ["resolved"]
    assert outcome.resolved
    assert outcome.seen_revision == 5  # keeps what it had seen
    assert messages(outcome) == {"resolved": [5]}
    muted = resolve_by_hand(alert("fire", "high"), routing=ROUTING, silences=[silence()], now=NOW)
    assert muted.events[0].muted_by == "silence:3"


# Institutions acting together (DESIGN section 12): each routed institution acknowledges for itself.


@pytest.mark.parametrize(
    ("category", "acknowledged_by", "reminded", "contacts"),
    [
        ("defender_safety", frozenset(), ("MINJUS", "DP"), [1, 3]),
        ("defender_safety", frozenset({"MINJUS"}), ("DP",), [3]),  # only DP is still silent
        ("defender_safety", frozenset({"MINJUS", "DP"}), None, None),
        ("territorial_invasion", frozenset({"DP", "MINJUS"}), ("MINAM",), [5]),
        ("fire", frozenset({"MINJUS"}), ("MINAM",), [5]),  # a non-routed acknowledgement counts not
    ],
)
def test_reminders_go_to_the_institutions_that_have_not_acknowledged(
    category: str,
    acknowledged_by: frozenset[str],
    reminded: tuple[str, ...] | None,
    contacts: list[int] | None,
) -> None:
    open_alert = alert(
        category,
        "warning",
        last_notified_at=NOW - 25 * H,
        acknowledged_by=acknowledged_by,
        routed_to=(),
    )
    outcomes = run([], [open_alert])
    if reminded is None:
        assert outcomes == []
        return
    (outcome,) = outcomes
    assert kinds(outcome.events) == ["reminded"]
    assert outcome.events[0].institutions == reminded
    assert messages(outcome) == {"reminded": contacts}


@pytest.mark.parametrize(
    ("category", "level", "acknowledged_by", "national"),
    [
        ("defender_safety", "high", frozenset({"MINJUS"}), ("DP",)),  # DP escalated alone
        ("defender_safety", "high", frozenset({"DP"}), ("MINJUS",)),
        ("fire", "high", frozenset(), ("MINJUS", "DP")),  # MINAM silent: both national offices
        ("territorial_invasion", "high", frozenset({"MINJUS", "DP"}), None),  # none left to reach
        ("defender_safety", "critical", frozenset({"MINJUS"}), ("MINJUS", "DP")),  # every critical
    ],
)
def test_national_escalation_reaches_the_national_institutions_that_have_not_acknowledged(
    category: str, level: str, acknowledged_by: frozenset[str], national: tuple[str, ...] | None
) -> None:
    open_alert = alert(
        category,
        level,
        level_since=NOW - 13 * H,
        last_notified_at=NOW - H,
        acknowledged_by=acknowledged_by,
        routed_to=(),
    )
    outcomes = run([], [open_alert])
    if national is None:
        assert outcomes == []
        return
    (outcome,) = outcomes
    assert kinds(outcome.events) == ["escalated_national"]
    assert outcome.events[0].institutions == national
    expected = {"MINJUS": 2, "DP": 4}
    assert messages(outcome) == {"escalated_national": [expected[c] for c in national]}


def test_a_rise_asks_every_institution_to_acknowledge_again() -> None:
    open_alert = alert(
        "defender_safety",
        "warning",
        acknowledged_by=frozenset({"MINJUS", "DP"}),
        acknowledged=True,
        routed_to=("MINJUS", "DP"),
    )
    (outcome,) = run([state("defender_safety", "high")], [open_alert])
    assert kinds(outcome.events) == ["escalated"]
    assert (outcome.acknowledged, outcome.acknowledged_by) == (False, frozenset())
