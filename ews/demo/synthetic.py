"""The generators of the synthetic data (pure: a seed and an anchor day in, frames out): communities
with polygons in the Ucayali basin, patrol reports of every threat type, NASA FIRMS hotspots with a
fire season from August to October and Global Forest Watch alerts, over the thirteen months before
the anchor day."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

import numpy as np
import pandas as pd

from indicators.days import LIMA

FLOR = "flor-de-ucayali"
FLOR_BOX = (-74.15, -8.39, -74.01, -8.26)
# The Ucayali basin, roughly: Atalaya in the south to the north of Coronel Portillo.
BASIN = (-75.3, -10.9, -73.1, -7.5)
THREAT_TYPES = (
    "coca_cultivation",
    "drug_trafficking",
    "illegal_logging",
    "deforestation",
    "fire",
    "settler_invasion",
    "illegal_mining",
    "threat_to_defender",
    "armed_presence",
    "all_quiet",
    "other",
)
# How often each threat is reported: check-ins most, threats to defenders least.
THREAT_WEIGHTS = (0.08, 0.05, 0.12, 0.08, 0.05, 0.07, 0.05, 0.02, 0.02, 0.40, 0.06)
WORDS_ES = {
    "coca_cultivation": "parcela de coca",
    "drug_trafficking": "pista clandestina o poza de maceración",
    "illegal_logging": "tala ilegal",
    "deforestation": "claro reciente en el bosque",
    "fire": "quema",
    "settler_invasion": "ingreso de colonos",
    "illegal_mining": "draga de minería ilegal",
    "threat_to_defender": "amenaza a un dirigente",
    "armed_presence": "personas armadas",
    "all_quiet": "sin novedad",
    "other": "otro hecho",
}
PEOPLES = ("Shipibo-Konibo", "Asháninka", "Cacataibo", "Yine", "Amahuaca", "Ashéninka")
PROVINCES = (
    ("Coronel Portillo", "Callería", "250101"),
    ("Coronel Portillo", "Masisea", "250105"),
    ("Coronel Portillo", "Iparía", "250104"),
    ("Atalaya", "Raymondi", "250201"),
    ("Atalaya", "Tahuanía", "250203"),
    ("Padre Abad", "Irazola", "250302"),
)
MONTH_FIRE_WEIGHT = {8: 6.0, 9: 8.0, 10: 5.0}  # the burning season; other months weigh 1
MONTH_CLEARING_WEIGHT = {6: 2.0, 7: 3.0, 8: 3.0, 9: 3.0, 10: 2.0}
PIXEL_HA = {
    "gfw_integrated_alerts": 0.01,
    "umd_glad_landsat_alerts": 0.09,
    "umd_glad_sentinel2_alerts": 0.01,
    "wur_radd_alerts": 0.01,
}
DEMO_NAMESPACE = uuid.UUID("6f1c7a52-8f0e-4d59-9a52-3f0d1b6a7e10")


def _polygon(rng: np.random.Generator, lon: float, lat: float, radius: float) -> dict[str, Any]:
    """An irregular, closed, counter-clockwise polygon around (lon, lat)."""
    # Evenly spread angles with a little jitter: star-shaped, so always a simple polygon.
    angles = (np.arange(9) + rng.uniform(-0.3, 0.3, 9)) * (2 * math.pi / 9)
    radii = radius * rng.uniform(0.65, 1.0, 9)
    ring = [
        [round(lon + r * math.cos(a), 5), round(lat + r * math.sin(a), 5)]
        for a, r in zip(angles, radii, strict=True)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def generate_communities(n: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` synthetic communities on a grid over the basin, clear of Flor de Ucayali."""
    rng = np.random.default_rng(seed)
    west, south, east, north = BASIN
    width, height = east - west, north - south
    cell = math.sqrt(width * height / n)
    while True:
        columns, rows = int(width / cell), int(height / cell)
        cells = [
            (c, r)
            for r in range(rows)
            for c in range(columns)
            if not _near_flor(west + (c + 0.5) * cell, south + (r + 0.5) * cell, cell)
        ]
        if len(cells) >= n:
            break
        cell *= 0.97
    entries: list[dict[str, Any]] = []
    for c, r in cells:
        if len(entries) == n:
            break
        lon = west + (c + 0.5) * cell + rng.uniform(-0.1, 0.1) * cell
        lat = south + (r + 0.5) * cell + rng.uniform(-0.1, 0.1) * cell
        number = len(entries) + 1
        province, district, ubigeo = PROVINCES[number % len(PROVINCES)]
        entries.append(
            {
                "code": f"demo-{number:04d}",
                "name": f"Comunidad Nativa Demo {number:04d} (sintético)",
                "people": PEOPLES[number % len(PEOPLES)],
                "families": int(rng.integers(20, 160)),
                "region": "Ucayali",
                "region_ubigeo": "25",
                "province": province,
                "district": district,
                "ubigeo": ubigeo,
                "notes": "Datos sintéticos de demostración / synthetic demonstration data.",
                "boundary_source": "synthetic",
                "buffer_m": 5000,
                "boundary": _polygon(rng, lon, lat, cell * 0.3),
                "synthetic": True,
            }
        )
    return entries


def _near_flor(lon: float, lat: float, cell: float) -> bool:
    margin = cell / 2 + 0.05
    return (FLOR_BOX[0] - margin < lon < FLOR_BOX[2] + margin) and (
        FLOR_BOX[1] - margin < lat < FLOR_BOX[3] + margin
    )


def _days(rng: np.random.Generator, anchor: date, n: int, weights: dict[int, float]) -> np.ndarray:
    """``n`` local days over the 400 days before ``anchor``, weighted by month."""
    days = pd.date_range(end=pd.Timestamp(anchor), periods=400, freq="D")
    w = np.array([weights.get(d.month, 1.0) for d in days])
    picked = rng.choice(len(days), size=n, p=w / w.sum())
    return np.asarray(days.values[picked])


def _points_near(
    rng: np.random.Generator, boxes: np.ndarray, n: int, share_near: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points: ``share_near`` of them in a community's box (grown by 0.06°), the rest anywhere in
    the basin. Returns lon, lat and the chosen community index (-1 for basin points)."""
    near = rng.random(n) < share_near
    which = np.where(near, rng.integers(0, len(boxes), n), -1)
    box = boxes[np.maximum(which, 0)]
    grow = 0.06
    lon = np.where(
        near,
        rng.uniform(box[:, 0] - grow, box[:, 2] + grow),
        rng.uniform(BASIN[0], BASIN[2], n),
    )
    lat = np.where(
        near,
        rng.uniform(box[:, 1] - grow, box[:, 3] + grow),
        rng.uniform(BASIN[1], BASIN[3], n),
    )
    return lon.round(5), lat.round(5), which


def _boxes(communities: Sequence[dict[str, Any]]) -> np.ndarray:
    boxes = []
    for entry in communities:
        ring = np.array(entry["boundary"]["coordinates"][0])
        boxes.append([ring[:, 0].min(), ring[:, 1].min(), ring[:, 0].max(), ring[:, 1].max()])
    return np.array(boxes)


def _local_to_utc(days: np.ndarray, hours: np.ndarray) -> pd.Series:
    local = pd.to_datetime(days) + pd.to_timedelta(hours, unit="h")
    return pd.Series(local).dt.tz_localize(LIMA).dt.tz_convert(UTC).dt.floor("s")


def generate_reports(
    rng: np.random.Generator,
    anchor: date,
    communities: Sequence[dict[str, Any]],
    n: int,
) -> pd.DataFrame:
    codes = np.array([c["code"] for c in communities], dtype=object)
    # Some communities report much more than others, a few hardly at all.
    activity = rng.gamma(0.8, 1.0, len(codes))
    which = rng.choice(len(codes), size=n, p=activity / activity.sum())
    threat = rng.choice(np.array(THREAT_TYPES, dtype=object), size=n, p=THREAT_WEIGHTS)
    severity = np.where(threat == "all_quiet", 1, rng.integers(1, 6, n))
    observed = _local_to_utc(_days(rng, anchor, n, {}), rng.uniform(6, 18, n))
    # Most reports arrive within hours; one in ten waits days for a signal (late data).
    lag_hours = np.where(rng.random(n) < 0.1, rng.uniform(24, 240, n), rng.uniform(0.05, 6, n))
    received = observed + pd.to_timedelta(lag_hours, unit="h").round("s")
    boxes = _boxes(communities)[which]
    located = rng.random(n) < 0.7
    lon = np.where(located, rng.uniform(boxes[:, 0] - 0.03, boxes[:, 2] + 0.03), np.nan).round(5)
    lat = np.where(located, rng.uniform(boxes[:, 1] - 0.03, boxes[:, 3] + 0.03), np.nan).round(5)
    refs = [f"demo:{anchor.isoformat()}:{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "id": [str(uuid.uuid5(DEMO_NAMESPACE, ref)) for ref in refs],
            "community_code": codes[which],
            "threat_type": threat,
            "severity": severity.astype(int),
            "observed_at": observed,
            "received_at": received,
            "latitude": lat,
            "longitude": lon,
            "description": [f"(sintético) {WORDS_ES[t]}" for t in threat],
            "reporter_pseudonym": [
                hashlib.sha256(f"demo-monitor-{w}".encode()).hexdigest() for w in which
            ],
            "source": "demo",
            "source_ref": refs,
            "synthetic": True,
        }
    )
    frame["content_hash"] = [
        hashlib.sha256(f"{r.id}|{r.threat_type}|{r.severity}|{r.observed_at}".encode()).hexdigest()
        for r in frame.itertuples()
    ]
    return frame


def generate_hotspots(
    rng: np.random.Generator, anchor: date, communities: Sequence[dict[str, Any]], n: int
) -> pd.DataFrame:
    lon, lat, _which = _points_near(rng, _boxes(communities), n, 0.6)
    days = _days(rng, anchor, n, MONTH_FIRE_WEIGHT)
    # Afternoon and night overpasses, in UTC (13:30 and 01:30 local).
    hours = np.where(rng.random(n) < 0.7, 13.5, 1.5) + rng.uniform(-1, 1, n)
    acquired = _local_to_utc(days, hours).dt.floor("min")
    viirs = rng.random(n) < 0.8
    instrument = np.where(viirs, "VIIRS", "MODIS")
    satellite = np.where(
        viirs,
        rng.choice(np.array(["N", "N20", "N21"]), n),
        rng.choice(np.array(["Terra", "Aqua"]), n),
    )
    pct = rng.integers(0, 101, n)
    viirs_conf = rng.choice(np.array(["low", "nominal", "high"]), n, p=[0.2, 0.6, 0.2])
    modis_conf = np.where(pct < 30, "low", np.where(pct < 80, "nominal", "high"))
    frame = pd.DataFrame(
        {
            "instrument": instrument,
            "satellite": satellite,
            "acquired_at": acquired,
            "latitude": lat,
            "longitude": lon,
            "lat_e4": np.round(lat * 10_000).astype(np.int64),
            "lon_e4": np.round(lon * 10_000).astype(np.int64),
            "confidence": np.where(viirs, viirs_conf, modis_conf),
            "confidence_pct": pd.Series(pct, dtype="Int64").where(~viirs),
            "brightness": rng.uniform(300, 360, n).round(2),
            "frp": rng.gamma(1.5, 4.0, n).round(2),
            "daynight": np.where(hours > 6, "D", "N"),
            "version": "2.0NRT",
            "synthetic": True,
        }
    )
    return frame.drop_duplicates(["satellite", "instrument", "acquired_at", "lat_e4", "lon_e4"])


def generate_alerts(
    rng: np.random.Generator, anchor: date, communities: Sequence[dict[str, Any]], n: int
) -> pd.DataFrame:
    lon, lat, _which = _points_near(rng, _boxes(communities), n, 0.7)
    datasets = np.array(list(PIXEL_HA), dtype=object)
    dataset = rng.choice(datasets, n, p=[0.55, 0.15, 0.15, 0.15])
    frame = pd.DataFrame(
        {
            "dataset": dataset,
            "alert_date": pd.to_datetime(_days(rng, anchor, n, MONTH_CLEARING_WEIGHT)).date,
            "latitude": lat,
            "longitude": lon,
            "lat_e4": np.round(lat * 10_000).astype(np.int64),
            "lon_e4": np.round(lon * 10_000).astype(np.int64),
            "confidence": rng.choice(
                np.array(["nominal", "high", "highest"]), n, p=[0.5, 0.35, 0.15]
            ),
            "area_ha": np.clip(rng.exponential(0.6, n), 0.01, 5).round(3),
            "synthetic": True,
        }
    )
    return frame.drop_duplicates(["dataset", "alert_date", "lat_e4", "lon_e4"])
