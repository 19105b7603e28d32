"""The demo's story: what makes the first synthetic community raise an alert."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ews.demo.synthetic import DEMO_NAMESPACE
from indicators.days import LIMA


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
