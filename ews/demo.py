"""Synthetic demonstration data, clearly marked (``synthetic = True``, names ending "(sintético)"):
communities with polygons in the Ucayali basin, patrol reports of every threat type, NASA FIRMS
hotspots with a fire season from August to October and Global Forest Watch alerts, over the thirteen
months before an anchor day. The same generator feeds the indicator benchmark at national scale.

Everything is drawn from a seeded generator and keyed (report ids, feed natural keys), so loading the
same anchor twice adds nothing; ``ews demo`` reuses the anchor of the demo already loaded.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.bulk import bulk_insert
from ews.models import Community, DeforestationAlert, FireHotspot, Report
from ews.reference.loader import community_values
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


@dataclass
class DemoSizes:
    communities: int = 12
    reports: int = 1_500
    hotspots: int = 20_000
    alerts: int = 12_000


@dataclass
class DemoData:
    anchor: date
    communities: list[dict[str, Any]]
    reports: pd.DataFrame
    hotspots: pd.DataFrame
    alerts: pd.DataFrame


# ---------------------------------------------------------------------------------------------
# Generation (pure: a seed and an anchor day in, frames out).


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


def story(anchor: date, community: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What makes the first synthetic community alert: a threat to a leader (severity 4) two days
    ago, a patrol check-in, settlers and logging seen, and a fresh clearing inside the territory,
    all near the middle of its polygon (star-shaped around that point, so always inside)."""
    ring = np.array(community["boundary"]["coordinates"][0][:-1])
    lon0, lat0 = ring.mean(axis=0)
    reach = 0.25 * float(np.min(np.hypot(ring[:, 0] - lon0, ring[:, 1] - lat0)))

    def at(days_back: int, hour: float) -> pd.Timestamp:
        local = datetime.combine(anchor - timedelta(days=days_back), time(0), tzinfo=LIMA)
        return pd.Timestamp(local + timedelta(hours=hour)).tz_convert(UTC)

    # (threat, severity, days back, local hour, east and north offsets in `reach`, words)
    told = [
        ("threat_to_defender", 4, 2, 9.5, 0.2, 0.4, "(sintético) amenaza de muerte a un dirigente"),
        ("all_quiet", 1, 1, 8.0, -0.3, 0.1, "(sintético) patrulla sin novedad"),
        ("settler_invasion", 3, 6, 11.0, 0.8, -0.5, "(sintético) colonos abriendo trocha"),
        ("illegal_logging", 3, 5, 10.0, -0.6, -0.7, "(sintético) tala de caoba"),
    ]
    refs = [f"demo:{anchor.isoformat()}:story:{i}" for i in range(len(told))]
    reports = pd.DataFrame(
        {
            "id": [str(uuid.uuid5(DEMO_NAMESPACE, ref)) for ref in refs],
            "community_code": community["code"],
            "threat_type": [t[0] for t in told],
            "severity": [t[1] for t in told],
            "observed_at": [at(t[2], t[3]) for t in told],
            "received_at": [at(t[2], t[3] + 0.5) for t in told],
            "longitude": [round(lon0 + t[4] * reach, 5) for t in told],
            "latitude": [round(lat0 + t[5] * reach, 5) for t in told],
            "description": [t[6] for t in told],
            "reporter_pseudonym": hashlib.sha256(b"demo-monitor-story").hexdigest(),
            "source": "demo",
            "source_ref": refs,
            "synthetic": True,
        }
    )
    reports["content_hash"] = [hashlib.sha256(ref.encode()).hexdigest() for ref in refs]
    # A clearing of about 30 confidence-weighted hectares inside the territory over two weeks.
    k = 36
    lon = np.round(lon0 + 0.004 * (np.arange(k) % 6), 5)
    lat = np.round(lat0 - 0.004 * (np.arange(k) // 6), 5)
    alerts = pd.DataFrame(
        {
            "dataset": "gfw_integrated_alerts",
            "alert_date": [anchor - timedelta(days=int(3 + i % 14)) for i in range(k)],
            "latitude": lat,
            "longitude": lon,
            "lat_e4": np.round(lat * 10_000).astype(np.int64),
            "lon_e4": np.round(lon * 10_000).astype(np.int64),
            "confidence": "high",
            "area_ha": 1.0,
            "synthetic": True,
        }
    )
    return reports, alerts


def generate(anchor: date, sizes: DemoSizes, *, seed: int = 7) -> DemoData:
    """The whole synthetic data set for ``anchor`` (the last day of data)."""
    rng = np.random.default_rng(seed)
    communities = generate_communities(sizes.communities, seed=seed)
    reports = generate_reports(rng, anchor, communities, sizes.reports)
    hotspots = generate_hotspots(rng, anchor, communities, sizes.hotspots)
    alerts = generate_alerts(rng, anchor, communities, sizes.alerts)
    story_reports, story_alerts = story(anchor, communities[0])
    return DemoData(
        anchor=anchor,
        communities=communities,
        reports=pd.concat([reports, story_reports], ignore_index=True),
        hotspots=hotspots,
        alerts=pd.concat([alerts, story_alerts], ignore_index=True).drop_duplicates(
            ["dataset", "alert_date", "lat_e4", "lon_e4"], keep="last"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Loading (idempotent: only rows whose key is not stored yet).


def existing_anchor(session: Session) -> date | None:
    """The anchor day of the demo already loaded, read back from its reports' ``source_ref``."""
    ref = session.execute(
        select(Report.source_ref)
        .where(Report.source == "demo", Report.synthetic.is_(True))
        .limit(1)
    ).scalar_one_or_none()
    if not ref:
        return None
    return date.fromisoformat(ref.split(":")[1])


def real_community_boxes(session: Session) -> np.ndarray:
    """(min_lon, min_lat, max_lon, max_lat) of every real (not synthetic) community, its approach
    zone included: the places demo data must never touch."""
    rows = session.execute(
        select(Community.min_lon, Community.min_lat, Community.max_lon, Community.max_lat).where(
            Community.synthetic.is_(False)
        )
    ).all()
    return np.array(rows, dtype=float).reshape(-1, 4)


def away_from(frame: pd.DataFrame, boxes: np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` (``longitude``, ``latitude``) outside every box."""
    lon = frame["longitude"].to_numpy(dtype=float)[:, None]
    lat = frame["latitude"].to_numpy(dtype=float)[:, None]
    inside = (
        (lon >= boxes[:, 0]) & (lon <= boxes[:, 2]) & (lat >= boxes[:, 1]) & (lat <= boxes[:, 3])
    )
    keep: np.ndarray = ~np.any(inside, axis=1)
    return frame.loc[keep]


def load_demo(session: Session, data: DemoData, *, now: datetime) -> dict[str, int]:
    """Store what is not stored yet (a report is not received after ``now``); answers how many rows
    of each kind were added.

    Demo data stays in the synthetic communities: reports of any other community, and satellite
    points inside a real community's territory or approach zone, are left out."""
    added = {"communities": 0, "reports": 0, "fire_hotspots": 0, "deforestation_alerts": 0}
    known = set(session.execute(select(Community.code)).scalars())
    for entry in data.communities:
        if entry["code"] not in known and entry.get("synthetic"):
            session.add(Community(code=entry["code"], **community_values(entry)))
            added["communities"] += 1
    session.flush()
    connection = session.connection()
    synthetic = set(
        session.execute(select(Community.code).where(Community.synthetic.is_(True))).scalars()
    )
    real_boxes = real_community_boxes(session)
    report_ids = set(session.execute(select(Report.id).where(Report.source == "demo")).scalars())
    reports = data.reports[
        ~data.reports["id"].isin(report_ids) & data.reports["community_code"].isin(synthetic)
    ].copy()
    reports["received_at"] = reports["received_at"].where(
        reports["received_at"] <= pd.Timestamp(now), pd.Timestamp(now)
    )
    added["reports"] = bulk_insert(connection, Report, reports)
    hotspots = _new_rows(
        session,
        away_from(data.hotspots, real_boxes),
        FireHotspot,
        ("satellite", "instrument", "acquired_at", "lat_e4", "lon_e4"),
    )
    added["fire_hotspots"] = bulk_insert(connection, FireHotspot, hotspots.assign(ingested_at=now))
    alerts = _new_rows(
        session,
        away_from(data.alerts, real_boxes),
        DeforestationAlert,
        ("dataset", "alert_date", "lat_e4", "lon_e4"),
    )
    added["deforestation_alerts"] = bulk_insert(
        connection, DeforestationAlert, alerts.assign(ingested_at=now)
    )
    session.flush()
    return added


def _new_rows(
    session: Session, frame: pd.DataFrame, model: Any, key: tuple[str, ...]
) -> pd.DataFrame:
    """The rows of ``frame`` whose natural key is not stored among the synthetic rows."""
    stored = session.execute(
        select(*(getattr(model, k) for k in key)).where(model.synthetic.is_(True))
    ).all()
    if not stored:
        return frame
    stored_frame = pd.DataFrame(stored, columns=list(key))
    for column in key:
        if column == "acquired_at":
            stored_frame[column] = pd.to_datetime(stored_frame[column], utc=True)
        elif column == "alert_date":
            stored_frame[column] = pd.to_datetime(stored_frame[column]).dt.date
    marked = frame.merge(stored_frame.assign(_stored=True), on=list(key), how="left")
    return frame[marked["_stored"].isna().to_numpy()]
