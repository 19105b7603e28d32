"""The national synthetic set (pure: a count and a seed in, features out): about 2,300 titled native
communities across the eight Amazonian regions of Peru, as an official boundary file would bring them.

Every feature is clearly synthetic: its code starts ``sint-``, its name starts "Sintética", and it
carries ``synthetic = True``. Polygons are star-shaped (always simple) on a jittered grid inside a
rough box of each region's Amazonian part, one per cell, so they do not overlap; about one in twenty
has a second part (a MultiPolygon) and about one in twenty a hole. The boxes span UTM zones 17S
(Amazonas), 18S (most) and 19S (Madre de Dios), so an import of the set draws buffers in all three.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely import geometry

from indicators.geometry import area_ha

# (department ubigeo, region, rough box of its Amazonian part (west, south, east, north), share of
# the country's titled native communities, peoples). Boxes do not overlap one another.
REGIONS: tuple[tuple[str, str, tuple[float, float, float, float], float, tuple[str, ...]], ...] = (
    ("16", "Loreto", (-76.5, -7.3, -70.2, -1.0), 0.46, ("Kichwa", "Achuar", "Shawi", "Urarina")),
    ("25", "Ucayali", (-74.6, -10.9, -72.6, -7.4), 0.12, ("Shipibo-Konibo", "Asháninka", "Yine")),
    ("12", "Junín", (-75.2, -12.3, -73.9, -11.0), 0.15, ("Asháninka", "Nomatsigenga")),
    ("01", "Amazonas", (-78.6, -5.6, -77.6, -3.0), 0.15, ("Awajún", "Wampis")),
    ("19", "Pasco", (-75.6, -10.8, -74.7, -9.9), 0.06, ("Yánesha", "Asháninka")),
    ("08", "Cusco", (-73.8, -12.9, -72.4, -11.3), 0.03, ("Matsigenka", "Yine")),
    ("22", "San Martín", (-77.4, -7.5, -76.6, -5.7), 0.02, ("Kichwa", "Awajún")),
    ("17", "Madre de Dios", (-72.2, -13.2, -68.9, -10.0), 0.01, ("Harakbut", "Ese Eja")),
)
# Flor de Ucayali (fixtures/communities.yaml), a real community: no synthetic polygon near it.
KEEP_CLEAR = (-74.25, -8.49, -73.91, -8.16)
SOURCE = "sintético / synthetic"


@dataclass(frozen=True)
class SyntheticCommunity:
    """One feature of the national synthetic set (lon/lat geometry)."""

    code: str
    name: str
    people: str
    ubigeo: str
    region: str
    titled_area_ha: float
    geometry: Any  # shapely Polygon or MultiPolygon

    def properties(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "people": self.people,
            "ubigeo": self.ubigeo,
            "region": self.region,
            "titled_area_ha": self.titled_area_ha,
            "synthetic": True,
        }


def _star(
    rng: np.random.Generator, lon: float, lat: float, radius: float, points: int = 11
) -> list[tuple[float, float]]:
    """A closed, counter-clockwise star-shaped ring around (lon, lat): always simple."""
    angles = (np.arange(points) + rng.uniform(-0.3, 0.3, points)) * (2 * math.pi / points)
    radii = radius * rng.uniform(0.7, 1.0, points)
    ring = [
        (round(lon + r * math.cos(a), 6), round(lat + r * math.sin(a), 6))
        for a, r in zip(angles, radii, strict=True)
    ]
    return [*ring, ring[0]]


def _counts(total: int) -> list[int]:
    """Communities per region, in proportion to its share, summing to ``total``."""
    raw = [share * total for *_, share, _ in REGIONS]
    counts = [int(value) for value in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _cells(box: tuple[float, float, float, float], n: int) -> tuple[float, list[tuple[int, int]]]:
    """A cell size and at least ``n`` grid cells of ``box`` clear of :data:`KEEP_CLEAR`."""
    west, south, east, north = box
    cell = math.sqrt((east - west) * (north - south) / max(n, 1))
    while True:
        cells = [
            (c, r)
            for r in range(int((north - south) / cell))
            for c in range(int((east - west) / cell))
            if not _near_clear(west + (c + 0.5) * cell, south + (r + 0.5) * cell, cell)
        ]
        if len(cells) >= n:
            return cell, cells
        cell *= 0.97


def _near_clear(lon: float, lat: float, cell: float) -> bool:
    west, south, east, north = KEEP_CLEAR
    return west - cell < lon < east + cell and south - cell < lat < north + cell


def national_communities(count: int = 2300, *, seed: int = 17) -> list[SyntheticCommunity]:
    """``count`` synthetic communities over the eight regions (the same list for the same seed)."""
    rng = np.random.default_rng(seed)
    entries: list[SyntheticCommunity] = []
    for (department, region, box, _share, peoples), n in zip(REGIONS, _counts(count), strict=True):
        if n == 0:
            continue
        cell, cells = _cells(box, n)
        picked = sorted(rng.choice(len(cells), size=n, replace=False))
        for number, index in enumerate(picked, start=1):
            c, r = cells[index]
            lon = box[0] + (c + 0.5) * cell + rng.uniform(-0.08, 0.08) * cell
            lat = box[1] + (r + 0.5) * cell + rng.uniform(-0.08, 0.08) * cell
            radius = cell * rng.uniform(0.18, 0.3)
            shell = _star(rng, lon, lat, radius)
            dice = rng.random()
            if dice < 0.05:  # a hole: an enclave that is not the community's (a settlement)
                hole = _star(rng, lon, lat, radius * 0.25, points=7)
                shape: Any = geometry.Polygon(shell, [hole[::-1]])
            elif dice < 0.10:  # a second part across a river, inside the same cell
                side = 1 if rng.random() < 0.5 else -1
                part = _star(rng, lon + side * cell * 0.38, lat, cell * 0.08, points=7)
                shape = geometry.MultiPolygon([geometry.Polygon(shell), geometry.Polygon(part)])
            else:
                shape = geometry.Polygon(shell)
            serial = len(entries) + 1
            entries.append(
                SyntheticCommunity(
                    code=f"sint-{department}-{number:04d}",
                    name=f"Sintética {serial:04d} · Comunidad Nativa de {region} (sintético)",
                    people=peoples[number % len(peoples)],
                    ubigeo=f"{department}0101",
                    region=region,
                    titled_area_ha=round(area_ha(geometry.mapping(shape)), 1),
                    geometry=shape,
                )
            )
    return entries
