"""What the alert endpoints publish: CAP 1.2 in every state (validated against the OASIS schema),
the Atom feed of the caller's alerts, and no reporter identity in any alert answer."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy.orm import Session

from ews.alerting.evaluation import evaluate
from ews.alerting.urgent import evaluate_report
from ews.settings import Settings
from tests.support.alert_api import NOW, H, key
from tests.support.alerts import add_report, add_value, alerts_by_category
from tests.support.paths import CAP_XSD

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CAP_XSD)))


def cap_document(client: TestClient, headers: dict[str, str], alert_id: int) -> etree._Element:
    response = client.get(f"/api/v1/alerts/{alert_id}/cap", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/cap+xml")
    return etree.fromstring(response.content)


def test_cap_in_every_state_is_valid(
    client: TestClient,
    make_key,
    db: Session,
    settings: Settings,
    cap_schema: etree.XMLSchema,
) -> None:  # type: ignore[no-untyped-def]
    headers = key(make_key, "analyst")
    report = add_report(db, "threat_to_defender", 5, NOW - 3 * H)
    add_value(db, "fire_hotspots", "warning", NOW - 3 * H, value=4)
    evaluate(db, settings=settings, now=NOW - 3 * H)
    db.commit()
    alert_id = alerts_by_category(db)["fire"].id
    seen = []

    def check(expected_type: str, severity: str) -> etree._Element:
        doc = cap_document(client, headers, alert_id)
        cap_schema.assertValid(doc)
        assert doc.findtext(f"{CAP}msgType") == expected_type
        assert doc.findtext(f"{CAP}status") == "Actual"
        assert doc.findtext(f"{CAP}scope") == "Restricted"
        infos = doc.findall(f"{CAP}info")
        assert [i.findtext(f"{CAP}language") for i in infos] == ["es-PE", "en"]
        assert {i.findtext(f"{CAP}severity") for i in infos} == {severity}
        area = infos[0].find(f"{CAP}area")
        assert area.findtext(f"{CAP}geocode/{CAP}value") == "250101"
        polygon = area.findtext(f"{CAP}polygon").split()
        assert polygon[0] == polygon[-1] == "-8.390000,-74.150000"
        text = etree.tostring(doc, encoding="unicode")
        assert report.reporter_pseudonym not in text
        assert "apu" not in text
        seen.append(doc.findtext(f"{CAP}identifier"))
        return doc

    first = check("Alert", "Moderate")  # raised
    assert first.findtext(f"{CAP}restriction") == "MINAM"
    assert first.find(f"{CAP}references") is None
    add_value(db, "fire_hotspots", "high", NOW - 2 * H, value=12)
    evaluate(db, settings=settings, now=NOW - 2 * H)
    db.commit()
    update = check("Update", "Severe")  # escalated
    assert update.findtext(f"{CAP}references").split(",")[1] == seen[0]
    client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=headers, json={"note": "visto"})
    check("Update", "Severe")  # acknowledged: it notified nobody, so the latest message stands
    assert seen[-1] == seen[-2]
    seen.pop()
    add_value(db, "fire_hotspots", "critical", NOW - H, value=30)
    evaluate(db, settings=settings, now=NOW - H)
    db.commit()
    extreme = check("Update", "Extreme")  # escalated and escalated nationally
    assert extreme.findtext(f"{CAP}restriction") == "MINAM MINJUS DP"
    client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=headers, json={"note": "apagado"})
    cancel = check("Cancel", "Extreme")  # resolved
    assert cancel.findtext(f"{CAP}references").split(",")[1] == seen[0]
    # Every earlier message, in order: raised, escalated, then escalated and escalated_national
    # (one evaluation, two messages; /cap showed the latter).
    references = [r.split(",")[1] for r in cancel.findtext(f"{CAP}references").split()]
    assert len(references) == 4
    assert [references[0], references[1], references[3]] == seen[:-1]
    assert len(set(seen)) == len(seen)  # every message has its own identifier
    # The fast path's alert renders too.
    evaluate_report(db, settings=settings, report_id=report.id, now=NOW)
    db.commit()
    defender_id = alerts_by_category(db)["defender_safety"].id
    cap_schema.assertValid(cap_document(client, headers, defender_id))


def test_atom_feed_lists_the_callers_alerts_linking_cap(
    client: TestClient, make_key, alerts
) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/alerts/feed.atom", headers=key(make_key, "minjus"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    link = entries[0].find(f"{ATOM}link[@type='application/cap+xml']")
    assert link.get("href") == f"http://testserver/api/v1/alerts/{alerts['defender_safety'].id}/cap"
    cap_path = link.get("href").removeprefix("http://testserver")
    assert client.get(cap_path, headers=key(make_key, "minjus")).status_code == 200
    assert feed.findtext(f"{ATOM}updated").endswith("Z")
    assert (
        client.get("/api/v1/alerts/feed.atom", headers=key(make_key, "monitor")).status_code == 403
    )
    analyst = etree.fromstring(
        client.get("/api/v1/alerts/feed.atom", headers=key(make_key, "analyst")).content
    )
    assert len(analyst.findall(f"{ATOM}entry")) == 3


def test_no_reporter_identity_in_alert_answers(
    client: TestClient, make_key, db: Session, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    token = make_key("monitor", community="flor-de-ucayali", name="Rosa Monitora")
    report = add_report(db, "threat_to_defender", 5, NOW - H)
    evaluate_report(db, settings=settings, report_id=report.id, now=NOW)
    db.commit()
    headers = key(make_key, "analyst")
    alert_id = alerts_by_category(db)["defender_safety"].id
    texts = [
        client.get(f"/api/v1/alerts/{alert_id}", headers=headers).text,
        client.get("/api/v1/alerts", headers=headers).text,
        client.get(f"/api/v1/alerts/{alert_id}/cap", headers=headers).text,
        client.get("/api/v1/alerts/feed.atom", headers=headers).text,
    ]
    for text in texts:
        assert report.reporter_pseudonym not in text
        assert "Rosa" not in text
        assert token not in text
        assert report.description not in text
