"""Alerts on time (issue 11), through the HTTP API with default settings, from the user's
timeline: post, run, look. One test per scenario a new user met:

- a rise in the evidence escalates at the next run the same day (every category), a fall
  deescalates, and the alert resolves itself once below warning for the auto-resolve time;
- a defender threat of severity 4-5 escalates (national escalation included) within the request,
  after a same-day scheduled alert, and opens a new alert after a manual resolve;
- a report or a FIRMS file posted, then a pipeline run at once: the run counts it, and the value's
  evidence lists exactly those rows; an ingest committed long after its received stamp counts in
  the first run after its commit, once;
- a Kobo edit into a severity-5 defender threat takes the fast path and the next run recomputes
  the windows of both versions.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ews.db import build_engine, build_session_factory
from ews.intake.reports import ValidReport, store_report
from ews.jobs.entry_points import compute_indicators
from ews.models import FireHotspot, IndicatorValue, PendingWork, Report
from ews.models.base import utcnow
from ews.settings import Settings
from indicators import LIMA, local_day_end
from tests.support.wait import wait_until
from tests.support.web import auth

COMMUNITY = "flor-de-ucayali"
INSIDE = (-8.31, -74.08)  # lat, lon inside the titled territory
VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
GFW = (
    "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence,"
    "alert_area__ha"
)


class User:
    """What the people of the scenario do through the API: a monitor, a feed, an analyst."""

    def __init__(self, client: TestClient, make_key: Callable[..., str]) -> None:
        self.client = client
        self.monitor = auth(make_key("monitor", community=COMMUNITY))
        self.feed = auth(make_key("feed"))
        self.analyst = auth(make_key("analyst"))
        self.seq = 0

    def earlier_today(self, minutes: int = 0) -> datetime:
        """A moment of today (Lima) before now: each call a different one."""
        self.seq += 1
        now = datetime.now(UTC)
        midnight = local_day_end(now) - timedelta(days=1)
        return max(midnight + timedelta(seconds=self.seq), now - timedelta(minutes=minutes))

    def report(self, threat: str, severity: int = 3, **fields: Any) -> dict[str, Any]:
        body = {
            "id": str(uuid.uuid4()),
            "community": COMMUNITY,
            "threat_type": threat,
            "severity": severity,
            "observed_at": self.earlier_today(minutes=30).isoformat(),
            "latitude": INSIDE[0],
            "longitude": INSIDE[1],
            **fields,
        }
        response = self.client.post("/api/v1/reports", json=body, headers=self.monitor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def kobo(self, instance: str, threat: str, severity: int, **extra: Any) -> dict[str, Any]:
        body = {
            "meta/instanceID": instance,
            "patrulla/community": COMMUNITY,
            "patrulla/threat_type": threat,
            "patrulla/severity": str(severity),
            "start": self.earlier_today(minutes=45).isoformat(),
            "_geolocation": list(INSIDE),
            **extra,
        }
        response = self.client.post("/api/v1/intake/kobo", json=body, headers=self.feed)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def firms(self, points: int, confidence: str = "h") -> dict[str, Any]:
        rows = []
        for _ in range(points):
            self.seq += 1
            at = self.earlier_today(minutes=60).astimezone(UTC)
            rows.append(
                f"{INSIDE[0] + self.seq * 1e-3:.5f},{INSIDE[1]:.5f},330.0,0.4,0.4,{at:%Y-%m-%d},"
                f"{at:%H%M},N20,VIIRS,{confidence},2.0NRT,290.0,5.0,D"
            )
        return self._feed("firms", "\n".join([VIIRS, *rows]))

    def gfw(self, hectares: float) -> dict[str, Any]:
        self.seq += 1
        today = datetime.now(UTC).astimezone(LIMA).date()
        row = f"{INSIDE[0] - self.seq * 1e-3:.5f},{INSIDE[1]:.5f},{today},highest,{hectares}"
        return self._feed("gfw", f"{GFW}\n{row}")

    def _feed(self, source: str, body: str) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/feeds/{source}",
            content=(body + "\n").encode(),
            headers={**self.feed, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def run(self, job: str = "pipeline", **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/api/v1/jobs/{job}/run", json=body, headers=self.analyst)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "succeeded", response.json()
        return dict(response.json())

    def alerts(self, category: str) -> list[dict[str, Any]]:
        """Every alert of the category, oldest first."""
        response = self.client.get(
            "/api/v1/alerts", params={"category": category}, headers=self.analyst
        )
        assert response.status_code == 200, response.text
        return sorted(response.json()["items"], key=lambda a: a["id"])

    def alert(self, category: str) -> dict[str, Any]:
        """The one alert of the category that is not resolved."""
        (alert,) = [a for a in self.alerts(category) if a["status"] != "resolved"]
        return alert

    def kinds(self, alert: dict[str, Any]) -> list[str]:
        return [event["kind"] for event in alert["events"]]

    def resolve(self, alert: dict[str, Any]) -> None:
        response = self.client.post(
            f"/api/v1/alerts/{alert['id']}/resolve",
            json={"note": "atendido por la fiscalía"},
            headers=self.analyst,
        )
        assert response.status_code == 200, response.text

    def indicator(self, code: str) -> dict[str, Any]:
        """Today's value of the indicator."""
        response = self.client.get(
            "/api/v1/indicators",
            params={"community": COMMUNITY, "code": code, "limit": 1000},
            headers=self.analyst,
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        today_end = local_day_end(datetime.now(UTC))
        (today,) = [i for i in items if datetime.fromisoformat(i["window_end"]) == today_end]
        return dict(today)

    def national_messages(self, alert: dict[str, Any]) -> set[str]:
        response = self.client.get(
            "/api/v1/notifications", params={"alert_id": alert["id"]}, headers=self.analyst
        )
        assert response.status_code == 200, response.text
        return {m["contact"] for m in response.json()["items"] if "national" in m["contact"]}


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


def test_an_ingest_committed_long_after_its_received_stamp_counts_in_the_next_run_once(
    fresh_settings: Settings, engine_name: str
) -> None:
    """No settling time: whatever the received stamp, a row counts in the first computation that
    starts after its commit, and in no later one. On PostgreSQL a computation runs while the
    ingest's transaction is open and does not count it; on SQLite the computation waits for the
    one writer and counts it."""
    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = utcnow()
    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    stamped = now - timedelta(hours=3)  # when the long transaction began
    report = ValidReport(
        id=str(uuid.uuid4()),
        community_code=COMMUNITY,
        threat_type="settler_invasion",
        severity=3,
        observed_at=now - timedelta(hours=4),
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        description=None,
    )
    ingest = factory()
    store_report(ingest, report=report, reporter_pseudonym="p" * 64, now=stamped)
    ingest.flush()
    done: list[dict[str, Any]] = []
    runner = threading.Thread(
        target=lambda: done.append(
            compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
        )
    )
    runner.start()
    if engine_name == "postgresql":
        runner.join(timeout=60)
        assert done
        assert done[0]["pending_days"] == 0
        assert invasion_value(factory) == 0  # not committed when the computation began
    ingest.commit()
    ingest.close()
    runner.join(timeout=60)
    assert not runner.is_alive()
    for _ in range(2):
        compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
        assert invasion_value(factory) == 1
    engine.dispose()


def invasion_value(factory: Any) -> float:
    with factory() as session:
        today = local_day_end(utcnow())
        row = session.execute(
            select(IndicatorValue).where(
                IndicatorValue.code == "invasion_reports", IndicatorValue.window_end == today
            )
        ).scalar_one()
        assert row.inputs == row.value
        return float(row.value)


def test_every_write_of_an_input_row_leaves_its_local_day_pending(db: Session) -> None:
    """The triggers: inserts, edits (the day before and the day after) and deletes, each on its
    local day in Lima's calendar, to the microsecond before midnight."""

    def pending() -> list[int]:
        days = db.execute(delete(PendingWork).returning(PendingWork.day)).scalars().all()
        return sorted(set(days))

    pending()
    late_evening = datetime(2026, 11, 25, 23, 59, 59, 999_999, tzinfo=LIMA)
    report = ValidReport(str(uuid.uuid4()), COMMUNITY, "fire", 2, late_evening, None, None, None)
    store_report(db, report=report, reporter_pseudonym="p" * 64, now=utcnow())
    nov25 = (late_evening.date() - date(1970, 1, 1)).days
    assert pending() == [nov25]
    row = db.get(Report, report.id)
    assert row is not None
    row.observed_at = late_evening + timedelta(microseconds=1)  # midnight in Lima
    db.flush()
    assert pending() == [nov25, nov25 + 1]
    db.delete(row)
    db.flush()
    assert pending() == [nov25 + 1]


# PostgreSQL only: on SQLite a computation holds the one writer's lock, so no report can commit
# while it runs.
@pytest.mark.parametrize("engine_name", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_computation_that_began_before_an_urgent_report_cannot_lower_its_alert(
    fresh_settings: Settings, engine_name: str
) -> None:
    """Whichever runs last decides on the newest evidence: a computation whose snapshot was taken
    before the urgent report commits after the fast path; its values (one report: high) must not
    deescalate the critical alert. The next computation counts the report and releases it."""
    from ews import counters
    from ews.alerting.urgent import evaluate_urgent_report
    from ews.db import session_scope
    from ews.jobs.compute import compute, start_computation
    from ews.jobs.entry_points import evaluate_alerts
    from ews.models import Alert, AlertEvent

    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = utcnow()

    def post(severity: int) -> str:
        report = ValidReport(
            str(uuid.uuid4()), COMMUNITY, "threat_to_defender", severity,
            now - timedelta(minutes=20 - severity), INSIDE[0], INSIDE[1], None,
        )  # fmt: skip
        with session_scope(factory) as session:
            store_report(session, report=report, reporter_pseudonym="p" * 64, now=now)
        evaluate_urgent_report(
            settings=fresh_settings, session_factory=factory, report_id=report.id
        )
        return report.id

    def defender() -> tuple[str, list[str]]:
        with factory() as session:
            alert = session.execute(
                select(Alert).where(Alert.category == "defender_safety")
            ).scalar_one()
            kinds = session.execute(
                select(AlertEvent.kind)
                .where(AlertEvent.alert_id == alert.id)
                .order_by(AlertEvent.id)
            ).scalars()
            return alert.level, list(kinds)

    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    post(2)  # not urgent; no computation yet
    number = start_computation(factory)
    early = factory()
    early.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    counters.read(early, counters.COMPUTATIONS_DONE, for_update=True)  # its snapshot, taken now
    post(5)  # the fast path: critical at once
    assert defender() == ("critical", ["raised", "escalated_national"])
    compute(early, as_of=now, computation=number, computed_at=now)  # one report: high
    early.commit()
    early.close()
    evaluate_alerts(settings=fresh_settings, session_factory=factory, as_of=now)
    assert defender() == ("critical", ["raised", "escalated_national"])
    compute_indicators(settings=fresh_settings, session_factory=factory, as_of=now)
    evaluate_alerts(settings=fresh_settings, session_factory=factory, as_of=now)
    assert defender() == ("critical", ["raised", "escalated_national"])
    with factory() as session:
        held = select(Alert.hold_until).where(Alert.category == "defender_safety")
        assert session.execute(held).scalar_one() is None  # released
        value = session.execute(
            select(IndicatorValue).where(IndicatorValue.code == "defender_threats")
        ).scalar_one()
        assert (value.value, value.level) == (2, "critical")
    engine.dispose()
