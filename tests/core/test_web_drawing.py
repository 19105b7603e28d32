"""Pure parts of the pages: the map projection and grid, the charts, the translations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ews.web import charts, geo
from ews.web.i18n import EN, Lang
from ews.web.pages import environment

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-74.15, -8.39], [-74.01, -8.39], [-74.01, -8.26], [-74.15, -8.26], [-74.15, -8.39]]
    ],
}
BOUNDS = (-74.2, -8.44, -73.96, -8.21)


def test_every_page_text_has_an_english_translation() -> None:
    env = environment(Lang.es)
    missing, seen = set(), 0
    for name in env.list_templates():
        if name.startswith("report"):
            continue  # the monitors' page is Spanish only
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        for _line, _function, message in env.extract_translations(source):  # type: ignore[attr-defined]
            seen += 1
            if isinstance(message, str) and message not in EN:
                missing.add(message)
    assert seen > 100
    assert not missing


def test_projection_keeps_north_up_and_east_right() -> None:
    project = geo.Projection(BOUNDS)
    west_x, _ = project(-74.15, -8.3)
    east_x, _ = project(-74.01, -8.3)
    _, north_y = project(-74.1, -8.26)
    _, south_y = project(-74.1, -8.39)
    assert west_x < east_x
    assert north_y < south_y
    assert 0 < west_x < project.width
    assert 0 < south_y < project.height
    assert project.width <= geo.TARGET_WIDTH_PX * 1.1


def test_territory_path_closes_each_ring() -> None:
    view = geo.build_map(boundary=SQUARE, buffer=SQUARE, bounds=BOUNDS, layers=[])
    assert view.territory_path.startswith("M")
    assert view.territory_path.endswith("Z")
    assert view.territory_path.count("L") == 4
    assert view.tiles == []
    assert view.tile_origin is None


def test_few_points_are_marks_many_points_a_density_grid() -> None:
    project = geo.Projection(BOUNDS)
    few = [geo.MapPoint(-74.1, -8.3, "t-fire", "01/02/2026 · fuego · 4/5")] * 3
    layer = geo.build_layer(
        "reports", [*few, geo.MapPoint(10.0, 10.0, "t-fire", "far away")], project
    )
    assert layer.count == 3
    assert not layer.grouped
    assert [m.title for m in layer.marks_by_kind["t-fire"]] == ["01/02/2026 · fuego · 4/5"] * 3
    many = [
        geo.MapPoint(-74.1 + (n % 40) * 0.001, -8.3 + (n // 40) * 0.001, "d-high", "")
        for n in range(geo.MAX_SINGLE_POINTS + 400)
    ]
    grid = geo.build_layer("deforestation", many, project)
    assert grid.grouped
    assert grid.count == len(many)
    cells = sum(path.count("z") for _density, path in grid.grid_paths)
    assert 0 < cells < len(many)


def test_tiles_cover_the_map_when_a_tile_server_is_configured() -> None:
    view = geo.build_map(
        boundary=SQUARE,
        buffer=SQUARE,
        bounds=BOUNDS,
        layers=[],
        tile_template="http://tiles.lan:8080/{z}/{x}/{y}.png",
    )
    assert view.tile_origin == "http://tiles.lan:8080"
    assert view.tiles
    assert all(t.href.startswith(f"http://tiles.lan:8080/{view.zoom}/") for t in view.tiles)
    assert min(t.x for t in view.tiles) <= 0
    assert min(t.y for t in view.tiles) <= 0
    assert max(t.x for t in view.tiles) + 256 >= view.width
    assert max(t.y for t in view.tiles) + 256 >= view.height


def test_chart_scales_series_and_lists_far_thresholds() -> None:
    start = date(2026, 1, 1)
    series = [
        charts.DayValue(
            start + timedelta(days=n), float(n % 4), 1.0, "warning" if n % 4 == 3 else "none"
        )
        for n in range(30)
    ]
    chart = charts.build_chart(
        series,
        thresholds={"warning": 3, "high": 20, "critical": 50},
        start=start,
        end=start + timedelta(days=29),
        month_names=["ene"] * 12,
    )
    xs = [float(p.split(",")[0]) for p in chart.value_points.split()]
    assert xs == sorted(xs)
    assert xs[0] == chart.plot_left
    assert xs[-1] == chart.plot_right
    ys = [float(p.split(",")[1]) for p in chart.value_points.split()]
    assert max(ys) == chart.plot_bottom  # zero sits on the axis
    assert [r.level for r in chart.rules] == ["warning"]
    assert chart.off_chart == [("high", 20.0), ("critical", 50.0)]
    # Seven separate warning days, each its own mark in the level strip under the axis.
    assert [level for level, _ in chart.level_strips] == ["warning"]
    assert chart.level_strips[0][1].count("M") == 7
    # A steady baseline is drawn with its two ends only.
    assert len(chart.baseline_points.split()) == 2


def test_consecutive_days_at_a_level_are_one_stretch() -> None:
    start = date(2026, 3, 1)
    levels = ["none", "high", "high", "high", "none", "critical"]
    series = [
        charts.DayValue(start + timedelta(days=n), 1.0, None, lvl) for n, lvl in enumerate(levels)
    ]
    chart = charts.build_chart(
        series,
        thresholds={"high": 1},
        start=start,
        end=start + timedelta(days=5),
        month_names=["mar"] * 12,
    )
    strips = dict(chart.level_strips)
    assert strips["high"].count("M") == 1
    assert strips["critical"].count("M") == 1


@pytest.mark.parametrize(
    "details",
    [
        {
            "contributions": {
                "a": {"points": 10.0, "weight": 0.25, "value": 2},
                "b": {"points": 30.0, "weight": 0.1},
            }
        },
        {
            "contributions": [
                {"code": "a", "contribution": 10.0},
                {"code": "b", "contribution": 30.0},
            ]
        },
        {"contributions": {"a": 10.0, "b": 30.0}},
    ],
)
def test_contributions_read_every_stored_shape(details: dict) -> None:
    parts = charts.contributions(details)
    assert [(p.code, p.points) for p in parts] == [("b", 30.0), ("a", 10.0)]
