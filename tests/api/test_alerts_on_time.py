"""Alerts on time (issue 11), through the HTTP API with default settings, from the user's
timeline: post, run, look. One test per scenario a new user met:

- a rise in the evidence escalates at the next run the same day (every category), a fall
  deescalates, and the alert resolves itself once below warning for the auto-resolve time;
- a defender threat of severity 4-5 escalates (national escalation included) within the request,
  after a same-day scheduled alert, and opens a new alert after a manual resolve;
- a report or a FIRMS file posted, then a pipeline run at once: the run counts it, and the value's
  evidence lists exactly those rows;
- a Kobo edit into a severity-5 defender threat takes the fast path and the next run recomputes
  the windows of both versions.

The user (``User``) is in ``tests/support/alert_timeline.py``; the scenarios where transactions
overlap are in ``test_alerts_on_time_commit_order.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import FireHotspot
from tests.support.alert_timeline import User
from tests.support.wait import wait_until


@pytest.fixture
def user(client: TestClient, make_key: Callable[..., str]) -> User:
    return User(client, make_key)


def test_seven_invasion_reports_the_same_day_escalate_to_critical_at_the_next_run(
    user: User,
) -> None:
    """The issue's first scenario, word for word: one report raises a warning; six more the same
    day and a run: critical (seven in 30 days), with the national escalation, the same day."""
    user.report("settler_invasion")
    user.run()
    assert user.alert("territorial_invasion")["level"] == "warning"
    for _ in range(6):
        user.report("settler_invasion")
    user.run()
    alert = user.alert("territorial_invasion")
    assert alert["level"] == "critical"
    assert user.kinds(alert) == ["raised", "escalated", "escalated_national"]
    assert user.indicator("invasion_reports")["value"] == 7


RISES: dict[str, tuple[str, Callable[[User], Any], Callable[[User], Any], str, str]] = {
    "defender_safety": (
        "defender_threats",
        lambda u: u.report("threat_to_defender", 2),
        lambda u: u.report("armed_presence", 2),
        "high",
        "critical",
    ),
    "deforestation (reports)": (
        "forest_crime_reports",
        lambda u: u.report("illegal_logging"),
        lambda u: [u.report("deforestation") for _ in range(2)],
        "warning",
        "high",
    ),
    "deforestation (GFW)": (
        "deforestation_ha",
        lambda u: u.gfw(6.0),
        lambda u: u.gfw(20.0),
        "warning",
        "high",
    ),
    "fire (FIRMS)": (
        "fire_hotspots",
        lambda u: u.firms(3),
        lambda u: u.firms(7),
        "warning",
        "high",
    ),
    "fire (reports)": (
        "fire_hotspots",
        lambda u: [u.report("fire") for _ in range(3)],
        lambda u: [u.report("fire") for _ in range(7)],
        "warning",
        "high",
    ),
    "illicit_crops": (
        "illicit_crop_reports",
        lambda u: u.report("coca_cultivation"),
        lambda u: u.report("drug_trafficking", 5),
        "warning",
        "critical",
    ),
    "territorial_invasion": (
        "invasion_reports",
        lambda u: u.report("illegal_mining"),
        lambda u: [u.report("settler_invasion") for _ in range(2)],
        "warning",
        "high",
    ),
}
CATEGORY = {
    "defender_threats": "defender_safety",
    "forest_crime_reports": "deforestation",
    "deforestation_ha": "deforestation",
    "fire_hotspots": "fire",
    "illicit_crop_reports": "illicit_crops",
    "invasion_reports": "territorial_invasion",
}


@pytest.mark.parametrize("case", sorted(RISES))
def test_a_rise_escalates_at_the_next_run_the_same_day(user: User, case: str) -> None:
    code, first, more, before, after = RISES[case]
    category = CATEGORY[code]
    first(user)
    user.run()
    assert user.alert(category)["level"] == before
    more(user)
    user.run()
    alert = user.alert(category)
    assert alert["level"] == after
    assert user.kinds(alert)[:2] == ["raised", "escalated"]
    assert len(user.alerts(category)) == 1  # updated, never duplicated
    user.run()  # a rerun on the same data adds nothing
    assert user.alert(category)["events"] == alert["events"]


def test_a_fall_deescalates_and_below_warning_the_alert_resolves_after_30_minutes(
    user: User,
) -> None:
    """Kobo edits take reports back (the monitor corrects them): the level follows at the next
    run, and below warning the alert resolves itself at the first run 30 minutes later."""
    instances = [f"uuid:{uuid.uuid4()}" for _ in range(3)]
    for instance in instances:
        user.kobo(instance, "invasion", 3)
    user.run()
    assert user.alert("territorial_invasion")["level"] == "high"
    for instance in instances[:2]:
        user.kobo(f"uuid:{uuid.uuid4()}", "sin_novedad", 1, **{"meta/deprecatedID": instance})
    user.run()
    alert = user.alert("territorial_invasion")
    assert (alert["level"], user.kinds(alert)) == ("warning", ["raised", "deescalated"])
    user.kobo(f"uuid:{uuid.uuid4()}", "sin_novedad", 1, **{"meta/deprecatedID": instances[2]})
    user.run()
    assert user.indicator("invasion_reports")["value"] == 0
    assert user.alert("territorial_invasion")["status"] == "open"  # below warning: the clock runs
    later = datetime.now(UTC) + timedelta(minutes=29)
    user.run(as_of=later.isoformat())
    assert user.alert("territorial_invasion")["status"] == "open"
    user.run(as_of=(later + timedelta(minutes=2)).isoformat())
    (alert,) = user.alerts("territorial_invasion")
    assert alert["status"] == "resolved"
    assert user.kinds(alert)[-1] == "resolved"


def test_a_defender_threat_after_a_same_day_scheduled_high_alert_escalates_at_once(
    user: User,
) -> None:
    user.report("threat_to_defender", 3)
    user.run()
    scheduled = user.alert("defender_safety")
    assert scheduled["level"] == "high"
    assert scheduled["national_escalated_at"] is None
    user.report("threat_to_defender", 5, description="amenaza de muerte al apu")
    wait_until(
        lambda: user.alert("defender_safety")["level"] == "critical", timeout=10, interval=0.05
    )
    alert = user.alert("defender_safety")
    assert alert["id"] == scheduled["id"]
    assert user.kinds(alert) == ["raised", "escalated", "escalated_national"]
    assert user.national_messages(alert) == {"minjus-national-email", "dp-national-email"}
    user.run()  # the schedule, on values that now count the report, agrees: nothing to add
    assert user.kinds(user.alert("defender_safety")) == [
        "raised",
        "escalated",
        "escalated_national",
    ]
    assert user.indicator("defender_threats")["level"] == "critical"


def test_a_defender_threat_after_a_manual_resolve_opens_a_new_alert(user: User) -> None:
    first = user.report("threat_to_defender", 3)
    user.run()
    user.resolve(user.alert("defender_safety"))
    urgent = user.report("threat_to_defender", 5)
    wait_until(
        lambda: any(a["status"] == "open" for a in user.alerts("defender_safety")),
        timeout=10,
        interval=0.05,
    )
    resolved, opened = user.alerts("defender_safety")
    assert resolved["status"] == "resolved"
    assert (opened["level"], opened["status"]) == ("critical", "open")
    assert user.kinds(opened) == ["raised", "escalated_national"]
    assert set(opened["evidence"]["report_ids"]) == {first["id"], urgent["id"]}
    # The analyst handles it too; the next run counts the same two reports: nothing new.
    user.resolve(opened)
    user.run()
    assert [a["status"] for a in user.alerts("defender_safety")] == ["resolved", "resolved"]
    # A report the resolved alerts never saw is new evidence: a new alert.
    user.report("armed_presence", 2)
    user.run()
    *_, newest = user.alerts("defender_safety")
    assert (newest["status"], newest["level"], user.kinds(newest)[0]) == (
        "open",
        "critical",
        "raised",
    )


def test_a_report_and_a_firms_file_count_in_a_run_started_right_after_them(
    user: User, db: Session
) -> None:
    user.run()  # a day already computed: the next run is an incremental one
    report = user.report("fire")
    answer = user.firms(3)
    assert answer["inserted"] == 3
    summary = user.run()["summary"]["compute-indicators"]
    assert summary["mode"] == "incremental"
    fire = user.indicator("fire_hotspots")
    assert (fire["value"], fire["inputs"], fire["level"]) == (4, 4, "warning")
    hotspots = set(db.execute(select(FireHotspot.id)).scalars())
    assert fire["details"]["evidence"]["report_ids"] == [report["id"]]
    assert set(fire["details"]["evidence"]["fire_hotspot_ids"]) == hotspots
    assert user.alert("fire")["level"] == "warning"


def test_a_kobo_edit_into_an_urgent_defender_threat_raises_at_once_and_recomputes(
    user: User,
) -> None:
    instance = f"uuid:{uuid.uuid4()}"
    created = user.kobo(instance, "tala", 2)
    user.run()
    assert user.alert("deforestation")["level"] == "warning"
    edit = user.kobo(f"uuid:{uuid.uuid4()}", "amenaza", 5, **{"meta/deprecatedID": instance})
    assert edit == {"id": created["id"], "status": "replaced"}
    wait_until(lambda: bool(user.alerts("defender_safety")), timeout=10, interval=0.05)
    defender = user.alert("defender_safety")
    assert defender["level"] == "critical"
    assert user.kinds(defender) == ["raised", "escalated_national"]
    user.run()  # the windows of both versions are recomputed
    assert user.indicator("forest_crime_reports")["value"] == 0
    threats = user.indicator("defender_threats")
    assert (threats["value"], threats["level"]) == (1, "critical")
    assert threats["details"]["evidence"]["report_ids"] == [created["id"]]
    assert user.kinds(user.alert("defender_safety")) == ["raised", "escalated_national"]
