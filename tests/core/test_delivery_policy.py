"""The pure decision after an attempt, and how the worker's pieces are wired in compose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from alerts.channels import DeliveryResult
from ews.delivery.policy import backoff_seconds, decide_outcome
from ews.models import OutboxStatus
from tests.support.paths import REPO

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def decide(result: DeliveryResult, attempts: int, dice: float = 0.0):
    return decide_outcome(
        result, attempts=attempts, max_attempts=5, base_s=30, max_s=600, now=NOW, dice=dice
    )


@pytest.mark.parametrize(
    ("result", "attempts", "status", "delay_s"),
    [
        (DeliveryResult.ok(), 1, OutboxStatus.sent, None),
        (DeliveryResult.ok(), 5, OutboxStatus.sent, None),
        (DeliveryResult.permanent("550"), 1, OutboxStatus.dead, None),
        (DeliveryResult.retry("421"), 1, OutboxStatus.pending, 15),
        (DeliveryResult.retry("421"), 2, OutboxStatus.pending, 30),
        (DeliveryResult.retry("421"), 4, OutboxStatus.pending, 120),
        (DeliveryResult.retry("421"), 5, OutboxStatus.dead, None),
    ],
)
def test_decisions(
    result: DeliveryResult, attempts: int, status: OutboxStatus, delay_s: float | None
) -> None:
    outcome = decide(result, attempts)
    assert outcome.status is status
    if delay_s is None:
        assert outcome.next_attempt_at is None
    else:
        assert outcome.next_attempt_at == NOW + timedelta(seconds=delay_s)
    if status is not OutboxStatus.sent:
        assert outcome.error
        assert result.error
        assert result.error in outcome.error


def test_backoff_is_jittered_between_half_and_all_of_the_step_and_capped() -> None:
    assert backoff_seconds(3, base_s=30, max_s=600, dice=0.0) == 60
    assert backoff_seconds(3, base_s=30, max_s=600, dice=0.999) == pytest.approx(119.94)
    assert backoff_seconds(20, base_s=30, max_s=600, dice=0.5) == 450
    spread = {decide(DeliveryResult.retry("x"), 2, dice=d / 10).next_attempt_at for d in range(10)}
    assert len(spread) == 10  # two workers failing together do not retry together


def test_compose_runs_the_worker_and_a_mail_catcher_it_sends_to() -> None:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert services["worker"]["command"] == ["ews", "worker"]
    assert services["worker"]["environment"]["EWS_EMBEDDED_WORKER"] == "false"
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert "mailpit" in services["worker"]["environment"]["EWS_SMTP_HOST"]
