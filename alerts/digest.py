"""The daily digest of one institution, as pure data in and text out (DESIGN section 12).

A busy office reads one message a day instead of fifty: what is open and not yet acknowledged by
*its* institution, its actions that are overdue or pending, and what changed since its last digest
(new, escalated, resolved alerts, and which institutions acknowledged them). Like Alertmanager
groups notifications (``group_by: [community, category]``), every section is grouped by community
and category, the region in the group's title, the most severe group first.

What a digest may say is *less* than an alert notification says: community, region, category,
level, dates, the alert's number and link, and the catalog label, status and due date of actions.
Never evidence lines, never anybody's words (not a reporter's, not a monitor's, not the free-text
notes of responses and actions), never who reported or who acknowledged. So it is safe for every
category, including defender safety.

``build_digest`` takes plain rows and ``now``; ``render_digest`` writes it with the Jinja2
templates of ``alerts/templates`` in the contact's language (Spanish unless ``en``), like
:mod:`alerts.messages`. Nothing here reads a clock, a database or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, is_dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from alerts.messages import LEVEL_WORDS, _environment, language_of
from indicators.days import LIMA
from indicators.levels import Level

OPEN_STATUSES = ("open", "acknowledged")
PENDING_ACTION_STATUSES = ("planned", "in_progress")
# The alert events a digest reports as changes, and under which heading they count.
CHANGE_KINDS = {
    "raised": "new",
    "escalated": "escalated",
    "escalated_national": "escalated",
    "resolved": "resolved",
    # Who else knows: an institution's acknowledgement (its code only, never the person's key).
    "acknowledged": "acknowledged",
}
# A section lists at most this many groups (the most severe); the rest are counted and left to the
# dashboard's queue, so even a national office's digest stays one readable message.
MAX_GROUPS = 30
LEVEL_ORDER = {Level.warning.value: 1, Level.high.value: 2, Level.critical.value: 3}

ACTION_STATUS_WORDS = {
    "es": {
        "planned": "planificada",
        "in_progress": "en curso",
        "done": "hecha",
        "declined": "descartada",
    },
    "en": {
        "planned": "planned",
        "in_progress": "in progress",
        "done": "done",
        "declined": "declined",
    },
}
CHANGE_WORDS = {
    "es": {
        "raised": "nueva alerta de nivel {level}",
        "escalated": "subió al nivel {level}",
        "escalated_national": "escalada a nivel nacional (MINJUS y Defensoría del Pueblo)",
        "resolved": "resuelta",
        "acknowledged": "con acuse de recibo de {institution}",
        "acknowledged_central": "con acuse de recibo del equipo de análisis",
    },
    "en": {
        "raised": "new alert at level {level}",
        "escalated": "rose to level {level}",
        "escalated_national": "escalated to national level (MINJUS and the Public Defender's Office)",
        "resolved": "resolved",
        "acknowledged": "acknowledged by {institution}",
        "acknowledged_central": "acknowledged by the analysis team",
    },
}


@dataclass(frozen=True)
class DigestAlert:
    """An alert routed to the institution, with what the digest may say about it."""

    alert_id: int
    community_code: str
    community_name: str
    region: str
    category: str
    category_name: Mapping[str, str]  # {"es": ..., "en": ...}
    level: str
    status: str  # open | acknowledged | resolved (the alert as a whole)
    opened_at: datetime
    acknowledged_by_institution: bool  # this institution's own acknowledgement
    url: str
    exercise: bool = False  # a synthetic (demo) community: said SIMULACRO


@dataclass(frozen=True)
class DigestEvent:
    """An event of one of the alerts (only its kind, level and moment)."""

    alert_id: int
    kind: str
    level: str
    at: datetime
    institution: str | None = None  # who acknowledged (an institution's code), for that kind


@dataclass(frozen=True)
class DigestAction:
    """One action of the institution on an alert: catalog label, status and due date (no note)."""

    alert_id: int
    type: str
    label: Mapping[str, str]  # {"es": ..., "en": ...}
    status: str  # planned | in_progress | done | declined
    due: date | None


@dataclass(frozen=True)
class OpenLine:
    alert_id: int
    level: str
    opened_at: datetime
    url: str


@dataclass(frozen=True)
class ActionLine:
    alert_id: int
    type: str
    label: Mapping[str, str]
    status: str
    due: date | None
    overdue: bool
    url: str


@dataclass(frozen=True)
class ChangeLine:
    alert_id: int
    kind: str  # raised | escalated | escalated_national | resolved | acknowledged
    level: str
    at: datetime
    url: str
    institution: str | None = None


Line = TypeVar("Line", OpenLine, ActionLine, ChangeLine)


@dataclass(frozen=True)
class Group(Generic[Line]):
    """The lines of one community and category (Alertmanager's ``group_by``)."""

    community_code: str
    community_name: str
    region: str
    category: str
    category_name: Mapping[str, str]
    level: str  # the highest level among the group's alerts
    exercise: bool
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class DigestCounts:
    open: int = 0  # open alerts routed to the institution (acknowledged by it or not)
    unacknowledged: int = 0  # of which its institution has not acknowledged
    overdue: int = 0  # actions past their due date, not done nor declined
    pending: int = 0  # actions planned or in progress, not yet due (or with no due date)
    new: int = 0
    escalated: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class Digest:
    institution_code: str
    institution_name: Mapping[str, str]
    day: date  # the Lima day it is for
    since: datetime
    now: datetime
    unacknowledged: tuple[Group[OpenLine], ...]
    actions: tuple[Group[ActionLine], ...]
    changes: tuple[Group[ChangeLine], ...]
    counts: DigestCounts
    exercise_only: bool = False
    # Groups beyond MAX_GROUPS per section ("unacknowledged", "actions", "changes"), not listed.
    left_out: Mapping[str, int] = field(default_factory=dict)
    queue_url: str = ""  # the dashboard's alert queue, where every one of them is

    @property
    def empty(self) -> bool:
        """Nothing open, no action pending and nothing changed: no digest is sent."""
        c = self.counts
        return not (c.open or c.overdue or c.pending or c.new or c.escalated or c.resolved)

    def as_json(self) -> dict[str, Any]:
        """Plain JSON (the outbox keeps it, so a retry sends what was true when it was made)."""
        out: dict[str, Any] = _jsonable(self)
        return out


def lima_day(moment: datetime) -> date:
    """The Lima calendar day of an aware ``moment``."""
    return moment.astimezone(LIMA).date()


def _rank(level: str) -> int:
    return LEVEL_ORDER.get(level, 0)


def _group(
    alerts: Mapping[int, DigestAlert],
    lines: Iterable[Line],
    *,
    order: Callable[[Line], Any],
) -> tuple[Group[Line], ...]:
    by_key: dict[tuple[str, str], list[Line]] = {}
    for line in lines:
        alert = alerts[line.alert_id]
        by_key.setdefault((alert.community_code, alert.category), []).append(line)
    groups = []
    for (community, category), members in by_key.items():
        first = alerts[members[0].alert_id]
        ids = {m.alert_id for m in members}
        level = max((alerts[i].level for i in ids), key=_rank)
        groups.append(
            Group(
                community_code=community,
                community_name=first.community_name,
                region=first.region,
                category=category,
                category_name=first.category_name,
                level=level,
                exercise=first.exercise,
                lines=tuple(sorted(members, key=order)),
            )
        )
    # The most severe first, then by region and community (a stable reading order).
    groups.sort(key=lambda g: (-_rank(g.level), g.region, g.community_name, g.category))
    return tuple(groups)


def build_digest(
    *,
    institution_code: str,
    institution_name: Mapping[str, str],
    alerts: Sequence[DigestAlert],
    events: Sequence[DigestEvent],
    actions: Sequence[DigestAction],
    since: datetime,
    now: datetime,
    queue_url: str = "",
    max_groups: int = MAX_GROUPS,
) -> Digest:
    """The digest of one institution at ``now``.

    ``alerts``: the alerts routed to it that are open, plus those that changed since ``since``
    (resolved ones among them). ``events``: their events (any moment; those in ``(since, now]`` of
    a kind in :data:`CHANGE_KINDS` are the changes). ``actions``: the institution's own actions on
    those alerts; those planned or in progress are pending, overdue when their due day is before
    the Lima day of ``now``. Lines and events of alerts not in ``alerts`` are ignored, so the
    caller's filter (region, scope) is the only one that decides what a contact sees. Each section
    keeps its ``max_groups`` most severe groups; ``left_out`` counts the others (the counts are
    always of everything).
    """
    by_id = {a.alert_id: a for a in alerts}
    today = lima_day(now)
    open_alerts = [a for a in alerts if a.status in OPEN_STATUSES]
    unacknowledged = [
        OpenLine(a.alert_id, a.level, a.opened_at, a.url)
        for a in open_alerts
        if not a.acknowledged_by_institution
    ]
    action_lines = [
        ActionLine(
            alert_id=x.alert_id,
            type=x.type,
            label=x.label,
            status=x.status,
            due=x.due,
            overdue=x.due is not None and x.due < today,
            url=by_id[x.alert_id].url,
        )
        for x in actions
        if x.alert_id in by_id and x.status in PENDING_ACTION_STATUSES
    ]
    change_lines = [
        ChangeLine(e.alert_id, e.kind, e.level, e.at, by_id[e.alert_id].url, e.institution)
        for e in events
        if e.alert_id in by_id and e.kind in CHANGE_KINDS and since < e.at <= now
    ]
    changed = {
        kind: {c.alert_id for c in change_lines if CHANGE_KINDS[c.kind] == kind}
        for kind in ("new", "escalated", "resolved")
    }
    counts = DigestCounts(
        open=len(open_alerts),
        unacknowledged=len(unacknowledged),
        overdue=sum(1 for line in action_lines if line.overdue),
        pending=sum(1 for line in action_lines if not line.overdue),
        new=len(changed["new"]),
        escalated=len(changed["escalated"]),
        resolved=len(changed["resolved"]),
    )
    shown = {x.alert_id for x in unacknowledged} | {x.alert_id for x in action_lines}
    shown |= {x.alert_id for x in change_lines}
    unacknowledged_groups = _group(
        by_id, unacknowledged, order=lambda x: (-_rank(x.level), x.opened_at, x.alert_id)
    )
    action_groups = _group(
        by_id,
        action_lines,
        order=lambda x: (not x.overdue, x.due or date.max, x.alert_id, x.type),
    )
    change_groups = _group(by_id, change_lines, order=lambda x: (x.at, x.alert_id))
    sizes = {
        "unacknowledged": len(unacknowledged_groups),
        "actions": len(action_groups),
        "changes": len(change_groups),
    }
    left_out = {name: size - max_groups for name, size in sizes.items()}
    return Digest(
        institution_code=institution_code,
        institution_name=institution_name,
        day=today,
        since=since,
        now=now,
        unacknowledged=unacknowledged_groups[:max_groups],
        actions=action_groups[:max_groups],
        changes=change_groups[:max_groups],
        counts=counts,
        exercise_only=bool(shown) and all(by_id[i].exercise for i in shown),
        left_out={name: n for name, n in left_out.items() if n > 0},
        queue_url=queue_url,
    )


# --- from and to JSON (the outbox row keeps the digest) ------------------------------------------


def _jsonable(value: Any) -> Any:
    # Walks the frozen dataclasses directly: ``dataclasses.asdict`` deep-copies every leaf first,
    # which took most of a digest's time.
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in vars(value).items()}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _line(cls: type[Any], raw: Mapping[str, Any]) -> Any:
    values = dict(raw)
    for key in ("opened_at", "at"):
        if key in values:
            values[key] = datetime.fromisoformat(values[key])
    if "due" in values:
        values["due"] = date.fromisoformat(values["due"]) if values["due"] else None
    return cls(**values)


def _groups(cls: type[Any], raw: Sequence[Mapping[str, Any]]) -> tuple[Group[Any], ...]:
    return tuple(
        Group(**{**g, "lines": tuple(_line(cls, line) for line in g["lines"])}) for g in raw
    )


def digest_from_json(raw: Mapping[str, Any]) -> Digest:
    """The inverse of :meth:`Digest.as_json`."""
    return Digest(
        institution_code=raw["institution_code"],
        institution_name=raw["institution_name"],
        day=date.fromisoformat(raw["day"]),
        since=datetime.fromisoformat(raw["since"]),
        now=datetime.fromisoformat(raw["now"]),
        unacknowledged=_groups(OpenLine, raw["unacknowledged"]),
        actions=_groups(ActionLine, raw["actions"]),
        changes=_groups(ChangeLine, raw["changes"]),
        counts=DigestCounts(**raw["counts"]),
        exercise_only=bool(raw.get("exercise_only", False)),
        left_out={str(k): int(v) for k, v in (raw.get("left_out") or {}).items()},
        queue_url=str(raw.get("queue_url") or ""),
    )


# --- text -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestText:
    language: str
    subject: str
    text: str


@dataclass(frozen=True)
class _Words:
    language: str
    levels: Mapping[str, str] = field(default_factory=dict)

    def level(self, level: str) -> str:
        return LEVEL_WORDS[self.language].get(level, level).upper()

    def when(self, moment: datetime) -> str:
        return moment.astimezone(LIMA).strftime("%Y-%m-%d %H:%M")

    def change(self, line: ChangeLine) -> str:
        # An acknowledgement without an institution is an analyst's or admin's, for the whole alert.
        kind = (
            "acknowledged_central"
            if line.kind == "acknowledged" and not line.institution
            else line.kind
        )
        words = CHANGE_WORDS[self.language].get(kind, kind)
        return words.format(level=self.level(line.level), institution=line.institution)

    def status(self, status: str) -> str:
        return ACTION_STATUS_WORDS[self.language].get(status, status)

    def name(self, names: Mapping[str, str], fallback: str) -> str:
        return names.get(self.language) or names.get("es") or fallback


def render_digest(digest: Digest, language: str | None) -> DigestText:
    """Subject and text of the digest in ``language`` (Spanish unless ``en``)."""
    lang = language_of(language)
    env = _environment()
    context = {"d": digest, "c": digest.counts, "w": _Words(lang)}
    return DigestText(
        language=lang,
        subject=env.get_template(f"digest_subject_{lang}.txt.j2").render(context).strip(),
        text=env.get_template(f"digest_{lang}.txt.j2").render(context),
    )
