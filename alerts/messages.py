"""Notification texts from Jinja2 templates (``alerts/templates/``), in Spanish or English.

Pure rendering from plain data: the shell gathers a :class:`Notice` (the alert event, the community,
the category's fact-sheet context, the evidence) and gets back subject, text, SMS text and the
webhook JSON. No reporter identity ever enters a notice; a reporter's own words only when the
category allows it (``reporter_words_allowed``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from indicators.days import LIMA
from indicators.levels import Level

LANGUAGES = ("es", "en")
MAX_QUOTE_CHARS = 160
MAX_EVIDENCE_LINES = 8

# Each level in words, by language (CAP's ``es-PE`` is ``es``: see :func:`language_of`).
LEVEL_WORDS: dict[str, dict[str, str]] = {
    "es": {Level.warning: "advertencia", Level.high: "alto", Level.critical: "crítico"},
    "en": {Level.warning: "warning", Level.high: "high", Level.critical: "critical"},
}

# What changed, long (the first line of the mail) and short (subject and SMS).
CHANGES: dict[str, dict[str, tuple[str, str]]] = {
    "es": {
        "raised": ("Nueva alerta de nivel {level}", "nueva alerta"),
        "escalated": ("La alerta subió al nivel {level}", "subió a {level}"),
        "escalated_national": (
            "La alerta se escala a nivel nacional (MINJUS y Defensoría del Pueblo)",
            "escalada a nivel nacional",
        ),
        "reminded": (
            "Recordatorio: la alerta sigue abierta y sin acuse de recibo de su institución",
            "recordatorio, sin acuse",
        ),
        "resolved": ("La alerta fue resuelta", "resuelta"),
        "deescalated": ("La alerta bajó al nivel {level}", "bajó a {level}"),
        "acknowledged": ("Se registró el acuse de recibo de la alerta", "acuse registrado"),
        "action_overdue": (
            "Recordatorio: la acción «{action}» de su institución venció el {due} y sigue pendiente",
            "acción vencida: {action}",
        ),
    },
    "en": {
        "raised": ("New alert at level {level}", "new alert"),
        "escalated": ("The alert rose to level {level}", "rose to {level}"),
        "escalated_national": (
            "The alert is escalated to national level (MINJUS and the Public Defender's Office)",
            "escalated to national level",
        ),
        "reminded": (
            "Reminder: the alert is still open and unacknowledged by your institution",
            "reminder, unacknowledged",
        ),
        "resolved": ("The alert was resolved", "resolved"),
        "deescalated": ("The alert fell to level {level}", "fell to {level}"),
        "acknowledged": ("The alert was acknowledged", "acknowledged"),
        "action_overdue": (
            "Reminder: your institution's action “{action}” was due on {due} and is still open",
            "action overdue: {action}",
        ),
    },
}

# Evidence lists counted in one line each: the ids of the rows behind the alert, under the keys the
# alert engine writes (``report_ids``...) or shorter ones.
COUNTED_EVIDENCE = {
    ("report_ids", "reports"): ("{n} reporte(s) de patrulla", "{n} patrol report(s)"),
    ("fire_hotspot_ids", "fire_hotspots"): (
        "{n} foco(s) de calor satelitales (FIRMS)",
        "{n} satellite fire hotspot(s) (FIRMS)",
    ),
    ("deforestation_alert_ids", "deforestation_alerts"): (
        "{n} alerta(s) satelitales de deforestación (GFW)",
        "{n} satellite deforestation alert(s) (GFW)",
    ),
}
TERRITORY_HIT = ("Dentro del territorio titulado", "Inside the titled territory")
# Keys of a report's evidence that hold the reporter's own words (never names, keys or phones).
WORDS_KEYS = ("description", "text", "words")


@dataclass(frozen=True)
class Notice:
    """Everything a notification says, as plain data (no reporter identity by construction)."""

    alert_id: int
    event_id: int
    event_kind: str  # raised | escalated | escalated_national | reminded | resolved | ...
    level: str  # warning | high | critical
    event_at: datetime
    community_name: str
    region: str
    category: str
    category_name: Mapping[str, str]  # {"es": ..., "en": ...}
    action: Mapping[str, str]  # what the institution is asked to do, by language
    institution_name: str
    ack_url: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    # code -> {"es": name, "en": name, "unit": unit}
    indicator_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    reporter_words_allowed: bool = False
    # An alert of a synthetic (demo) community: every text says SIMULACRO first (alerts.exercise).
    exercise: bool = False
    # Words the change line names, by language (an overdue action's label and due date).
    change_values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationText:
    language: str
    subject: str
    text: str
    sms_text: str
    change: str
    category_name: str
    action: str
    evidence: list[str]


@cache
def _environment() -> Environment:
    # Plain text only: nothing is interpreted as HTML, so no autoescape.
    return Environment(
        loader=PackageLoader("alerts", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - text templates, never HTML
    )


def language_of(language: str | None) -> str:
    """The contact's language if we write it (``es-PE`` -> ``es``), else Spanish."""
    code = (language or "es").split("-")[0].lower()
    return code if code in LANGUAGES else "es"


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.1f}"


def _indicator_items(evidence: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = evidence.get("indicators", evidence.get("indicator_values", []))
    if isinstance(raw, Mapping):
        return [
            {"code": code, **value}
            if isinstance(value, Mapping)
            else {"code": code, "value": value}
            for code, value in raw.items()
        ]
    return [item for item in raw if isinstance(item, Mapping)] if isinstance(raw, list) else []


def _indicator_line(
    item: Mapping[str, Any], language: str, names: Mapping[str, Mapping[str, str]]
) -> str:
    code = str(item.get("code", ""))
    name = names.get(code, {}).get(language) or item.get(f"name_{language}") or code
    unit = item.get("unit") or names.get(code, {}).get("unit")
    value = _number(item.get("value", "?")) + (f" {unit}" if unit and unit != "count" else "")
    parts = []
    if item.get("level"):
        word = LEVEL_WORDS[language].get(str(item["level"]), str(item["level"]))
        parts.append(f"nivel {word}" if language == "es" else f"level {word}")
    if item.get("baseline") is not None:
        usual = _number(item["baseline"])
        parts.append(f"lo usual: {usual}" if language == "es" else f"usual: {usual}")
    return f"{name}: {value}" + (f" ({'; '.join(parts)})" if parts else "")


def _quotes(items: Sequence[Any]) -> list[str]:
    quotes = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        words = next((item[k] for k in WORDS_KEYS if isinstance(item.get(k), str)), "")
        words = " ".join(words.split())
        if words:
            cut = words[:MAX_QUOTE_CHARS] + ("…" if len(words) > MAX_QUOTE_CHARS else "")
            quotes.append(f"«{cut}»")
    return quotes


def evidence_lines(
    evidence: Mapping[str, Any],
    *,
    language: str,
    indicator_names: Mapping[str, Mapping[str, str]],
    reporter_words_allowed: bool,
) -> list[str]:
    """One line per indicator value, one per kind of row behind it (counted), whether it hit the
    titled territory, and, only when the category allows it, the reporters' own words
    (``report_words``, or ``description`` in ``reports`` items; never who they are)."""
    lines = [
        _indicator_line(item, language, indicator_names) for item in _indicator_items(evidence)
    ]
    index = 0 if language == "es" else 1
    for keys, templates in COUNTED_EVIDENCE.items():
        rows = next((evidence[k] for k in keys if k in evidence), None)
        count = len(rows) if isinstance(rows, list) else rows if isinstance(rows, int) else 0
        if count:
            lines.append(templates[index].format(n=count))
    if evidence.get("territory_hit") is True:
        lines.append(TERRITORY_HIT[index])
    if reporter_words_allowed:
        reports = evidence.get("reports")
        words = evidence.get("report_words")
        lines.extend(_quotes(reports if isinstance(reports, list) else []))
        lines.extend(_quotes([{"text": w} for w in words] if isinstance(words, list) else []))
    return lines[:MAX_EVIDENCE_LINES]


def _context(notice: Notice, language: str) -> dict[str, Any]:
    level_word = LEVEL_WORDS[language].get(notice.level, notice.level)
    long, short = CHANGES[language].get(notice.event_kind, (notice.event_kind, notice.event_kind))
    values = {"action": "?", "due": "?", **notice.change_values.get(language, {})}
    local = notice.event_at.astimezone(LIMA)
    at = local.strftime("%Y-%m-%d %H:%M") + (" hora de Perú" if language == "es" else " Peru time")
    return {
        "n": notice,
        "level_word": level_word,
        "change": long.format(level=level_word.upper(), **values),
        "change_short": short.format(level=level_word, **values),
        "category_name": notice.category_name.get(language) or notice.category,
        "action": notice.action.get(language, ""),
        "at": at,
        "evidence": evidence_lines(
            notice.evidence,
            language=language,
            indicator_names=notice.indicator_names,
            reporter_words_allowed=notice.reporter_words_allowed,
        ),
    }


def render_message(notice: Notice, language: str | None) -> NotificationText:
    """Subject, mail text and SMS text in the contact's language (Spanish unless ``en``)."""
    lang = language_of(language)
    env = _environment()
    context = _context(notice, lang)
    return NotificationText(
        language=lang,
        subject=env.get_template(f"subject_{lang}.txt.j2").render(context).strip(),
        text=env.get_template(f"email_{lang}.txt.j2").render(context),
        sms_text=env.get_template(f"sms_{lang}.txt.j2").render(context).strip(),
        change=context["change"],
        category_name=context["category_name"],
        action=context["action"],
        evidence=context["evidence"],
    )


def webhook_json(notice: Notice, rendered: NotificationText) -> bytes:
    """The JSON webhook body: a Standard Webhooks ``{type, timestamp, data}`` envelope whose data
    carries the structured alert and the same text the mail has (``rendered`` for its contact)."""
    body = {
        "type": f"alert.{notice.event_kind}",
        "timestamp": notice.event_at.isoformat(),
        "data": {
            "alert_id": notice.alert_id,
            "event_id": notice.event_id,
            "event": notice.event_kind,
            "level": notice.level,
            "community": notice.community_name,
            "region": notice.region,
            "category": notice.category,
            "category_name": rendered.category_name,
            "change": rendered.change,
            "evidence": rendered.evidence,
            "action": rendered.action,
            "acknowledge_url": notice.ack_url,
            "exercise": notice.exercise,
            "language": rendered.language,
            "subject": rendered.subject,
            "text": rendered.text,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
