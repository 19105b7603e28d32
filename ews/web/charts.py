"""Indicator charts as SVG geometry: pure functions from a daily series to drawing data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

WIDTH = 640.0
HEIGHT = 170.0
PAD_LEFT = 44.0
PAD_RIGHT = 10.0
PAD_TOP = 10.0
PAD_BOTTOM = 30.0
LEVELS = ("warning", "high", "critical")


@dataclass(frozen=True)
class DayValue:
    """One day of an indicator: its highest value, the baseline then, and the highest level."""

    day: date
    value: float
    baseline: float | None
    level: str


@dataclass(frozen=True)
class Rule:
    level: str
    value: float
    y: float


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass
class Chart:
    width: float
    height: float
    value_points: str  # SVG polyline points
    baseline_points: str
    rules: list[Rule]  # threshold lines inside the chart
    off_chart: list[tuple[str, float]]  # thresholds above the drawn range, listed in the legend
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    level_strips: list[
        tuple[str, str]
    ]  # (level, SVG path) of runs of days at a level, under the axis
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float


def _fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def build_chart(
    series: Sequence[DayValue],
    *,
    thresholds: Mapping[str, float | None],
    start: date,
    end: date,
    month_names: Sequence[str],
) -> Chart:
    """Scale a daily series between ``start`` and ``end`` into the chart box.

    The vertical range covers the values, the baseline and the lowest threshold, so the line that
    matters is always visible; higher thresholds that would flatten the series are listed instead.
    """
    defined = [(level, float(v)) for level in LEVELS if (v := thresholds.get(level)) is not None]
    peak = max(
        [d.value for d in series]
        + [d.baseline for d in series if d.baseline is not None]
        + [defined[0][1] if defined else 1.0]
    )
    top = peak * 1.15 if peak > 0 else 1.0
    span_days = max((end - start).days, 1)
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    upper, lower = PAD_TOP, HEIGHT - PAD_BOTTOM

    def x_of(day: date) -> float:
        return round(left + (right - left) * (day - start).days / span_days, 1)

    def y_of(value: float) -> float:
        return round(lower - (lower - upper) * min(value, top) / top, 1)

    value_points = " ".join(f"{x_of(d.day)},{y_of(d.value)}" for d in series)
    baseline_points = " ".join(
        f"{x},{y}"
        for x, y in _without_flat_runs(
            [(x_of(d.day), y_of(d.baseline)) for d in series if d.baseline is not None]
        )
    )
    rules = [Rule(level, value, y_of(value)) for level, value in defined if value <= top]
    off_chart = [(level, value) for level, value in defined if value > top]
    x_ticks = []
    cursor = date(start.year, start.month, 1)
    step = 1 if span_days <= 200 else 2
    while cursor <= end:
        if cursor >= start:
            x_ticks.append(Tick(x_of(cursor), month_names[cursor.month - 1]))
        month = cursor.month - 1 + step
        cursor = date(cursor.year + month // 12, month % 12 + 1, 1)
    if span_days < 45:
        x_ticks = [
            Tick(x_of(start + timedelta(days=n)), (start + timedelta(days=n)).strftime("%d/%m"))
            for n in range(0, span_days + 1, 7)
        ]
    y_ticks = [Tick(y_of(v), _fmt(v)) for v in (0.0, top / 2, top)]
    day_width = max((right - left) / span_days, 1.0)
    runs: dict[str, list[str]] = {}
    run_start: DayValue | None = None
    # (An indicator with no value yet has an empty series: no runs, and no error.)
    for current, following in zip(series, [*series[1:], None][: len(series)], strict=True):
        if current.level not in LEVELS:
            continue
        run_start = run_start or current
        continues = (
            following is not None
            and following.level == current.level
            and (following.day - current.day).days == 1
        )
        if not continues:
            x = x_of(run_start.day)
            width = round(x_of(current.day) - x + day_width, 1)
            runs.setdefault(current.level, []).append(f"M{x} {lower + 4}h{width}")
            run_start = None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        value_points=value_points,
        baseline_points=baseline_points,
        rules=rules,
        off_chart=off_chart,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        level_strips=[(level, "".join(runs[level])) for level in LEVELS if level in runs],
        plot_left=left,
        plot_right=right,
        plot_top=upper,
        plot_bottom=lower,
    )


def _without_flat_runs(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop the inner points of horizontal runs (a steady baseline is two points, not 365)."""
    kept = []
    for n, point in enumerate(points):
        inner = 0 < n < len(points) - 1
        if inner and points[n - 1][1] == point[1] == points[n + 1][1]:
            continue
        kept.append(point)
    return kept


@dataclass(frozen=True)
class Contribution:
    code: str
    points: float  # points of the 0-100 index this part adds
    weight: float | None
    value: float | None  # the part's own value (count, ha, days)
    width: float  # bar width in a 0-100 box


def contributions(details: Mapping[str, Any]) -> list[Contribution]:
    """Each part's contribution to the threat index, largest first, from ``details``.

    Accepts ``{"contributions": {code: points}}``, ``{code: {"contribution": p, "weight": w}}`` or
    a list of ``{"code", "contribution", "weight"}``, whichever the indicator job stored.
    """
    raw = details.get("contributions") or {}
    entries: list[tuple[str, Any]] = []
    if isinstance(raw, Mapping):
        entries = [(str(code), entry) for code, entry in raw.items()]
    elif isinstance(raw, list):
        entries = [(str(e["code"]), e) for e in raw if isinstance(e, Mapping) and "code" in e]
    items: list[Contribution] = []
    for code, entry in entries:
        if isinstance(entry, Mapping):
            points = _maybe(entry.get("contribution", entry.get("points"))) or 0.0
            weight, value = _maybe(entry.get("weight")), _maybe(entry.get("value"))
        else:
            points, weight, value = _maybe(entry) or 0.0, None, None
        width = round(max(min(points, 100.0), 0.0), 1)
        items.append(Contribution(code, round(points, 2), weight, value, width))
    items.sort(key=lambda item: -item.points)
    return items


def _maybe(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
