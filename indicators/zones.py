"""Where a point falls: a community's core (its territory) or its buffer ring (the approach zone).

Vectorized with shapely 2: the points bucketed on a grid, each territory and ring (prepared) testing
the coordinates of the cells it spans at once (:func:`point_pairs`).
A point on a territory's boundary counts as inside the territory (``intersects``), and a point inside
one community's core may also lie in a neighbour's ring: it is assigned to both.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely import geometry

CORE = "core"
BUFFER = "buffer"


def _geometry(value: Any) -> Any:
    if value is None or isinstance(value, shapely.Geometry):
        return value
    return geometry.shape(value)


def zone_items(communities: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every territory then every ring, and for each its community code and zone."""
    codes = communities["code"].to_numpy(dtype=object)
    cores = [_geometry(g) for g in communities["boundary"]]
    rings = [_geometry(g) for g in communities["buffer"]] if "buffer" in communities else []
    geoms = np.array(cores + [g for g in rings if g is not None], dtype=object)
    item_codes = np.concatenate(
        [
            codes,
            np.array(
                [c for c, g in zip(codes, rings, strict=False) if g is not None], dtype=object
            ),
        ]
    )
    item_zones = np.array([CORE] * len(cores) + [BUFFER] * (len(geoms) - len(cores)), dtype=object)
    return geoms, item_codes, item_zones


def zone_tree(communities: pd.DataFrame) -> tuple[shapely.STRtree, np.ndarray, np.ndarray]:
    """An STRtree over cores then rings, and for each tree item its community code and zone."""
    geoms, item_codes, item_zones = zone_items(communities)
    return shapely.STRtree(geoms), item_codes, item_zones


def point_pairs(xs: np.ndarray, ys: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (point, geometry) index pairs where point ``(xs[i], ys[i])`` intersects ``geoms[j]``
    (a point on the boundary counts), ordered by point then geometry.

    The points are bucketed on a grid of cells about one geometry wide; each geometry (prepared)
    tests the coordinates of the cells its box spans with ``intersects_xy``: no point objects, and
    each test against an indexed outline. Same pairs as an STRtree query with ``intersects``."""
    none = (np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    bounds = shapely.bounds(geoms).reshape(-1, 4)
    usable = np.flatnonzero(~np.isnan(bounds).any(axis=1))
    if not len(xs) or not len(usable):
        return none
    box = bounds[usable]
    west, south = float(box[:, 0].min()), float(box[:, 1].min())
    east, north = float(box[:, 2].max()), float(box[:, 3].max())
    extent = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1])
    size = float(np.median(extent)) or max(east - west, north - south) or 1.0
    rows = int((north - south) // size) + 1
    inside = np.flatnonzero((xs >= west) & (xs <= east) & (ys >= south) & (ys <= north))
    cell = ((xs[inside] - west) // size).astype(np.int64) * rows + (
        (ys[inside] - south) // size
    ).astype(np.int64)
    order = np.argsort(cell, kind="stable")
    by_cell, points = cell[order], inside[order]
    shapely.prepare(geoms[usable])
    found_points, found_items = [], []
    for item, (gw, gs, ge, gn) in zip(usable, box, strict=True):
        first_row, last_row = int((gs - south) // size), int((gn - south) // size)
        columns = range(int((gw - west) // size), int((ge - west) // size) + 1)
        starts = np.searchsorted(by_cell, [c * rows + first_row for c in columns], "left")
        ends = np.searchsorted(by_cell, [c * rows + last_row for c in columns], "right")
        candidates = np.concatenate([points[a:b] for a, b in zip(starts, ends, strict=True)])
        if not len(candidates):
            continue
        hit = candidates[shapely.intersects_xy(geoms[item], xs[candidates], ys[candidates])]
        found_points.append(hit)
        found_items.append(np.full(len(hit), item, dtype=np.int64))
    if not found_points:
        return none
    point_idx, item_idx = np.concatenate(found_points), np.concatenate(found_items)
    ordered = np.lexsort((item_idx, point_idx))
    return point_idx[ordered].astype(np.int64), item_idx[ordered]


def locate_points(points: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Assign feed points (columns ``longitude``, ``latitude``) to communities.

    Returns the rows of ``points`` that fall in some core or ring, repeated once per community they
    fall in, with two more columns: ``community_code`` and ``zone`` (``core`` | ``buffer``). Where a
    point is both in a community's core and its ring (the shared edge), the core wins.
    """
    if points.empty or communities.empty:
        return points.iloc[0:0].assign(
            community_code=pd.Series(dtype=object), zone=pd.Series(dtype=object)
        )
    geoms, item_codes, item_zones = zone_items(communities)
    xs = points["longitude"].to_numpy(dtype=float)
    ys = points["latitude"].to_numpy(dtype=float)
    point_idx, item_idx = point_pairs(xs, ys, geoms)
    pairs = pd.DataFrame(
        {"row": point_idx, "community_code": item_codes[item_idx], "zone": item_zones[item_idx]}
    )
    # Core before buffer, then one zone per (point, community).
    pairs = pairs.sort_values(["row", "zone"], ascending=[True, False], kind="stable")
    pairs = pairs.drop_duplicates(["row", "community_code"], keep="first")
    located = points.iloc[pairs["row"].to_numpy()].copy()
    located["community_code"] = pairs["community_code"].to_numpy()
    located["zone"] = pairs["zone"].to_numpy()
    return located.reset_index(drop=True)


def locate_reports(reports: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Reports carry their community; the zone is ``buffer`` when the report's location lies in that
    community's ring (and not its territory), else ``core`` (no location: the community's word)."""
    located = reports.copy()
    located["zone"] = CORE
    if reports.empty or communities.empty or "longitude" not in reports:
        return located
    has_point = reports["longitude"].notna() & reports["latitude"].notna()
    if not has_point.any():
        return located
    with_point = reports.loc[has_point, ["longitude", "latitude", "community_code"]]
    found = locate_points(
        with_point.rename(columns={"community_code": "own_code"}).reset_index(names="row"),
        communities,
    )
    own = found[found["community_code"] == found["own_code"]]
    buffer_rows = own.loc[own["zone"] == BUFFER, "row"].to_numpy()
    located.loc[buffer_rows, "zone"] = BUFFER
    return located
