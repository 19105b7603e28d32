"""A valid patrol report body for the intake API, and the community it belongs to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

COMMUNITY = "flor-de-ucayali"


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "community": COMMUNITY,
        "threat_type": "illegal_logging",
        "severity": 3,
        "observed_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "latitude": -8.31,
        "longitude": -74.1,
        "description": "motosierras cerca de la quebrada",
    }
    body.update(overrides)
    return body
