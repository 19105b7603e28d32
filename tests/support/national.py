"""A national set of synthetic communities for the landing map's tests and benchmark (until the
``ews communities`` synthetic command is merged): polygons across the Peruvian Amazon shaped like
official boundary files (many vertices each, some very small, some large with a hole or a second
part), clearly marked synthetic."""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from ews.models import Community
from ews.reference.loader import community_values

# The Peruvian Amazon, roughly: Amazonas and Loreto in the north to Madre de Dios and Cusco.
NATIONAL = (-78.6, -13.6, -69.0, -0.6)


def _ring(rng: np.random.Generator, lon: float, lat: float, radius: float, n: int) -> list[Any]:
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    radii = radius * (0.75 + 0.25 * np.sin(angles * 3 + rng.uniform(0, 6))) * rng.uniform(0.9, 1, n)
    ring = [
        [round(lon + r * math.cos(a), 6), round(lat + r * math.sin(a), 6)]
        for a, r in zip(angles, radii, strict=True)
    ]
    return [*ring, ring[0]]


def national_communities(n: int, *, seed: int = 17) -> list[dict[str, Any]]:
    """``n`` fixture entries (as ``community_values`` reads them) spread over ``NATIONAL``."""
    rng = np.random.default_rng(seed)
    west, south, east, north = NATIONAL
    entries = []
    for number in range(1, n + 1):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        # Most titled communities are a few thousand hectares; a few are very large or tiny.
        radius = float(np.clip(rng.lognormal(math.log(0.04), 0.8), 0.003, 0.45))
        vertices = int(rng.integers(40, 400))
        outer = _ring(rng, lon, lat, radius, vertices)
        if number % 50 == 0:  # a hole (a private plot inside the territory)
            boundary = {
                "type": "Polygon",
                "coordinates": [outer, _ring(rng, lon, lat, radius * 0.25, 20)[::-1]],
            }
        elif number % 37 == 0:  # two parts
            second = _ring(rng, lon + 3 * radius, lat, radius * 0.5, vertices // 2)
            boundary = {"type": "MultiPolygon", "coordinates": [[outer], [second]]}
        else:
            boundary = {"type": "Polygon", "coordinates": [outer]}
        entries.append(
            {
                "code": f"syn-{number:04d}",
                "name": f"Comunidad Nativa Sintética {number:04d}",
                "people": "Asháninka",
                "region": "Loreto",
                "region_ubigeo": "16",
                "province": "Maynas",
                "district": "Iquitos",
                "ubigeo": "160101",
                "notes": "Datos sintéticos / synthetic data.",
                "boundary_source": "synthetic",
                "buffer_m": 5000,
                "boundary": boundary,
                "synthetic": True,
            }
        )
    return entries


@functools.cache
def _national_rows(n: int) -> tuple[tuple[str, dict[str, Any]], ...]:
    """(code, column values) of ``national_communities(n)``, computed once per test process (the
    buffer rings take a while)."""
    return tuple((e["code"], community_values(e)) for e in national_communities(n))


def add_national_communities(session: Session, n: int) -> list[str]:
    """Adds ``n`` synthetic communities through the model; returns their codes."""
    codes = []
    for code, values in _national_rows(n):
        session.add(Community(code=code, **copy.deepcopy(values)))
        codes.append(code)
    session.flush()
    return codes
