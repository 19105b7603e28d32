"""Where a point falls: a community's core (its territory) or its buffer ring (the approach zone).

Vectorized with shapely 2: one STRtree over every territory and ring, one bulk query for all points.
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


def zone_tree(communities: pd.DataFrame) -> tuple[shapely.STRtree, np.ndarray, np.ndarray]:
    """An STRtree over cores then rings, and for each tree item its community code and zone."""
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
    return shapely.STRtree(geoms), item_codes, item_zones


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
    tree, item_codes, item_zones = zone_tree(communities)
    xs = points["longitude"].to_numpy(dtype=float)
    ys = points["latitude"].to_numpy(dtype=float)
    point_idx, item_idx = tree.query(shapely.points(xs, ys), predicate="intersects")
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
