"""Notification texts: pure rendering from plain data, in the contact's language."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alerts.messages import Notice, evidence_lines, render_message, webhook_json

EVIDENCE = {
    "indicators": [
        {"code": "deforestation_ha", "value": 23.456, "level": "high", "baseline": 4, "unit": "ha"},
        {"code": "forest_crime_reports", "value": 3, "level": "high"},
    ],
    "deforestation_alerts": [101, 102, 103],
    "reports": [
        {
            "id": "r1",
            "description": "Tala  en la quebrada\n  cerca del lindero",
            "reporter_name": "María Soria",
            "phone": "+51961000111",
        }
    ],
}
NAMES = {
    "deforestation_ha": {"es": "Deforestación (ha)", "en": "Deforestation (ha)"},
    "forest_crime_reports": {"es": "Reportes de delitos forestales", "en": "Forest crime reports"},
}


def notice(kind: str = "raised", *, words: bool = True, category: str = "deforestation") -> Notice:
    return Notice(
        alert_id=7,
        event_id=31,
        event_kind=kind,
        level="high",
        event_at=datetime(2026, 11, 26, 18, 5, tzinfo=UTC),
        community_name="Comunidad Nativa Flor de Ucayali",
        region="Ucayali",
        category=category,
        category_name={"es": "Deforestación", "en": "Deforestation"},
        action={"es": "Verificar las alertas.", "en": "Verify the alerts."},
        institution_name="MINAM",
        ack_url="https://ews.example.org/dashboard/alerts/7",
        evidence=EVIDENCE,
        indicator_names=NAMES,
        reporter_words_allowed=words,
    )


def test_a_spanish_message_says_everything_an_institution_needs() -> None:
    message = render_message(notice(), "es")
    assert message.subject == (
        "[EWS] ALTO: Deforestación en Comunidad Nativa Flor de Ucayali - nueva alerta (alerta #7)"
    )
    text = message.text
    for line in (
        "Comunidad: Comunidad Nativa Flor de Ucayali (Ucayali)",
        "Categoría: Deforestación",
        "Nivel: ALTO",
        "Qué cambió: Nueva alerta de nivel ALTO (2026-11-26 13:05 hora de Perú)",
        "- Deforestación (ha): 23.5 ha (nivel alto; lo usual: 4)",
        "- Reportes de delitos forestales: 3 (nivel alto)",
        "- 3 alerta(s) satelitales de deforestación (GFW)",
        "- 1 reporte(s) de patrulla",
        "- «Tala en la quebrada cerca del lindero»",
        "Verificar las alertas.",
        "Acuse recibo y vea la alerta: https://ews.example.org/dashboard/alerts/7",
    ):
        assert line in text, line
    assert "María" not in text
    assert "+51" not in text


def test_an_english_contact_gets_english() -> None:
    message = render_message(notice("escalated"), "en")
    assert message.language == "en"
    assert "What changed: The alert rose to level HIGH (2026-11-26 13:05 Peru time)" in message.text
    assert "- Deforestation (ha): 23.5 ha (level high; usual: 4)" in message.text
    assert "Verify the alerts." in message.text
    assert "Acknowledge and see the alert" in message.text
    assert render_message(notice(), "fr").language == "es"  # unknown languages get Spanish


@pytest.mark.parametrize(
    ("kind", "spanish", "english"),
    [
        ("raised", "Nueva alerta de nivel ALTO", "New alert at level HIGH"),
        ("escalated", "La alerta subió al nivel ALTO", "The alert rose to level HIGH"),
        ("reminded", "Recordatorio: la alerta sigue abierta", "Reminder: the alert is still open"),
        ("escalated_national", "se escala a nivel nacional", "escalated to national level"),
        ("resolved", "La alerta fue resuelta", "The alert was resolved"),
    ],
)
def test_each_event_says_what_changed(kind: str, spanish: str, english: str) -> None:
    assert spanish in render_message(notice(kind), "es").text
    assert english in render_message(notice(kind), "en").text


def test_no_reporter_words_unless_the_category_allows_them() -> None:
    text = render_message(notice(words=False, category="defender_safety"), "es").text
    assert "Tala" not in text
    assert "«" not in text
    assert "- 1 reporte(s) de patrulla" in text


def test_evidence_lines_take_indicator_values_keyed_by_code_and_cap_their_number() -> None:
    lines = evidence_lines(
        {"indicators": {"fire_hotspots": {"value": 12, "level": "high"}}, "fire_hotspots": 12},
        language="es",
        indicator_names={},
        reporter_words_allowed=False,
    )
    assert lines == ["fire_hotspots: 12 (nivel alto)", "12 foco(s) de calor satelitales (FIRMS)"]
    many = {"reports": [{"text": f"r{i}"} for i in range(20)]}
    assert (
        len(evidence_lines(many, language="es", indicator_names={}, reporter_words_allowed=True))
        == 8
    )


def test_the_sms_is_short_and_spanish() -> None:
    sms = render_message(notice(), "es").sms_text
    assert sms.startswith(
        "EWS ALTO: Deforestación, Comunidad Nativa Flor de Ucayali. nueva alerta."
    )
    assert sms.endswith("Acuse: https://ews.example.org/dashboard/alerts/7")
    assert len(sms) <= 160


def test_the_webhook_json_carries_the_alert_and_its_text() -> None:
    body = json.loads(webhook_json(notice("reminded"), render_message(notice("reminded"), "es")))
    assert body["type"] == "alert.reminded"
    assert body["timestamp"] == "2026-11-26T18:05:00+00:00"
    data = body["data"]
    assert (data["alert_id"], data["event_id"], data["level"]) == (7, 31, "high")
    assert data["acknowledge_url"] == "https://ews.example.org/dashboard/alerts/7"
    assert data["evidence"][0] == "Deforestación (ha): 23.5 ha (nivel alto; lo usual: 4)"
    assert "María" not in json.dumps(body, ensure_ascii=False)


def test_an_overdue_action_reminder_names_the_action_and_its_due_date() -> None:
    overdue = replace(
        notice("action_overdue", category="defender_safety"),
        change_values={
            "es": {"action": "Medidas de protección solicitadas", "due": "2026-11-30"},
            "en": {"action": "Protection measures requested", "due": "2026-11-30"},
        },
    )
    spanish = render_message(overdue, "es")
    assert (
        "la acción «Medidas de protección solicitadas» de su institución venció el 2026-11-30"
        in spanish.text
    )
    assert "acción vencida: Medidas de protección solicitadas" in spanish.subject
    english = render_message(overdue, "en")
    assert "“Protection measures requested” was due on 2026-11-30" in english.text
    assert len(spanish.sms_text) <= 160
