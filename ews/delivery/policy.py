"""What happens to a message after an attempt: a pure decision, with ``now`` and the dice passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.channels import DeliveryResult
from ews.models.outbox import OutboxStatus


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt leaves: the message's new status, when to try again, the error kept."""

    status: OutboxStatus
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
) -> DeliveryOutcome:
    """Sent; dead at once on a permanent error or when ``attempts`` (tries made, this one included)
    reached ``max_attempts``; otherwise pending again after a jittered backoff."""
    if result.sent:
        return DeliveryOutcome(OutboxStatus.sent)
    if not result.retryable:
        return DeliveryOutcome(OutboxStatus.dead, error=f"permanente / permanent: {result.error}")
    if attempts >= max_attempts:
        return DeliveryOutcome(
            OutboxStatus.dead, error=f"{attempts} intentos / attempts: {result.error}"
        )
    delay = backoff_seconds(attempts, base_s=base_s, max_s=max_s, dice=dice)
    return DeliveryOutcome(
        OutboxStatus.pending, next_attempt_at=now + timedelta(seconds=delay), error=result.error
    )
