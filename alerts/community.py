"""What a community hears back about its own alert: pure decisions, no database.

A community's leaders and monitors are told, in short plain Spanish, that their alert was received,
which institutions acknowledged it and what they are doing (action labels from the catalog), and
when it was closed. Never evidence, never who reported, never another community: a
:class:`CommunityView` holds only institution acronyms, catalog labels and statuses, and the text
names no community at all (the phone belongs to the community it is about).

:func:`community_message` compares what was last told with what is true now and answers one
message with every change since (or ``None``): one message per change, never a repeat.
:func:`read_answer` reads a leader's answer by SMS.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# How an action's status reads in the community's message (declined actions are not told: they
# are not something being done).
STATUS_ES = {"planned": "programado", "in_progress": "en curso", "done": "realizado"}
PROMPT_ES = "Responda 1 si la amenaza continúa o 2 si ya pasó."
# Two concatenated SMS segments (alerts.channels.sms.SMS_MAX_CHARS): past it, the actions are
# counted instead of listed, so the prompt is never cut off.
MESSAGE_MAX_CHARS = 320


@dataclass(frozen=True)
class ToldAction:
    institution: str  # the acronym
    label: str  # the catalog's label (Spanish)
    status: str  # planned | in_progress | done

    def as_list(self) -> list[str]:
        return [self.institution, self.label, self.status]


@dataclass(frozen=True)
class CommunityView:
    """What the community may know of one alert at one moment."""

    category: str  # the category's Spanish name
    acknowledged: tuple[str, ...] = ()  # acronyms, in the order they acknowledged
    actions: tuple[ToldAction, ...] = field(default=())
    resolved: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "acknowledged": list(self.acknowledged),
            "actions": [a.as_list() for a in self.actions],
            "resolved": self.resolved,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CommunityView:
        return cls(
            category=str(data.get("category", "")),
            acknowledged=tuple(data.get("acknowledged") or ()),
            actions=tuple(ToldAction(*a) for a in data.get("actions") or ()),
            resolved=bool(data.get("resolved", False)),
        )


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} y {names[-1]}"


def community_message(previous: CommunityView | None, current: CommunityView) -> str | None:
    """The message that tells what changed from ``previous`` (``None``: nothing told yet) to
    ``current``, or ``None`` when nothing the community would notice changed."""
    parts: list[str] = []
    if previous is None:
        parts.append(f"Su alerta de {current.category.lower()} fue recibida.")
    before_acks = set(previous.acknowledged) if previous else set()
    new_acks = [a for a in current.acknowledged if a not in before_acks]
    if new_acks:
        verb = "la recibió y la atiende" if len(new_acks) == 1 else "la recibieron y la atienden"
        parts.append(f"{_names(new_acks)} {verb}.")
    before_actions = set(previous.actions) if previous else set()
    actions = [
        f"{action.institution}: {action.label} ({STATUS_ES[action.status]})."
        for action in current.actions
        if action not in before_actions and action.status in STATUS_ES
    ]
    closing: list[str] = []
    if current.resolved and not (previous is not None and previous.resolved):
        if previous is None:
            return None  # closed before anything was told: nothing to start a conversation on
        closing.append("La alerta fue cerrada. Si la amenaza vuelve, avise.")
    if not (parts or actions or closing):
        return None
    if not current.resolved:
        closing.append(PROMPT_ES)
    message = "EWS: " + " ".join([*parts, *actions, *closing])
    if len(message) > MESSAGE_MAX_CHARS and actions:
        institutions = sorted({a.split(":", 1)[0] for a in actions})
        counted = f"{_names(institutions)}: {len(actions)} acciones nuevas o actualizadas."
        message = "EWS: " + " ".join([*parts, counted, *closing])
    return message


class Answer(StrEnum):
    continues = "continues"
    ended = "ended"


ANSWER_ES = {Answer.continues: "la amenaza continúa", Answer.ended: "ya pasó"}

_CONTINUES = (
    r"^1$",
    r"\bcontinua",
    r"\bsigue",
    r"\btodavia\b",
    r"\baun (hay|estan|sigue)",
    r"\bno (ha )?pas(o|ado)\b",
)
_ENDED = (
    r"^2$",
    r"\bya paso\b",
    r"^paso\b",
    r"\btermino\b",
    r"\bya se (fue|fueron|retiraron)\b",
    r"\bse acabo\b",
    r"\bya no hay\b",
    r"\btodo tranquilo\b",
)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w ]", " ", letters)).strip()


def read_answer(text: str) -> Answer | None:
    """A leader's answer: "1", "la amenaza continúa", "sigue", ... or "2", "ya pasó", "ya se
    fueron", ...; ``None`` when it says neither (or both)."""
    plain = _plain(text)
    continues = any(re.search(p, plain) for p in _CONTINUES)
    ended = any(re.search(p, plain) for p in _ENDED)
    if continues == ended:
        return None
    return Answer.continues if continues else Answer.ended
