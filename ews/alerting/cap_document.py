"""What the CAP 1.2 message of one alert event says, in Spanish and English: pure, given the rows
of the alert, the event and its community (``alerts.cap`` renders it; ews.alerting.cap stores it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row

from alerts.cap import CapAlert, CapInfo
from alerts.cap import msg_type as choose_msg_type
from alerts.messages import LEVEL_WORDS, language_of
from ews.settings import Settings
from indicators.levels import Level

SENDER_NAME = {
    "es-PE": "EWS - Sistema de alerta temprana para comunidades nativas",
    "en": "EWS - Early warning system for native communities",
}
LANGUAGES = ("es-PE", "en")
EVENT_WORDS = {
    "es-PE": {
        "raised": "Alerta emitida",
        "escalated": "Nivel elevado",
        "deescalated": "Nivel reducido",
        "acknowledged": "Alerta atendida",
        "reminded": "Recordatorio: alerta sin atender",
        "escalated_national": "Escalada al nivel nacional",
        "resolved": "Alerta resuelta",
    },
    "en": {
        "raised": "Alert raised",
        "escalated": "Level raised",
        "deescalated": "Level lowered",
        "acknowledged": "Alert acknowledged",
        "reminded": "Reminder: alert not acknowledged",
        "escalated_national": "Escalated to national level",
        "resolved": "Alert resolved",
    },
}
BELOW_WARNING = {"es-PE": "normal", "en": "normal"}
EVIDENCE_WORDS = {
    "es-PE": ("reportes de patrullaje", "focos de calor", "alertas de deforestación"),
    "en": ("patrol reports", "fire hotspots", "deforestation alerts"),
}
EXERCISE_WORD = {"es-PE": "SIMULACRO", "en": "EXERCISE"}


@dataclass(frozen=True)
class CapSource:
    """Who sends the messages, where their links point and how long each holds."""

    sender: str
    base_url: str
    expires_after: timedelta

    @classmethod
    def of(cls, settings: Settings) -> CapSource:
        return cls(
            sender=settings.cap_sender_id,
            base_url=settings.base_url.rstrip("/"),
            expires_after=timedelta(hours=settings.cap_expires_hours),
        )


def _level_word(language: str, level: str) -> str:
    try:
        return LEVEL_WORDS[language_of(language)].get(Level(level), BELOW_WARNING[language])
    except ValueError:
        return level


@dataclass(frozen=True)
class Area:
    """What a CAP message says of a community: its name, where it is, its territory."""

    name: str
    description: str
    polygons: tuple[str, ...]
    ubigeo: str
    synthetic: bool


def _description(
    alert: Row[Any], kind: str, language: str, names: dict[str, dict[str, str]]
) -> str:
    """What happened and the evidence, in ``language`` only."""
    lines = [f"{EVENT_WORDS[language].get(kind, kind)}."]
    key = "es" if language == "es-PE" else "en"
    evidence: dict[str, Any] = alert.evidence or {}
    for item in evidence.get("indicators", []):
        name = names.get(item["code"], {}).get(key) or item["code"]
        level = _level_word(language, str(item.get("level", "")))
        baseline = item.get("baseline")
        if language == "es-PE":
            usual = "" if baseline is None else f"; línea base {baseline:g}"
            lines.append(f"{name}: {item['value']:g} (nivel {level}{usual})")
        else:
            usual = "" if baseline is None else f"; baseline {baseline:g}"
            lines.append(f"{name}: {item['value']:g} ({level} level{usual})")
    kinds = ("report_ids", "fire_hotspot_ids", "deforestation_alert_ids")
    counts = [
        f"{len(evidence.get(kind, []))} {word}"
        for kind, word in zip(kinds, EVIDENCE_WORDS[language], strict=True)
        if evidence.get(kind)
    ]
    if counts:
        lines.append(", ".join(counts))
    acronyms = [
        str(inst.get("acronym") or inst.get("code", ""))
        for inst in (alert.context or {}).get("institutions", [])
    ]
    if acronyms:
        label = "Instituciones" if language == "es-PE" else "Institutions"
        lines.append(f"{label}: {', '.join(acronyms)}")
    return "\n".join(lines)


def _info(
    alert: Row[Any], event: Row[Any], area: Area, language: str, names: dict[str, dict[str, str]]
) -> CapInfo:
    key = "es" if language == "es-PE" else "en"
    category: dict[str, Any] = (alert.context or {}).get("category", {})
    name = str(category.get(f"name_{key}") or alert.category)
    level = _level_word(language, event.level)
    headline = (
        f"{name} - nivel {level}: {area.name}"
        if language == "es-PE"
        else f"{name} - {level} level: {area.name}"
    )
    if area.synthetic:
        headline = f"{EXERCISE_WORD[language]}: {headline}"
    return CapInfo(
        language=language,
        event=name,
        headline=headline,
        description=_description(alert, event.kind, language, names),
        instruction=str(category.get(f"action_{key}") or ""),
        sender_name=SENDER_NAME[language],
    )


def _restriction(alert: Row[Any], event: Row[Any]) -> list[str]:
    """The institutions this event reached: the alert's routes then, and the national ones."""
    details = event.details or {}
    codes = list(details.get("routed_to") or alert.routed_to)
    codes += [code for code in details.get("national") or [] if code not in codes]
    return codes


def build_document(
    *,
    alert: Row[Any],
    event: Row[Any],
    area: Area,
    earlier: Sequence[tuple[str, str, datetime]],
    names: dict[str, dict[str, str]],
    source: CapSource,
    identifier: str,
) -> CapAlert:
    """The CAP message of ``event`` (pure, given the rows: ``alert`` with ``id, category,
    routed_to, evidence, context``; ``event`` with ``kind, level, at, details``)."""
    level = Level(event.level) if event.level in Level.__members__ else Level.none
    return CapAlert(
        identifier=identifier,
        sender=source.sender,
        sent=event.at,
        msg_type=choose_msg_type(event.kind, earlier_messages=len(earlier)),
        restriction=_restriction(alert, event),
        category=alert.category,
        level=level,
        infos=[_info(alert, event, area, language, names) for language in LANGUAGES],
        area_desc=area.description,
        polygons=area.polygons,
        ubigeo=area.ubigeo,
        expires=event.at + source.expires_after,
        references=list(earlier),
        web=f"{source.base_url}/api/v1/alerts/{alert.id}",
        status="Exercise" if area.synthetic else "Actual",
        all_clear=event.kind == "resolved",
    )
