"""What happens to a message after an attempt: a pure decision, with ``now`` and the dice passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from alerts.channels import DeliveryResult


class Status(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    dead = "dead"


@dataclass(frozen=True)
class Outcome:
    status: Status
    next_attempt_at: datetime | None = None
    error: str | None = None


def backoff_seconds(attempts: int, *, base_s: float, max_s: float, dice: float) -> float:
    """Exponential backoff with "equal jitter": between half and all of ``base * 2^(attempts-1)``,
    capped at ``max_s``; ``dice`` is a uniform number in [0, 1) so workers spread their retries."""
    ceiling = min(max_s, base_s * 2.0 ** max(attempts - 1, 0))
    return ceiling / 2 + ceiling / 2 * dice


def decide_outcome(
    result: DeliveryResult,
    *,
    attempts: int,
    max_attempts: int,
    base_s: float,
    max_s: float,
    now: datetime,
    dice: float,
) -> Outcome:
    """Sent; dead at once on a permanent error or when ``attempts`` (tries made, this one included)
    reached ``max_attempts``; otherwise pending again after a jittered backoff."""
    if result.sent:
        return Outcome(Status.sent)
    if not result.retryable:
        return Outcome(Status.dead, error=f"permanente / permanent: {result.error}")
    if attempts >= max_attempts:
        return Outcome(Status.dead, error=f"{attempts} intentos / attempts: {result.error}")
    delay = backoff_seconds(attempts, base_s=base_s, max_s=max_s, dice=dice)
    return Outcome(
        Status.pending, next_attempt_at=now + timedelta(seconds=delay), error=result.error
    )
