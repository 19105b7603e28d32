"""The dashboard and report pages through the ASGI app (both engines): security headers, who sees
what, the map, the charts and English, the alert actions and their anti-forgery checks. Sign-in and
its cookie are in ``test_web_sign_in_session.py``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support import web_sample
from tests.support.web import ORIGIN, auth, csrf_token, sign_in


def test_security_headers_on_every_page(client: TestClient, make_key) -> None:
    sign_in(client, make_key("analyst"))
    for path in ("/dashboard", "/dashboard/login", "/report", "/dashboard/reference"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_no_inline_script_or_remote_asset_in_pages(
    client: TestClient, db: Session, make_key
) -> None:
    web_sample.populate(db, now=web_sample.utc_now())
    db.commit()
    sign_in(client, make_key("analyst"))
    for path in (
        "/dashboard",
        "/dashboard/communities/flor-de-ucayali",
        "/dashboard/deliveries",
        "/dashboard/silences",
        "/dashboard/reference",
        "/report",
    ):
        html = client.get(path).text
        # A JSON data block (the landing map's data) is not a script: it never runs, CSP or not.
        inline = r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
        assert not re.search(inline, html), path
        assert " style=" not in html, path
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_institution_sees_only_its_own_alerts(client: TestClient, db: Session, make_key) -> None:
    now = web_sample.utc_now()
    mine = web_sample.add_alert(
        db,
        category="fire",
        level="warning",
        routed_to=["MINAM"],
        opened_at=now - timedelta(hours=3),
    )
    other = web_sample.add_alert(
        db,
        category="defender_safety",
        routed_to=["MINJUS", "DP"],
        opened_at=now - timedelta(hours=1),
    )
    db.commit()
    sign_in(client, make_key("institution", institution="MINAM"))
    queue = client.get("/dashboard").text
    assert f'href="/dashboard/alerts/{mine.id}"' in queue
    assert f'href="/dashboard/alerts/{other.id}"' not in queue
    assert client.get(f"/dashboard/alerts/{mine.id}").status_code == 200
    assert client.get(f"/dashboard/alerts/{other.id}").status_code == 404
    assert client.get("/dashboard/deliveries").status_code == 403
    assert client.get("/dashboard/silences").status_code == 403


def test_queue_orders_by_level_then_age_and_filters(
    client: TestClient, db: Session, make_key
) -> None:
    now = web_sample.utc_now()
    old_warning = web_sample.add_alert(
        db, category="fire", level="warning", routed_to=["MINAM"], opened_at=now - timedelta(days=3)
    )
    new_critical = web_sample.add_alert(
        db, category="defender_safety", level="critical", opened_at=now - timedelta(minutes=30)
    )
    old_high = web_sample.add_alert(
        db,
        category="territorial_invasion",
        level="high",
        routed_to=["DP"],
        opened_at=now - timedelta(days=1),
    )
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get("/dashboard").text
    order = [int(n) for n in re.findall(r'href="/dashboard/alerts/(\d+)"', html)]
    assert order == [new_critical.id, old_high.id, old_warning.id]
    filtered = client.get("/dashboard", params={"level": "high"}).text
    assert re.findall(r'href="/dashboard/alerts/(\d+)"', filtered) == [str(old_high.id)]


def test_alert_page_shows_evidence_and_timeline_without_reporter_identity(
    client: TestClient, db: Session, make_key
) -> None:
    alert = web_sample.add_alert(db, opened_at=web_sample.utc_now() - timedelta(hours=2))
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get(f"/dashboard/alerts/{alert.id}").text
    assert 'id="timeline"' in html
    assert "emitida" in html
    assert "Amenazas a personas defensoras" in html  # the indicator by its name, not its code
    assert "defender_threats" not in html
    assert "territory_hit" not in html
    assert "reporter_pseudonym" not in html
    assert "Activar el Mecanismo de Protección" in html


def test_community_page_draws_map_charts_and_index(
    client: TestClient, db: Session, make_key
) -> None:
    web_sample.populate(db, now=web_sample.utc_now())
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get("/dashboard/communities/flor-de-ucayali").text
    territory = re.search(r'<path id="territory" class="territory" d="([^"]+)"', html)
    assert territory
    assert territory.group(1).startswith("M")
    assert territory.group(1).endswith("Z")
    assert territory.group(1).count("L") == 4  # the illustrative rectangle: five corners
    assert re.search(r'<path id="buffer" class="buffer" fill-rule="evenodd" d="M[^"]+Z[^"]*M', html)
    assert re.search(r'class="layer layer-reports" data-count="[1-9]\d*"', html)
    assert re.search(r'class="layer layer-hotspots" data-count="[1-9]\d*"', html)
    for code in ("defender_threats", "deforestation_ha", "threat_index", "patrol_silence_days"):
        chart = html.split(f'id="chart-{code}"')[1].split("</figure>")[0]
        assert '<polyline class="value" points="' in chart
        assert '<polyline class="baseline"' in chart
    assert 'id="contributions"' in html
    assert html.count('<g class="part"') == 7
    only_fire = client.get(
        "/dashboard/communities/flor-de-ucayali",
        params={"layer": "reports", "threat": "fire", "since": "2000-01-01"},
    ).text
    assert "layer-hotspots" not in only_fire
    marks = re.findall(r'<g class="(t-[a-z_]+)">', only_fire)
    assert marks == ["t-fire"]


def test_switch_to_english(client: TestClient, make_key) -> None:
    sign_in(client, make_key("analyst"))
    assert "Cola de alertas" in client.get("/dashboard").text
    response = client.get(
        "/dashboard/lang/en", params={"next": "/dashboard/reference"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/reference"
    english = client.get("/dashboard").text
    assert "Alert queue" in english
    assert "Cola de alertas" not in english
    assert '<html lang="en">' in english
    away = client.get(
        "/dashboard/lang/es", params={"next": "https://evil.example.org/"}, follow_redirects=False
    )
    assert away.headers["location"] == "/dashboard"


def test_delivery_log_lists_dead_and_failed_first(
    client: TestClient, db: Session, make_key
) -> None:
    web_sample.populate(db, now=web_sample.utc_now(), volume=web_sample.Volume(1, 1, 1, 24 * 30))
    db.commit()
    sign_in(client, make_key("analyst"))
    html = client.get("/dashboard/deliveries").text
    statuses = re.findall(r'<tr class="msg-(\w+)', html)
    assert statuses, "messages are listed"
    ranks = [{"dead": 0, "pending": 1, "sent": 2}[s] for s in statuses]
    assert ranks == sorted(ranks)
    # In words a person can act on, the raw error kept under "technical detail".
    assert "El servidor de correo rechazó el mensaje por ahora (un fallo temporal)." in html
    assert "<summary>Detalle técnico</summary>" in html
    assert "SMTP 451" in html


def test_silences_and_reference_pages(client: TestClient, db: Session, make_key) -> None:
    web_sample.populate(db, now=web_sample.utc_now(), volume=web_sample.Volume(1, 1, 1, 24 * 30))
    db.commit()
    sign_in(client, make_key("analyst"))
    silences = client.get("/dashboard/silences").text
    assert "Quema agrícola comunal conocida" in silences
    assert "Vigente" in silences
    reference = client.get("/dashboard/reference").text
    for text in (
        "DEVIDA",
        "MINJUS",
        "Defensoría",
        "Punto focal",
        "Seguridad de personas defensoras",
    ):
        assert text in reference


def test_report_page_loads_without_a_key_and_names_the_community(
    client: TestClient, make_key
) -> None:
    page = client.get("/report")
    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    assert "Guardar y enviar" in page.text
    worker = client.get("/report/sw.js")
    assert worker.headers["service-worker-allowed"] == "/report"
    assert '"/report"' in worker.text
    monitor = make_key("monitor", community="flor-de-ucayali")
    me = client.get("/report/me", headers=auth(monitor))
    assert me.json() == {
        "role": "monitor",
        "community": "flor-de-ucayali",
        "community_name": "Comunidad Nativa Flor de Ucayali",
    }
    assert client.get("/report/me").status_code == 401
    assert client.get("/report/me", headers=auth(make_key("analyst"))).status_code == 403


def test_static_assets_are_cached_by_content_hash(client: TestClient) -> None:
    page = client.get("/report").text
    url = re.search(r'src="(/static/report\.js\?v=[0-9a-f]+)"', page).group(1)
    first = client.get(url)
    assert first.status_code == 200
    assert "immutable" in first.headers["cache-control"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/../settings.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404


@pytest.mark.parametrize("path", ["/dashboard/communities/nowhere", "/dashboard/alerts/999999"])
def test_unknown_objects_are_404_pages(client: TestClient, make_key, path: str) -> None:
    sign_in(client, make_key("analyst"))
    response = client.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]


def test_acknowledge_and_resolve_with_a_note(client: TestClient, db: Session, make_key) -> None:
    alert = web_sample.add_alert(db, opened_at=web_sample.utc_now() - timedelta(hours=2))
    db.commit()
    sign_in(client, make_key("analyst", name="Ana Analista"))
    page = client.get(f"/dashboard/alerts/{alert.id}")
    token = csrf_token(page.text)
    assert 'id="ack-form"' in page.text
    assert 'id="resolve-form"' in page.text
    empty = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "  ", "csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert empty.headers["location"].endswith("?notice=note")
    done = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "Recibido, llamamos al apu.", "csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].endswith("?notice=ack")
    html = client.get(done.headers["location"]).text
    assert "Recibo registrado." in html
    assert "Recibido, llamamos al apu." in html
    assert html.count('<li class="ev-') == 2
    assert 'id="ack-form"' not in html
    resolved = client.post(
        f"/dashboard/alerts/{alert.id}/resolve",
        data={"note": "La amenaza cesó.", "csrf": token},
        headers=ORIGIN,
    )
    assert "Alerta resuelta." in resolved.text
    assert 'id="resolve-form"' not in resolved.text
    assert "La amenaza cesó." in resolved.text
    again = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "tarde", "csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert again.headers["location"].endswith("?notice=closed")


def test_alert_actions_refuse_forged_forms_and_other_institutions(
    client: TestClient, db: Session, make_key
) -> None:
    alert = web_sample.add_alert(
        db, routed_to=["MINJUS", "DP"], opened_at=web_sample.utc_now() - timedelta(hours=2)
    )
    db.commit()
    sign_in(client, make_key("institution", institution="MINJUS"))
    token = csrf_token(client.get(f"/dashboard/alerts/{alert.id}").text)
    forged = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "x", "csrf": "forged"},
        headers=ORIGIN,
    )
    assert forged.status_code == 403
    foreign = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "x", "csrf": token},
        headers={"Origin": "https://evil.example.org"},
    )
    assert foreign.status_code == 403
    client.cookies.clear()
    sign_in(client, make_key("institution", institution="MINAM"))
    token = csrf_token(client.get("/dashboard").text)
    other = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "x", "csrf": token},
        headers=ORIGIN,
    )
    assert other.status_code == 404
    db.expire_all()
    assert db.get(type(alert), alert.id).status == "open"
