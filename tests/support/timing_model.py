"""The reference model of timing (DESIGN section 10) that the timing state machine checks the
service against: which alerts should be open, at which level and status, and how many each category
raised, derived from the history of the stored values and of the reports. It judges "new evidence"
by its own bookkeeping of when each indicator's latest value changed, not by the stored revisions."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from indicators.levels import Level

AUTO_RESOLVE = timedelta(minutes=30)
# Who must acknowledge each category for the alert as a whole to be acknowledged (DESIGN sections 5
# and 12). The machine's reports lie inside the titled territory, so deforestation reaches DP too.
MUST_ACKNOWLEDGE: dict[str, frozenset[str]] = {
    "defender_safety": frozenset({"MINJUS", "DP"}),
    "deforestation": frozenset({"MINAM", "DP"}),
    "fire": frozenset({"MINAM"}),
    "illicit_crops": frozenset({"DEVIDA"}),
    "territorial_invasion": frozenset({"DP", "MINJUS", "MINAM"}),
    "monitoring_gap": frozenset({"DEVIDA"}),
    "composite": frozenset({"MINJUS", "DP"}),
}
ANALYST = "analyst"
EVIDENCE_KINDS = ("report_ids", "fire_hotspot_ids", "deforestation_alert_ids")


def rank(level: str) -> int:
    return Level(level).rank


def evidence_rows(evidence: dict[str, Any] | None) -> frozenset[str]:
    evidence = evidence or {}
    return frozenset(f"{k}:{i}" for k in EVIDENCE_KINDS for i in evidence.get(k) or ())


@dataclass
class ModelReport:
    report_id: str
    instance: str  # the current meta/instanceID (an edit moves it on)
    threat: str
    severity: int
    observed_at: datetime


@dataclass
class ModelAlert:
    level: str
    status: str
    seen: int
    hold: int | None
    rows: set[str]
    below_since: datetime | None = None
    # Who acknowledged at the current level: institution codes, or ANALYST for the alert as a whole.
    acknowledged_by: set[str] = field(default_factory=set)

    def rise(self, level: str) -> None:
        """A higher level asks everyone for a new acknowledgement."""
        self.level, self.status = level, "open"
        self.acknowledged_by.clear()


@dataclass
class Mark:
    seen: int
    level: str
    rows: frozenset[str]


@dataclass
class CategoryNow:
    level: str
    revision: int
    rows: frozenset[str]


@dataclass
class Model:
    """The reference model: what the user should see, from the values and reports alone."""

    started: int
    done: int
    step: int = 0
    revision: dict[str, int] = field(default_factory=dict)  # code -> step of its last change
    content: dict[str, Any] = field(default_factory=dict)  # code -> latest (value, level, details)
    alerts: dict[str, ModelAlert] = field(default_factory=dict)
    marks: dict[str, Mark] = field(default_factory=dict)
    raised: Tally[str] = field(default_factory=Tally)

    def acknowledge(self, category: str, who: str) -> None:
        """``who`` (an institution code, or ANALYST) acknowledges: the alert as a whole is
        acknowledged once an analyst did or every institution its category must reach did."""
        alert = self.alerts[category]
        alert.acknowledged_by.add(who)
        if ANALYST in alert.acknowledged_by or MUST_ACKNOWLEDGE[category] <= alert.acknowledged_by:
            alert.status = "acknowledged"

    def resolve(self, category: str) -> None:
        alert = self.alerts.pop(category)
        level = "none" if alert.below_since is not None else alert.level
        self.marks[category] = Mark(alert.seen, level, frozenset(alert.rows))

    def raise_alert(
        self, category: str, level: str, seen: int, rows: frozenset[str], hold: int | None
    ) -> None:
        self.alerts[category] = ModelAlert(level, "open", seen, hold, set(rows))
        self.raised[category] += 1

    def may_raise(
        self, category: str, level: str, revision: int | None, rows: frozenset[str]
    ) -> bool:
        """``revision`` None: straight from a report (the fast path), always new."""
        mark = self.marks.get(category)
        if rank(level) < rank("warning"):
            return False
        if mark is None:
            return True
        newer = revision is None or revision > mark.seen
        return newer and (rank(level) > rank(mark.level) or not rows <= mark.rows)

    def evaluate(self, states: dict[str, CategoryNow], now: datetime) -> None:
        for category in sorted(set(states) | set(self.alerts)):
            state = states.get(category)
            alert = self.alerts.get(category)
            if alert is None:
                if state is not None and self.may_raise(
                    category, state.level, state.revision, state.rows
                ):
                    self.raise_alert(category, state.level, state.revision, state.rows, None)
                continue
            held = alert.hold is not None and self.done < alert.hold
            released = alert.hold is not None and self.done >= alert.hold
            if not held:
                alert.hold = None
            if state is not None and (state.revision > alert.seen or released):
                alert.seen = max(alert.seen, state.revision)
                alert.rows |= state.rows
                level = state.level
                if held and rank(alert.level) > rank(level):
                    level = alert.level
                if level == "none":
                    alert.below_since = alert.below_since or now
                else:
                    alert.below_since = None
                    if rank(level) > rank(alert.level):
                        alert.rise(level)
                    alert.level = level
            if alert.below_since is not None and now - alert.below_since >= AUTO_RESOLVE:
                self.resolve(category)

    def fast_path(self, revision: int, rows: frozenset[str]) -> None:
        category = "defender_safety"
        alert = self.alerts.get(category)
        if alert is None:
            if self.may_raise(category, "critical", None, rows):
                self.raise_alert(category, "critical", revision, rows, self.started + 1)
            return
        alert.hold = self.started + 1
        alert.rows |= rows
        alert.below_since = None
        if alert.level != "critical":
            alert.rise("critical")
