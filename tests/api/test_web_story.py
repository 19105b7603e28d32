"""Pages that tell the story in Spanish (English behind the switch): the alert page, a report, the
landing map, the community page's dates and units, the delivery log in words, the mail kept in
development. Through the ASGI app on both engines."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from ews.api.app import create_app
from ews.demo import generate_communities
from ews.jobs.entry_points import deliver_notifications
from ews.models import Community, IndicatorValue, Report
from ews.reference.loader import community_values
from ews.settings import Settings
from ews.web import geo
from ews.web.delivery_words import explain_delivery
from ews.web.i18n import Lang
from indicators import LIMA
from tests.support import web_sample
from tests.support.delivery import queue_alert
from tests.support.web import overview_levels, sign_in

OBSERVED = datetime(2026, 11, 26, 14, 5, 41, 123456, tzinfo=UTC)  # 09:05 in Lima
PSEUDONYM = "f" * 64


def add_report(db: Session, *, threat: str, words: str, community: str = "flor-de-ucayali") -> str:
    report_id = str(uuid.uuid4())
    db.add(
        Report(
            id=report_id,
            community_code=community,
            threat_type=threat,
            severity=5,
            observed_at=OBSERVED,
            received_at=OBSERVED + timedelta(minutes=3),
            latitude=-8.31,
            longitude=-74.08,
            description=words,
            reporter_pseudonym=PSEUDONYM,
            source="api",
            content_hash="0" * 64,
        )
    )
    db.flush()
    return report_id


def synthetic_community(db: Session) -> str:
    entry = generate_communities(1)[0]
    db.add(Community(code=entry["code"], **community_values(entry)))
    db.flush()
    return str(entry["code"])


def test_the_alert_page_tells_what_where_when_and_what_is_asked_without_who(
    client: TestClient, db: Session, make_key
) -> None:
    report_id = add_report(db, threat="threat_to_defender", words="Amenazaron a Juan Pérez")
    alert = web_sample.add_alert(
        db,
        opened_at=OBSERVED + timedelta(seconds=30),
        evidence=web_sample.indicator_evidence(
            "defender_threats", 1, "critical", report_ids=[report_id]
        ),
    )
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get(f"/dashboard/alerts/{alert.id}").text
    for heading in (
        "Qué pasó",
        "Cuándo",
        "Dónde",
        "Lo que dijeron los monitores",
        "Qué se pide a cada institución",
        "Cronología",
        "Evidencia",
    ):
        assert f">{heading}" in html, heading
    assert "Amenazas a personas defensoras: 1 (nivel crítico" in html  # what happened, in words
    assert "26/11/2026 09:05" in html
    assert "(hora de Lima)" in html  # Lima time, to the minute
    assert "14:05" not in html
    assert "123456" not in html
    assert "+00:00" not in html
    assert re.search(r'<svg id="map"[^>]*>.*class="layer layer-reports" data-count="1"', html, re.S)
    # A defender's safety: the monitor's words stay out, and who reported never shows.
    assert 'id="words-withheld"' in html
    assert "Juan Pérez" not in html
    assert PSEUDONYM not in html
    asks = html[html.index('id="asks"') :]
    assert "MINJUS" in asks
    assert "DP" in asks
    assert "Activar el Mecanismo de Protección" in asks
    reports_table = html[html.index('id="evidence-reports"') :]
    assert "<th>Fecha y hora</th>" in reports_table
    assert "<th>Gravedad</th>" in reports_table
    assert f'href="/dashboard/reports/{report_id}"' in reports_table
    assert "amenaza a defensores" in reports_table
    assert "en el territorio" in reports_table
    report = client.get(f"/dashboard/reports/{report_id}").text
    assert "26/11/2026 09:05" in report
    assert "amenaza a defensores" in report
    assert "Juan Pérez" not in report
    assert PSEUDONYM not in report


def test_the_monitors_words_show_when_the_category_allows_them(
    client: TestClient, db: Session, make_key
) -> None:
    report_id = add_report(db, threat="illegal_logging", words="Motosierras cerca de la cocha")
    alert = web_sample.add_alert(
        db,
        category="deforestation",
        level="high",
        routed_to=["MINAM", "DP"],
        opened_at=OBSERVED,
        evidence=web_sample.indicator_evidence(
            "forest_crime_reports", 3, "high", report_ids=[report_id]
        ),
    )
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get(f"/dashboard/alerts/{alert.id}").text
    assert "«Motosierras cerca de la cocha»" in html
    assert PSEUDONYM not in html
    assert "Motosierras cerca de la cocha" in client.get(f"/dashboard/reports/{report_id}").text


def test_the_alert_page_in_english_speaks_english(
    client: TestClient, db: Session, make_key
) -> None:
    alert = web_sample.add_alert(db, opened_at=OBSERVED)
    db.commit()
    sign_in(client, make_key("analyst"))
    client.get("/dashboard/lang/en", follow_redirects=False)
    html = client.get(f"/dashboard/alerts/{alert.id}").text
    assert "What happened" in html
    assert "What each institution is asked to do" in html
    assert "Defender safety" in html
    assert "Lima time" in html
    for spanish in ("Qué pasó", "Cronología", "Seguridad de personas defensoras", "hora de Lima"):
        assert spanish not in html


def test_an_institution_sees_only_the_reports_behind_its_alerts(
    client: TestClient, db: Session, make_key
) -> None:
    theirs = add_report(db, threat="threat_to_defender", words="x")
    other = add_report(db, threat="settler_invasion", words="y")
    web_sample.add_alert(
        db,
        routed_to=["MINJUS"],
        opened_at=OBSERVED,
        evidence=web_sample.indicator_evidence(
            "defender_threats", 1, "critical", report_ids=[theirs]
        ),
    )
    db.commit()
    sign_in(client, make_key("institution", institution="MINJUS"))
    assert client.get(f"/dashboard/reports/{theirs}").status_code == 200
    assert client.get(f"/dashboard/reports/{other}").status_code == 404
    assert client.get(f"/dashboard/reports/{uuid.uuid4()}").status_code == 404


def test_a_demo_alert_page_says_it_is_a_drill(client: TestClient, db: Session, make_key) -> None:
    demo = synthetic_community(db)
    alert = web_sample.add_alert(db, community=demo, opened_at=OBSERVED)
    real = web_sample.add_alert(db, category="fire", level="warning", opened_at=OBSERVED)
    db.commit()
    sign_in(client, make_key("analyst"))
    assert 'id="drill"' in client.get(f"/dashboard/alerts/{alert.id}").text
    assert 'id="drill"' not in client.get(f"/dashboard/alerts/{real.id}").text


def test_the_landing_page_opens_with_every_community_coloured_by_its_highest_open_alert(
    client: TestClient, db: Session, make_key
) -> None:
    demo = synthetic_community(db)
    web_sample.add_alert(
        db, category="fire", level="warning", routed_to=["MINAM"], opened_at=OBSERVED
    )
    web_sample.add_alert(db, level="high", routed_to=["MINJUS", "DP"], opened_at=OBSERVED)
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get("/dashboard").text
    assert html.index('id="overview-map"') < html.index('id="alert-queue"')
    assert overview_levels(html) == {"flor-de-ucayali": "high", demo: "none"}
    # An institution's map counts only the alerts routed to it.
    client.cookies.clear()
    sign_in(client, make_key("institution", institution="MINAM"))
    mine = overview_levels(client.get("/dashboard").text)
    assert mine == {"flor-de-ucayali": "warning", demo: "none"}


def test_the_community_page_dates_a_value_by_the_day_it_covers_in_one_language(
    client: TestClient, db: Session, make_key
) -> None:
    today = datetime.now(UTC).astimezone(LIMA).date()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), LIMA)
    for code, value in (("threat_index", 40.0), ("patrol_silence_days", 0.0)):
        db.add(
            IndicatorValue(
                code=code,
                community_code="flor-de-ucayali",
                window_start=end - timedelta(days=1),
                window_end=end,
                value=value,
                level="warning" if value else "none",
                baseline=10.0,
                inputs=1,
                computed_at=datetime.now(UTC),
                algorithm_version="1",
                details={},
            )
        )
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get("/dashboard/communities/flor-de-ucayali").text
    assert f"día {today:%d/%m/%Y}" in html
    assert f"{today + timedelta(days=1):%d/%m/%Y}" not in html  # never "tomorrow"
    assert re.search(r"Último valor \([\d/]+\): 0 días", html)
    client.get("/dashboard/lang/en", follow_redirects=False)
    english = client.get("/dashboard/communities/flor-de-ucayali").text
    assert re.search(r"Latest value \([\d/]+\): 0 days", english)
    for spanish in ("días", "Por río desde Pucallpa", "Acceso", "Último valor"):
        assert spanish not in english


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        ("sent", None, "Entregado."),
        ("pending", None, "En cola para enviarse."),
        (
            "pending",
            "ConnectionRefusedError: [Errno 111] Connection refused",
            "el servidor de destino rechazó la conexión",
        ),
        (
            "dead",
            "SMTP recipient refused: a@b: 550 no such user",
            "rechazó el mensaje o la dirección",
        ),
        ("dead", "simulacro retenido: un ejercicio ...", "Simulacro retenido"),
        ("dead", "SMTP 451 4.3.0 temporary failure", "ya no se reintenta"),
        ("dead", "SMTP 451 4.3.0 temporary failure", "Cuando el destino vuelva a funcionar"),
        ("dead", "HTTP 404: not found", "La URL del webhook no existe"),
        (
            "pending",
            "sin pasarela SMS configurada / no SMS gateway configured",
            "EWS_SMS_GATEWAY_URL",
        ),
    ],
)
def test_the_delivery_log_says_what_happened_in_words(
    status: str, error: str | None, words: str
) -> None:
    said = explain_delivery(
        status=status, last_error=error, attempts=2, max_attempts=8, lang=Lang.es
    )
    assert words in f"{said.what} {said.todo}"
    assert "Errno" not in said.what + said.todo
    english = explain_delivery(
        status=status, last_error=error, attempts=2, max_attempts=8, lang=Lang.en
    )
    assert english.what
    assert english.what != said.what


def test_the_mail_kept_in_development_is_shown_on_the_dashboard(
    db: Session,
    settings: Settings,
    session_factory: sessionmaker[Session],
    make_key,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    development = settings.model_copy(update={"env": "development", "mail_dir": tmp_path / "mail"})
    assert development.catches_mail
    demo = synthetic_community(db)
    queue_alert(db, contact_codes=["minjus-regional-email"], community=demo)
    db.commit()
    summary = deliver_notifications(settings=development, session_factory=session_factory)
    assert summary["sent"] == 1
    app = create_app(development, engine=db.get_bind(), session_factory=session_factory)  # type: ignore[arg-type]
    with TestClient(app) as client:
        sign_in(client, make_key("analyst"))
        listing = client.get("/dashboard/mail").text
        assert 'id="mail-caught"' in listing
        assert str(tmp_path / "mail") in listing
        [key] = re.findall(r'href="/dashboard/mail/([^"]+)"', listing)
        message = client.get(f"/dashboard/mail/{key}").text
        assert "alertas@minjus.example.org" in message
        assert "SIMULACRO: ejercicio con datos sintéticos" in message
        assert client.get("/dashboard/mail/..%2F..%2Fetc%2Fpasswd").status_code == 404
        assert 'id="mail-caught"' in client.get("/dashboard/deliveries").text
        client.cookies.clear()
        sign_in(client, make_key("institution", institution="MINJUS"))
        assert client.get("/dashboard/mail").status_code == 403


def test_the_overview_draws_every_community_with_the_most_urgent_on_top() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [
            [[-74.2, -8.4], [-74.0, -8.4], [-74.0, -8.2], [-74.2, -8.2], [-74.2, -8.4]]
        ],
    }
    far = {
        "type": "Polygon",
        "coordinates": [
            [[-75.1, -10.6], [-74.9, -10.6], [-74.9, -10.4], [-75.1, -10.4], [-75.1, -10.6]]
        ],
    }
    view = geo.build_overview(
        [("a", "Alfa", square), ("b", "Beta", far), ("c", "Gamma", far)],
        {"a": ("critical", 2), "c": ("warning", 1)},
    )
    assert [(p.code, p.level, p.open_alerts) for p in view.places] == [
        ("b", "none", 0),
        ("c", "warning", 1),
        ("a", "critical", 2),
    ]
    assert all(p.path.startswith("M") and p.path.endswith("z") for p in view.places)
    assert view.width >= view.height  # a landscape map, whatever the communities' spread
    a, b = view.places[2], view.places[0]
    assert a.y < b.y
    assert a.x > b.x  # north up, east right
