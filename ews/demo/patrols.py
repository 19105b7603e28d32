"""Synthetic patrols for the demo communities: a few walks in the last 30 days before the anchor,
so the community page's patrol map and the effort indicators have something to show. Seeded by
the community's code: the same anchor gives the same patrols (ids are UUID5s), so loading twice
adds nothing."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from shapely import geometry

from indicators import LIMA
from indicators.coverage import track_length_km

DEMO_PATROL_NAMESPACE = uuid.UUID("b6f0c3a2-4d1e-4f8a-9c7b-2e5d6a1f0b93")
PATROLS_PER_COMMUNITY = 5
POINTS_PER_PATROL = 40
STEP_DEGREES = 0.0015  # about 165 m


def demo_patrols(communities: list[dict[str, Any]], anchor: date) -> list[dict[str, Any]]:
    """Patrol rows (the ``patrol`` table's columns) for each synthetic community entry."""
    rows = []
    for entry in communities:
        if not entry.get("synthetic"):
            continue
        code = str(entry["code"])
        territory = geometry.shape(entry["boundary"])
        west, south, east, north = territory.bounds
        seed = int(hashlib.sha256(f"{code}:{anchor}".encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(seed)
        for n in range(PATROLS_PER_COMMUNITY):
            point = territory.representative_point()
            lon, lat = point.x, point.y
            heading = rng.uniform(0, 2 * np.pi)
            line = [[round(lon, 6), round(lat, 6)]]
            for _ in range(POINTS_PER_PATROL - 1):
                heading += rng.normal(0, 0.5)
                lon = float(np.clip(lon + STEP_DEGREES * np.cos(heading), west, east))
                lat = float(np.clip(lat + STEP_DEGREES * np.sin(heading), south, north))
                line.append([round(lon, 6), round(lat, 6)])
            day = anchor - timedelta(days=int(rng.integers(0, 30)))
            start = datetime.combine(day, time(7, 0), tzinfo=LIMA).astimezone(UTC)
            track = {"type": "MultiLineString", "coordinates": [line]}
            patrol_id = str(uuid.uuid5(DEMO_PATROL_NAMESPACE, f"{code}:{anchor}:{n}"))
            rows.append(
                {
                    "id": patrol_id,
                    "community_code": code,
                    "started_at": start,
                    "ended_at": start + timedelta(hours=float(rng.uniform(3, 7))),
                    "monitors": int(rng.integers(2, 7)),
                    "track": track,
                    "points": len(line),
                    "length_km": track_length_km(track),
                    "submitter_pseudonym": "demo",
                    "source": "demo",
                    "source_ref": None,
                    "content_hash": hashlib.sha256(patrol_id.encode()).hexdigest(),
                    "synthetic": True,
                }
            )
    return rows
