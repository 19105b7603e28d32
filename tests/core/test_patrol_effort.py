"""Patrol effort in the pure core: track length, cells covered, and the patrol indicators."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
import yaml

from indicators import compute_all, rules_from_entries
from indicators.columns import no_deforestation, no_fire_hotspots, no_patrols, no_reports
from indicators.coverage import coverage_of_tracks, territory_grid, track_length_km
from indicators.effort import encounter_rate
from indicators.geometry import GEOGRAPHIC_CRS, reproject, utm_crs
from tests.support.paths import FIXTURES_DIR

RULES = rules_from_entries(
    yaml.safe_load((FIXTURES_DIR / "indicators.yaml").read_text())["indicators"]
)


def _metric_square(west: float, south: float, side_m: float) -> dict:
    """A square of ``side_m`` metres (exactly, in the UTM zone of its corner) as lon/lat GeoJSON."""
    from shapely import geometry

    crs = utm_crs(west, south)
    corner = reproject(geometry.Point(west, south), GEOGRAPHIC_CRS, crs)
    x, y = corner.x, corner.y
    square = geometry.box(x, y, x + side_m, y + side_m)
    back = reproject(square, crs, GEOGRAPHIC_CRS)
    return geometry.mapping(back)


def _metric_line(west: float, south: float, points_m: list[tuple[float, float]]) -> dict:
    from shapely import geometry

    crs = utm_crs(west, south)
    corner = reproject(geometry.Point(west, south), GEOGRAPHIC_CRS, crs)
    line = geometry.LineString([(corner.x + dx, corner.y + dy) for dx, dy in points_m])
    back = reproject(line, crs, GEOGRAPHIC_CRS)
    return {"type": "LineString", "coordinates": [list(p) for p in back.coords]}


# A 2 km square territory: with 500 m cells, a 4 x 4 grid of cells (centres at 250, 750, ... m).
TERRITORY = _metric_square(-74.1, -8.3, 2000.0)


@pytest.mark.parametrize("west", [-78.9, -74.1, -70.5], ids=["17S", "18S", "19S"])
def test_a_track_along_the_first_row_of_centres_covers_that_row_only(west: float) -> None:
    # Along y = 250 m from x = 0 to 2000: the four centres of the first row are on the track, the
    # next row's (y = 750 m) are 500 m away, beyond a reach of 250 m. The cells are cut in the
    # territory's own UTM zone, in each of Peru's three.
    territory = _metric_square(west, -8.3, 2000.0)
    track = _metric_line(west, -8.3, [(0.0, 250.0), (2000.0, 250.0)])
    share, core, ring = coverage_of_tracks(
        [track], boundary=territory, buffer=None, cell_m=500, reach_m=250
    )
    grid = territory_grid(territory, None, 500)
    assert len(grid) == 16
    assert grid.crs == utm_crs(west, -8.3)
    assert share == pytest.approx(25.0)
    assert core == pytest.approx(25.0)
    assert ring == 0.0


def test_a_wider_reach_takes_the_next_row_and_two_tracks_count_their_cells_once() -> None:
    first = _metric_line(-74.1, -8.3, [(0.0, 500.0), (2000.0, 500.0)])  # between rows 1 and 2
    again = _metric_line(-74.1, -8.3, [(0.0, 510.0), (2000.0, 510.0)])
    share, _, _ = coverage_of_tracks(
        [first, again], boundary=TERRITORY, buffer=None, cell_m=500, reach_m=251
    )
    assert share == pytest.approx(50.0)  # rows 1 and 2: 8 of 16, once each


def test_the_approach_zone_has_its_own_share() -> None:
    from indicators.geometry import buffer_ring

    ring = buffer_ring(TERRITORY, 1000.0)
    # A track inside the territory only: the ring's share stays 0, the whole share is diluted.
    track = _metric_line(-74.1, -8.3, [(0.0, 250.0), (2000.0, 250.0)])
    share, core, ring_share = coverage_of_tracks(
        [track], boundary=TERRITORY, buffer=ring, cell_m=500, reach_m=250
    )
    assert core == pytest.approx(25.0)
    assert ring_share == 0.0
    assert 0.0 < share < core
    # Centres at -250 m beside the territory lie in the ring: a track there covers ring cells.
    outside = _metric_line(-74.1, -8.3, [(-250.0, -250.0), (2250.0, -250.0)])
    _, core_out, ring_out = coverage_of_tracks(
        [outside], boundary=TERRITORY, buffer=ring, cell_m=500, reach_m=100
    )
    assert core_out == 0.0
    assert ring_out > 0.0


def test_track_length_is_geodesic_kilometres() -> None:
    # One minute of latitude is about 1.843 km at 8 degrees south.
    track = {"type": "LineString", "coordinates": [[-74.1, -8.3], [-74.1, -8.3 + 1 / 60]]}
    assert track_length_km(track) == pytest.approx(1.843, abs=0.005)
    multi = {"type": "MultiLineString", "coordinates": [track["coordinates"]] * 2}
    assert track_length_km(multi) == pytest.approx(2 * track_length_km(track))


def test_encounter_rate_is_per_100_km_and_none_without_patrolling() -> None:
    assert encounter_rate(3, 60.0) == pytest.approx(5.0)
    assert encounter_rate(3, 0.0) is None


def _patrols(rows: list[tuple[str, datetime, dict]]) -> pd.DataFrame:
    if not rows:
        return no_patrols()
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "community_code": "a",
            "ended_at": pd.to_datetime([r[1] for r in rows], utc=True),
            "length_km": [track_length_km(r[2]) for r in rows],
            "track": [r[2] for r in rows],
        }
    )


def test_patrols_make_km_coverage_encounter_rates_and_end_silence() -> None:
    communities = pd.DataFrame(
        {"code": ["a"], "boundary": [TERRITORY], "buffer": [None], "monitored_day": [float("nan")]}
    )
    track = _metric_line(-74.1, -8.3, [(0.0, 250.0), (2000.0, 250.0)])
    as_of = datetime(2026, 6, 30, 12, tzinfo=UTC)
    reports = pd.DataFrame(
        {
            "id": ["r1"],
            "community_code": ["a"],
            "threat_type": ["illegal_logging"],
            "severity": [2.0],
            "observed_at": pd.to_datetime([datetime(2026, 6, 20, 15, tzinfo=UTC)], utc=True),
            "longitude": [float("nan")],
            "latitude": [float("nan")],
        }
    )
    values = compute_all(
        reports=reports,
        fire_hotspots=no_fire_hotspots(),
        deforestation=no_deforestation(),
        communities=communities,
        rules=RULES,
        as_of=as_of,
        patrols=_patrols([("p1", datetime(2026, 6, 30, 14, tzinfo=UTC), track)]),
    )
    by_code = values.set_index("code")
    km = by_code.loc["patrol_km"]
    assert km["value"] == pytest.approx(2.0, abs=0.01)
    assert km["level"] == "none"
    rate = km["details"]["encounter_rates"]["forest_crime_reports"]
    assert rate["value"] == 1
    assert rate["per_100_km"] == pytest.approx(50.0, rel=0.01)
    coverage = by_code.loc["patrol_coverage"]
    assert coverage["value"] == pytest.approx(25.0)
    assert coverage["details"]["evidence"]["patrol_ids"] == ["p1"]
    assert coverage["level"] == "none"
    # The report ten days ago would leave ten days of silence; the patrol today ends it.
    assert by_code.loc["patrol_silence_days"]["value"] == 0
    quiet = compute_all(
        reports=reports,
        fire_hotspots=no_fire_hotspots(),
        deforestation=no_deforestation(),
        communities=communities,
        rules=RULES,
        as_of=as_of,
    ).set_index("code")
    assert quiet.loc["patrol_silence_days"]["value"] == 10
    assert quiet.loc["patrol_km"]["value"] == 0
    assert quiet.loc["patrol_coverage"]["value"] == 0


def test_a_patrol_older_than_the_window_no_longer_covers() -> None:
    communities = pd.DataFrame({"code": ["a"], "boundary": [TERRITORY], "buffer": [None]})
    track = _metric_line(-74.1, -8.3, [(0.0, 250.0), (2000.0, 250.0)])
    values = compute_all(
        reports=no_reports(),
        fire_hotspots=no_fire_hotspots(),
        deforestation=no_deforestation(),
        communities=communities,
        rules=RULES,
        as_of=datetime(2026, 6, 30, 12, tzinfo=UTC),
        patrols=_patrols([("old", datetime(2026, 5, 30, 12, tzinfo=UTC), track)]),
    ).set_index("code")
    assert values.loc["patrol_coverage"]["value"] == 0
    assert values.loc["patrol_km"]["value"] == 0
    assert values.loc["patrol_coverage"]["baseline"] == 0  # median of twelve windows, one covered


def test_kept_grids_and_cells_follow_an_edited_territory_and_an_edited_track() -> None:
    # A process keeps grids and covered cells between runs: a boundary or a track edited under the
    # same community code must be measured afresh, never answered from what was kept.
    from indicators.coverage import covered_cells, grid_of

    small = grid_of("edited", TERRITORY, None, 500)
    assert len(small) == 16
    larger = grid_of("edited", _metric_square(-74.1, -8.3, 3000.0), None, 500)
    assert len(larger) == 36
    assert grid_of("edited", TERRITORY, None, 500) is small  # the same geometry: drawn once
    first_row = _metric_line(-74.1, -8.3, [(0.0, 250.0), (1900.0, 250.0)])
    two_rows = _metric_line(-74.1, -8.3, [(0.0, 250.0), (2000.0, 250.0), (2000.0, 750.0)])
    assert list(covered_cells(first_row, small, 250)) == [0, 1, 2, 3]
    assert len(covered_cells(two_rows, small, 250)) == 5
    assert len(covered_cells(first_row, larger, 250)) == 4
    assert list(covered_cells(first_row, small, 250)) == [0, 1, 2, 3]
