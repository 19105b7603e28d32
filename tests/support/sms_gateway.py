"""A valid SMS gateway message for the intake API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any


def sms(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": "gw-0001",
        "from": "+51 987 654 321",
        "text": "EWS flor-de-ucayali fuego 4 -8.31 -74.1 humo grande",
        "received_at": (datetime.now(UTC) - timedelta(minutes=3)).isoformat(),
    }
    body.update(overrides)
    return body
