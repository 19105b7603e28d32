"""The evaluate-alerts job and the fast path against the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ews.alerting.evaluation import evaluate
from ews.alerting.urgent import evaluate_urgent_report, urgent_report_listener
from ews.db import build_engine, build_session_factory, session_scope
from ews.jobs.entry_points import evaluate_alerts
from ews.models import Alert, AlertEvent, OutboxMessage, Silence
from ews.settings import Settings
from tests.support.alerts import (
    COMMUNITY,
    add_report,
    add_value,
    alerts_by_category,
    event_kinds,
    outbox_addresses,
)

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def regional(*codes: str) -> set[str]:
    return {f"alertas@{c.lower()}.example.org" for c in codes}


def national(*codes: str) -> set[str]:
    return {f"nacional@{c.lower()}.example.org" for c in codes}


@pytest.mark.parametrize(
    ("code", "core", "institutions"),
    [
        ("defender_threats", 0.0, ["MINJUS", "DP"]),
        ("deforestation_ha", 0.0, ["MINAM"]),
        ("deforestation_ha", 2.5, ["MINAM", "DP"]),  # the titled territory itself is hit
        ("fire_hotspots", 3.0, ["MINAM"]),
        ("illicit_crop_reports", 0.0, ["DEVIDA"]),
        ("invasion_reports", 0.0, ["DP", "MINJUS", "MINAM"]),
        ("patrol_silence_days", 0.0, ["DEVIDA"]),
        ("threat_index", 0.0, ["MINJUS", "DP"]),
    ],
)
def test_routing_matrix_end_to_end(
    db: Session, settings: Settings, code: str, core: float, institutions: list[str]
) -> None:
    add_value(db, code, "high", T0, value=5, core_value=core)
    summary = evaluate(db, settings=settings, now=T0 + H)
    (alert,) = alerts_by_category(db).values()
    assert alert.routed_to == institutions
    assert alert.level == "high"
    assert alert.status == "open"
    assert summary["events"] == {"raised": 1}
    assert outbox_addresses(db, alert.id) == {"raised": regional(*institutions)}
    assert {i["code"] for i in alert.context["institutions"]} == set(institutions)
    assert alert.context["prototype_block"]["title_es"]


def test_a_critical_defender_threat_reaches_the_national_contacts_once(
    db: Session, settings: Settings
) -> None:
    add_value(db, "defender_threats", "critical", T0, value=2)
    evaluate(db, settings=settings, now=T0 + H)
    alert = alerts_by_category(db)["defender_safety"]
    assert event_kinds(db, alert.id) == ["raised", "escalated_national"]
    # Ordinary routing already reaches MINJUS's and DP's national contacts (min level critical).
    assert outbox_addresses(db, alert.id) == {
        "raised": regional("MINJUS", "DP") | national("MINJUS", "DP")
    }
    assert alert.national_escalated_at == T0 + H


def test_a_critical_fire_goes_national_to_minjus_and_dp(db: Session, settings: Settings) -> None:
    add_value(db, "fire_hotspots", "critical", T0, value=30)
    evaluate(db, settings=settings, now=T0 + H)
    alert = alerts_by_category(db)["fire"]
    assert alert.routed_to == ["MINAM", "MINJUS", "DP"]
    assert outbox_addresses(db, alert.id) == {
        "raised": regional("MINAM") | national("MINAM"),
        "escalated_national": national("MINJUS", "DP"),
    }


def test_a_high_alert_unacknowledged_for_12_hours_goes_national(
    db: Session, settings: Settings
) -> None:
    add_value(db, "fire_hotspots", "high", T0, value=12)
    evaluate(db, settings=settings, now=T0 + H)
    evaluate(db, settings=settings, now=T0 + 12 * H)
    alert = alerts_by_category(db)["fire"]
    assert event_kinds(db, alert.id) == ["raised"]
    evaluate(db, settings=settings, now=T0 + 13 * H)
    assert event_kinds(db, alert.id) == ["raised", "escalated_national"]
    assert outbox_addresses(db, alert.id)["escalated_national"] == national("MINJUS", "DP")


def test_lifecycle_escalate_deescalate_remind_and_auto_resolve(
    db: Session, settings: Settings
) -> None:
    add_value(db, "invasion_reports", "warning", T0, value=1)
    evaluate(db, settings=settings, now=T0)
    add_value(db, "invasion_reports", "high", T0 + H, value=3)
    evaluate(db, settings=settings, now=T0 + H)
    add_value(db, "invasion_reports", "warning", T0 + 2 * H, value=2)
    evaluate(db, settings=settings, now=T0 + 2 * H)
    evaluate(db, settings=settings, now=T0 + 26 * H)  # 25 h since the last notification
    add_value(db, "invasion_reports", "none", T0 + 27 * H, value=0)
    evaluate(db, settings=settings, now=T0 + 27 * H)
    alert = alerts_by_category(db)["territorial_invasion"]
    assert alert.status == "open"
    assert alert.below_warning_since == T0 + 27 * H
    add_value(db, "invasion_reports", "none", T0 + 28 * H, value=0)
    evaluate(db, settings=settings, now=T0 + 28 * H)
    alert = alerts_by_category(db)["territorial_invasion"]
    assert event_kinds(db, alert.id) == [
        "raised",
        "escalated",
        "deescalated",
        "reminded",
        "resolved",
    ]
    assert alert.status == "resolved"
    assert alert.resolved_at == T0 + 28 * H
    notified = outbox_addresses(db, alert.id)
    assert set(notified) == {"raised", "escalated", "reminded", "resolved"}  # not deescalated
    assert notified["resolved"] == regional("DP", "MINJUS", "MINAM")


def test_rerunning_adds_no_duplicate(db: Session, settings: Settings) -> None:
    for code in ("defender_threats", "fire_hotspots", "invasion_reports", "threat_index"):
        add_value(db, code, "high", T0, value=4)
    first = evaluate(db, settings=settings, now=T0 + H)
    counts = [
        db.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Alert, AlertEvent, OutboxMessage)
    ]
    second = evaluate(db, settings=settings, now=T0 + H)
    again = [
        db.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Alert, AlertEvent, OutboxMessage)
    ]
    assert first["events"] == {"raised": 4}
    assert second["events"] == {}
    assert second["messages"] == 0
    assert again == counts


def test_new_evidence_updates_the_open_alert(db: Session, settings: Settings) -> None:
    add_value(
        db, "deforestation_ha", "warning", T0, value=6, evidence={"deforestation_alert_ids": [11]}
    )
    evaluate(db, settings=settings, now=T0)
    add_value(
        db,
        "deforestation_ha",
        "warning",
        T0 + H,
        value=8,
        core_value=1.0,
        evidence={"deforestation_alert_ids": [12]},
    )
    add_value(
        db, "forest_crime_reports", "warning", T0 + H, value=1, evidence={"report_ids": ["r-1"]}
    )
    evaluate(db, settings=settings, now=T0 + H)
    (alert,) = db.execute(select(Alert)).scalars().all()
    assert event_kinds(db, alert.id) == ["raised"]
    assert alert.evidence["deforestation_alert_ids"] == [11, 12]
    assert alert.evidence["report_ids"] == ["r-1"]
    assert {i["code"]: i["value"] for i in alert.evidence["indicators"]} == {
        "deforestation_ha": 8,
        "forest_crime_reports": 1,
    }
    assert alert.evidence["indicators"][0]["baseline"] == 0.5
    assert alert.routed_to == ["MINAM", "DP"]  # the territory is now hit


def test_a_silenced_alert_is_recorded_not_sent(db: Session, settings: Settings) -> None:
    db.add(
        Silence(
            community_code=COMMUNITY,
            category="fire",
            starts_at=T0 - H,
            ends_at=T0 + 5 * H,
            author="Ana",
            reason="quema agrícola conocida",
        )
    )
    add_value(db, "fire_hotspots", "critical", T0, value=30)
    summary = evaluate(db, settings=settings, now=T0)
    alert = alerts_by_category(db)["fire"]
    assert event_kinds(db, alert.id) == ["raised"]
    assert summary["muted"] == 1
    assert summary["messages"] == 0
    assert outbox_addresses(db, alert.id) == {}
    # When the silence ends, the national escalation it held back goes out.
    evaluate(db, settings=settings, now=T0 + 6 * H)
    assert event_kinds(db, alert.id) == ["raised", "escalated_national"]


def test_the_job_commits_once(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    add_value(db, "patrol_silence_days", "warning", T0, value=15)
    db.commit()
    summary = evaluate_alerts(settings=settings, session_factory=session_factory, as_of=T0 + H)
    assert summary["events"] == {"raised": 1}
    assert summary["messages"] == 1
    assert alerts_by_category(db)["monitoring_gap"].routed_to == ["DEVIDA"]


def test_the_fast_path_raises_the_defender_alert_at_once(fresh_settings: Settings) -> None:
    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        quiet = add_report(session, "threat_to_defender", 3, now - H)
        urgent = add_report(session, "threat_to_defender", 5, now - H / 2)
        other = add_report(session, "fire", 5, now - H / 2)
    listener = urgent_report_listener(settings=fresh_settings, session_factory=factory)
    for report_id in (quiet.id, other.id, "no-such-report"):
        listener(report_id)
    with factory() as session:
        assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 0
    evaluate_urgent_report(settings=fresh_settings, session_factory=factory, report_id=urgent.id)
    evaluate_urgent_report(settings=fresh_settings, session_factory=factory, report_id=urgent.id)
    with factory() as session:
        alert = alerts_by_category(session)["defender_safety"]
        assert alert.level == "critical"
        assert alert.routed_to == ["MINJUS", "DP"]
        assert event_kinds(session, alert.id) == ["raised", "escalated_national"]
        assert outbox_addresses(session, alert.id) == {
            "raised": regional("MINJUS", "DP") | national("MINJUS", "DP")
        }
        assert set(alert.evidence["report_ids"]) == {quiet.id, urgent.id}
        # A scheduled evaluation on values computed before the report does not undo it.
        add_value(session, "defender_threats", "none", now - 2 * H, value=0)
        evaluate(session, settings=fresh_settings, now=now)
        session.commit()
        assert event_kinds(session, alert.id) == ["raised", "escalated_national"]
        assert session.get(Alert, alert.id).below_warning_since is None
    engine.dispose()


def test_the_fast_path_escalates_an_open_high_alert(db: Session, settings: Settings) -> None:
    from ews.alerting.urgent import evaluate_report

    add_value(db, "defender_threats", "high", T0, value=1)
    evaluate(db, settings=settings, now=T0)
    report = add_report(db, "threat_to_defender", 4, T0 + H)
    evaluate_report(db, settings=settings, report_id=report.id, now=T0 + 2 * H)
    alert = alerts_by_category(db)["defender_safety"]
    assert alert.level == "critical"
    assert event_kinds(db, alert.id) == ["raised", "escalated", "escalated_national"]
    assert outbox_addresses(db, alert.id)["escalated"] == regional("MINJUS", "DP") | national(
        "MINJUS", "DP"
    )


def test_dp_keeps_hearing_of_a_deforestation_that_hit_the_territory(
    db: Session, settings: Settings
) -> None:
    add_value(db, "deforestation_ha", "warning", T0, value=6, core_value=2.0)
    evaluate(db, settings=settings, now=T0)
    add_value(db, "deforestation_ha", "high", T0 + H, value=25, core_value=0.0)
    evaluate(db, settings=settings, now=T0 + H)
    alert = alerts_by_category(db)["deforestation"]
    assert alert.evidence["territory_hit"] is True
    assert outbox_addresses(db, alert.id)["escalated"] == regional("MINAM", "DP")


def test_concurrent_fast_paths_raise_one_alert(fresh_settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = build_engine(fresh_settings)
    factory = build_session_factory(engine)
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        ids = [add_report(session, "threat_to_defender", 5, now - H).id for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(
            pool.map(
                lambda report_id: evaluate_urgent_report(
                    settings=fresh_settings, session_factory=factory, report_id=report_id
                ),
                ids,
            )
        )
    with factory() as session:
        alerts = session.execute(select(Alert)).scalars().all()
        assert len(alerts) == 1
        assert event_kinds(session, alerts[0].id) == ["raised", "escalated_national"]
        assert set(alerts[0].evidence["report_ids"]) == set(ids)
    engine.dispose()
