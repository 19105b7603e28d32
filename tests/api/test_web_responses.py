"""The alert page shows each institution's response (issue 16): notified, acknowledged (who, when,
note), its actions with their status and the overdue ones marked, in the one shared timeline; an
institution records an action from the page (with the form's anti-forgery token), in Spanish and
behind the switch in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from indicators import LIMA
from tests.support import web_sample
from tests.support.web import ORIGIN, csrf_token, sign_in


def _yesterday() -> str:
    return (datetime.now(UTC).astimezone(LIMA) - timedelta(days=1)).date().isoformat()


def test_an_institution_acknowledges_and_records_an_action_from_the_page(
    client: TestClient, db: Session, make_key
) -> None:  # type: ignore[no-untyped-def]
    alert = web_sample.add_alert(
        db, level="high", opened_at=web_sample.utc_now() - timedelta(hours=2)
    )
    db.commit()
    sign_in(client, make_key("institution", institution="MINJUS", name="Mecanismo MINJUS"))
    page = client.get(f"/dashboard/alerts/{alert.id}")
    assert 'id="response-MINJUS"' in page.text and 'id="response-DP"' in page.text
    assert 'id="action-form"' in page.text
    assert "Medidas de protección solicitadas" in page.text  # MINJUS's catalog ...
    assert "Oficio a las autoridades competentes" not in page.text  # ... not DP's
    token = csrf_token(page.text)

    acknowledged = client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"note": "Mecanismo activado", "csrf": token},
        headers=ORIGIN,
    )
    assert "Recibo registrado." in acknowledged.text
    assert 'id="alert-status">abierta<' in acknowledged.text  # DP has not acknowledged yet
    assert 'id="ack-form"' not in acknowledged.text  # MINJUS has
    recorded = client.post(
        f"/dashboard/alerts/{alert.id}/actions",
        data={
            "type": "protection_measures_requested",
            "status": "planned",
            "due": _yesterday(),
            "note": "Solicitud a la Dirección General",
            "csrf": token,
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    assert "notice=action" in recorded.headers["location"]
    html = client.get(recorded.headers["location"]).text
    assert "Acción registrada." in html
    minjus_row = html[html.index('id="response-MINJUS"') : html.index('id="response-DP"')]
    assert "Mecanismo MINJUS" in minjus_row and "Mecanismo activado" in minjus_row
    assert "Medidas de protección solicitadas" in minjus_row
    assert "planificada" in minjus_row and "vencida" in minjus_row
    dp_row = html[
        html.index('id="response-DP"') : html.index("</table>", html.index('id="response-DP"'))
    ]
    assert "sin acuse de recibo" in dp_row and "ninguna registrada" in dp_row
    timeline = html[html.index('id="timeline"') :]
    assert "recibo acusado</strong> · <strong>MINJUS" in timeline
    assert (
        "acción registrada</strong> · <strong>MINJUS</strong> · Medidas de protección solicitadas"
        in timeline
    )

    declined = client.post(
        f"/dashboard/alerts/{alert.id}/actions",
        data={"type": "protection_measures_granted", "status": "declined", "csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "notice=action_invalid" in declined.headers["location"]
    forged = client.post(
        f"/dashboard/alerts/{alert.id}/actions",
        data={"type": "protection_measures_granted", "status": "done", "csrf": "forged"},
        headers=ORIGIN,
    )
    assert forged.status_code == 403

    # DP sees the same story, in English behind the switch.
    client.cookies.clear()
    sign_in(client, make_key("institution", institution="DP"))
    client.get("/dashboard/lang/en", params={"next": "/dashboard"})
    english = client.get(f"/dashboard/alerts/{alert.id}").text
    assert 'id="ack-form"' in english  # DP has not acknowledged
    assert "Each institution&#39;s response" in english or "Each institution's response" in english
    assert "Protection measures requested" in english and "overdue" in english
    assert "Official letter to the competent authorities" in english  # DP's own catalog
    assert "Medidas de protección solicitadas" not in english


def test_the_analyst_sees_every_response_but_records_no_action_from_the_page(
    client: TestClient, db: Session, make_key
) -> None:  # type: ignore[no-untyped-def]
    alert = web_sample.add_alert(db, opened_at=web_sample.utc_now() - timedelta(hours=2))
    db.commit()
    sign_in(client, make_key("analyst"))
    page = client.get(f"/dashboard/alerts/{alert.id}")
    assert 'id="responses"' in page.text
    assert 'id="action-form"' not in page.text
    token = csrf_token(page.text)
    refused = client.post(
        f"/dashboard/alerts/{alert.id}/actions",
        data={"type": "protection_measures_requested", "status": "planned", "csrf": token},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert refused.headers["location"].endswith("?notice=forbidden")
    client.cookies.clear()
    sign_in(client, make_key("institution", institution="MINAM"))
    token = csrf_token(client.get("/dashboard").text)
    other = client.post(
        f"/dashboard/alerts/{alert.id}/actions",
        data={"type": "inspection", "status": "planned", "csrf": token},
        headers=ORIGIN,
    )
    assert other.status_code == 404
