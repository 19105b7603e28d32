"""The hypothesis state machine of the timing test (``tests/db/test_timing_model.py``): rules that
post, edit and load data, run the jobs, acknowledge and resolve alerts and step the clock against the
real service; invariants that compare the stored values with a recomputation from scratch and the
alerts with the reference model (``tests.support.timing_model``)."""

from __future__ import annotations

import io
import uuid
from collections import Counter as Tally
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ews import counters
from ews.alerting import service
from ews.alerting.cap_document import CapSource
from ews.alerting.urgent import evaluate_urgent_report
from ews.auth.keys import Principal, Role
from ews.db import session_scope
from ews.intake.feeds.ingest import FeedSource, ingest_feed
from ews.intake.kobo import DEFAULT_MAPPING, KoboStatus, receive_kobo
from ews.jobs.entry_points import compute_indicators, evaluate_alerts
from ews.jobs.frames import Frames, load_communities, load_frames, load_rules
from ews.models import Alert, AlertResponse, IndicatorRule, IndicatorValue
from ews.settings import Settings
from indicators import LIMA, compute_all, local_day_end, window
from indicators.days import day_as_of
from tests.support.patrol_reports import COMMUNITY
from tests.support.settings import TEST_SECRET
from tests.support.timing_model import CategoryNow, Model, ModelReport, evidence_rows, rank

THREATS = (
    "settler_invasion",
    "threat_to_defender",
    "armed_presence",
    "illegal_logging",
    "fire",
    "all_quiet",
)
DEFENDER_TYPES = ("threat_to_defender", "armed_presence")
START = datetime(2026, 11, 20, 9, 0, tzinfo=LIMA).astimezone(UTC)
ANALYST = Principal(key_id=1, name="Ana Analista", role=Role.analyst)
ANALYST_WHO = "analyst"  # the model's name for an acknowledgement of the alert as a whole
VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)


class TimingMachine(RuleBasedStateMachine):
    reports = Bundle("reports")

    def __init__(self, engine: Engine, app_settings: Settings) -> None:
        super().__init__()
        self.connection = engine.connect()
        self.outer = self.connection.begin()
        self.factory = sessionmaker(
            bind=self.connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        self.settings = app_settings
        self.clock = START
        self.by_key: dict[str, ModelReport] = {}
        self.seq = 0
        self.computed: Frames | None = None
        self.checked: list[tuple[Any, ...]] | None = None
        with self.factory() as session:
            self.model = Model(
                started=counters.read(session, counters.COMPUTATIONS_STARTED),
                done=counters.read(session, counters.COMPUTATIONS_DONE),
            )
            self.categories = dict(
                session.execute(select(IndicatorRule.code, IndicatorRule.category)).all()
            )

    def teardown(self) -> None:
        self.outer.rollback()
        self.connection.close()

    # What the user does.

    def _kobo(self, body: dict[str, Any]) -> Any:
        with session_scope(self.factory) as session:
            outcome = receive_kobo(
                session,
                submission=body,
                mapping=DEFAULT_MAPPING,
                reporter_pseudonym="p" * 64,
                secret_key=TEST_SECRET,
                now=self.clock,
                future_tolerance=timedelta(minutes=10),
            )
            return outcome.status, outcome.report.id if outcome.report else None

    def _instance(self) -> str:
        """A new meta/instanceID; the same in every replay of the run (the store rolls back)."""
        self.seq += 1
        return f"uuid:{uuid.UUID(int=self.seq)}"

    def _observed(self, days_ago: int, minutes_ago: int) -> datetime:
        self.seq += 1  # distinct instants, so "newest first" has one answer
        return self.clock - timedelta(days=days_ago, minutes=minutes_ago, seconds=self.seq)

    def _submission(
        self, instance: str, threat: str, severity: int, observed: datetime
    ) -> dict[str, Any]:
        return {
            "meta/instanceID": instance,
            "patrulla/community": COMMUNITY,
            "patrulla/threat_type": threat,
            "patrulla/severity": str(severity),
            "observed_at": observed.isoformat(),
            "_geolocation": [-8.31, -74.08],
        }

    def _after_report(self, report: ModelReport) -> None:
        """What the listener does after the commit: the fast path, if the report is urgent."""
        evaluate_urgent_report(
            settings=self.settings,
            session_factory=self.factory,
            report_id=report.report_id,
            now=self.clock,
        )
        start, end = window(self.clock, 30)
        if not (
            report.threat == "threat_to_defender"
            and report.severity >= 4
            and start <= report.observed_at < end
        ):
            return
        rows = frozenset(
            f"report_ids:{r.report_id}"
            for r in self.by_key.values()
            if r.threat in DEFENDER_TYPES and start <= r.observed_at < end
        )
        self.model.fast_path(self._category_revision("defender_safety"), rows)

    @rule(
        target=reports,
        threat=st.sampled_from(THREATS),
        severity=st.integers(1, 5),
        days_ago=st.sampled_from([0, 0, 0, 0, 1, 3, 9, 35]),
        minutes_ago=st.integers(0, 300),
    )
    def post_report(self, threat: str, severity: int, days_ago: int, minutes_ago: int) -> str:
        instance = self._instance()
        observed = self._observed(days_ago, minutes_ago)
        status, report_id = self._kobo(self._submission(instance, threat, severity, observed))
        assert status is KoboStatus.created
        key = instance
        self.by_key[key] = ModelReport(report_id, instance, threat, severity, observed)
        self._after_report(self.by_key[key])
        return key

    @rule(
        key=reports,
        threat=st.sampled_from(THREATS),
        severity=st.integers(1, 5),
        days_ago=st.sampled_from([0, 0, 1, 9]),
        minutes_ago=st.integers(0, 300),
    )
    def edit_report(
        self, key: str, threat: str, severity: int, days_ago: int, minutes_ago: int
    ) -> None:
        report = self.by_key[key]
        instance = self._instance()
        observed = self._observed(days_ago, minutes_ago)
        body = self._submission(instance, threat, severity, observed)
        body["meta/deprecatedID"] = report.instance
        status, report_id = self._kobo(body)
        assert (status, report_id) == (KoboStatus.replaced, report.report_id)
        report.instance, report.threat, report.severity = instance, threat, severity
        report.observed_at = observed
        self._after_report(report)

    @rule(
        days_ago=st.sampled_from([0, 0, 1, 3, 9]),
        confidence=st.sampled_from(["n", "h", "l"]),
        points=st.integers(1, 4),
    )
    def load_firms(self, days_ago: int, confidence: str, points: int) -> None:
        rows = []
        for _ in range(points):
            self.seq += 1
            acquired = (self.clock - timedelta(days=days_ago, minutes=self.seq)).astimezone(UTC)
            rows.append(
                f"{-8.3 - self.seq * 1e-3:.5f},{-74.1 + self.seq * 1e-3:.5f},330.0,0.4,0.4,"
                f"{acquired:%Y-%m-%d},{acquired:%H%M},N,VIIRS,{confidence},2.0NRT,290.0,5.0,D"
            )
        data = io.BytesIO(("\n".join([VIIRS, *rows]) + "\n").encode())
        with session_scope(self.factory) as session:
            ingest_feed(
                session=session, source=FeedSource.firms, stream=data, origin="t", now=self.clock
            )

    @rule()
    def compute(self) -> None:
        compute_indicators(settings=self.settings, session_factory=self.factory, as_of=self.clock)
        self.model.started += 1
        self.model.done = self.model.started
        self.model.step += 1
        with self.factory() as session:
            for code, content in self._latest(session).items():
                if self.model.content.get(code) != content:
                    self.model.content[code] = content
                    self.model.revision[code] = self.model.step
            self.computed = load_frames(
                session.connection(),
                reports_from=START - timedelta(days=900),
                fire_hotspots_from=START - timedelta(days=900),
                deforestation_from=START - timedelta(days=900),
                end=START + timedelta(days=900),
            )

    @rule()
    def evaluate(self) -> None:
        evaluate_alerts(settings=self.settings, session_factory=self.factory, as_of=self.clock)
        self.model.evaluate(self._states(), self.clock)

    @rule()
    def pipeline(self) -> None:
        self.compute()
        self.evaluate()

    def _open(self, session: Session, category: str) -> Alert:
        return session.execute(
            select(Alert).where(Alert.category == category, Alert.status != "resolved")
        ).scalar_one()

    @precondition(lambda self: bool(self.model.alerts))
    @rule(data=st.data())
    def acknowledge(self, data: st.DataObject) -> None:
        """An analyst acknowledges the alert as a whole, or one institution it is routed to
        acknowledges for itself (DESIGN section 12)."""
        category = data.draw(st.sampled_from(sorted(self.model.alerts)))
        with session_scope(self.factory) as session:
            alert = self._open(session, category)
            who = data.draw(st.sampled_from([ANALYST_WHO, *sorted(alert.routed_to)]))
            principal = (
                ANALYST
                if who == ANALYST_WHO
                else Principal(
                    key_id=2, name=f"{who} oficina", role=Role.institution, institution_code=who
                )
            )
            service.acknowledge_alert(
                session, principal=principal, alert_id=alert.id, note="visto", now=self.clock
            )
        self.model.acknowledge(category, who)

    @precondition(lambda self: bool(self.model.alerts))
    @rule(data=st.data())
    def resolve_by_hand(self, data: st.DataObject) -> None:
        category = data.draw(st.sampled_from(sorted(self.model.alerts)))
        with session_scope(self.factory) as session:
            alert_id = self._open(session, category).id
            service.resolve_alert(
                session,
                principal=ANALYST,
                alert_id=alert_id,
                note="atendido",
                now=self.clock,
                cap=CapSource.of(self.settings),
            )
        self.model.resolve(category)

    @rule(minutes=st.sampled_from([2, 10, 29, 31, 95, 400]))
    def clock_step(self, minutes: int) -> None:
        self.clock += timedelta(minutes=minutes)

    @rule(after=st.sampled_from([1, 20]))
    def cross_midnight(self, after: int) -> None:
        self.clock = local_day_end(self.clock) + timedelta(minutes=after)

    @initialize()
    def first_computation(self) -> None:
        """Start from a store with values, as a running service has."""
        self.compute()

    # What the model reads of the stored values.

    def _latest(self, session: Session) -> dict[str, tuple[Any, ...]]:
        rows = session.execute(
            select(IndicatorValue).where(IndicatorValue.community_code == COMMUNITY)
        ).scalars()
        latest: dict[str, IndicatorValue] = {}
        for row in rows:
            if row.code not in latest or row.window_end > latest[row.code].window_end:
                latest[row.code] = row
        return {code: (r.value, r.level, r.details) for code, r in latest.items()}

    def _category_revision(self, category: str) -> int:
        codes = [c for c, cat in self.categories.items() if cat == category]
        return max(self.model.revision.get(code, 0) for code in codes)

    def _states(self) -> dict[str, CategoryNow]:
        states: dict[str, CategoryNow] = {}
        for code, (_value, level, details) in self.model.content.items():
            category = self.categories[code]
            rows = evidence_rows(details.get("evidence"))
            now = states.get(category)
            if now is None:
                states[category] = CategoryNow(level, self.model.revision[code], rows)
            else:
                now.level = level if rank(level) > rank(now.level) else now.level
                now.revision = max(now.revision, self.model.revision[code])
                now.rows = now.rows | rows
        return states

    # The checks.

    @invariant()
    def values_equal_a_recomputation_from_scratch(self) -> None:
        if self.computed is None:
            return
        with self.factory() as session:
            stored = list(
                session.execute(select(IndicatorValue).order_by(IndicatorValue.id)).scalars()
            )
            signature = [(r.id, r.revision, r.value, r.level) for r in stored]
            if signature == self.checked:
                return  # nothing stored changed since the last check
            communities = load_communities(session)
            rules = load_rules(session)
        ends = sorted({r.window_end for r in stored})
        for end in ends:
            as_of = day_as_of(_day_of(end))
            expected = compute_all(
                reports=self.computed.reports,
                fire_hotspots=self.computed.fire_hotspots,
                deforestation=self.computed.deforestation,
                communities=communities,
                rules=rules,
                as_of=as_of,
            ).set_index(["code", "community_code"])
            for row in (r for r in stored if r.window_end == end):
                want = expected.loc[(row.code, row.community_code)]
                got = (row.value, row.level, row.baseline, row.inputs, row.details)
                wanted = (
                    round(float(want["value"]), 6),
                    want["level"],
                    None if pd.isna(want["baseline"]) else round(float(want["baseline"]), 6),
                    int(want["inputs"]),
                    want["details"],
                )
                assert got == wanted, (row.code, end, got, wanted)
        self.checked = signature

    @invariant()
    def alerts_follow_the_reference_model(self) -> None:
        with self.factory() as session:
            alerts = list(session.execute(select(Alert)).scalars())
            acknowledged = session.execute(
                select(AlertResponse.alert_id, AlertResponse.institution_code).where(
                    AlertResponse.acknowledged_at.is_not(None)
                )
            ).all()
        open_alerts = {a.category: a for a in alerts if a.status != "resolved"}
        assert Tally(a.category for a in alerts) == self.model.raised
        assert set(open_alerts) == set(self.model.alerts), (open_alerts, self.model.alerts)
        for category, expected in self.model.alerts.items():
            actual = open_alerts[category]
            assert (actual.level, actual.status) == (expected.level, expected.status), category
            institutions = {code for alert_id, code in acknowledged if alert_id == actual.id}
            assert institutions == expected.acknowledged_by - {ANALYST_WHO}, category


def _day_of(window_end: datetime) -> int:
    local = (window_end - timedelta(microseconds=1)).astimezone(LIMA).date()
    return (local - datetime(1970, 1, 1, tzinfo=UTC).date()).days
