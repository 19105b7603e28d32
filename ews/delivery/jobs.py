"""The ``deliver-notifications`` job: one delivery pass now."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ews.delivery.channels import build_channels
from ews.delivery.worker import deliver_pass
from ews.models.base import utcnow
from ews.settings import Settings


def deliver_notifications(
    *, settings: Settings, session_factory: sessionmaker[Session], as_of: datetime | None = None
) -> dict[str, Any]:
    """Deliver every message due at ``as_of`` (default now); the pass's clock runs on from
    ``as_of``. Answers ``{"claimed", "sent", "retried", "dead", "taken_back"}``."""
    start_at = as_of or utcnow()
    started = time.monotonic()

    def clock() -> datetime:
        return start_at + timedelta(seconds=time.monotonic() - started)

    channels = build_channels(settings)
    try:
        summary = deliver_pass(
            settings=settings, session_factory=session_factory, channels=channels, clock=clock
        )
    finally:
        for channel in channels.values():
            channel.close()
    return summary.as_dict()
