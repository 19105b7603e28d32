"""Failed dashboard sign-ins are audited and throttled, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import AuditLog
from ews.web.throttle import wait_seconds
from tests.support.web import submit_sign_in

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_wrong_keys_are_audited_then_the_client_waits(
    client: TestClient, make_key: Any, db: Session
) -> None:
    good = make_key("analyst", name="Ana")
    wrong = good[:-4] + "XXXX"  # the right prefix, a wrong secret: a guess at Ana's key
    for _ in range(5):
        response = submit_sign_in(client, wrong)
        assert response.status_code == 401
        assert "Clave inválida" in response.text
    failures = db.scalars(
        select(AuditLog).where(AuditLog.action == "dashboard.sign_in_failed")
    ).all()
    assert len(failures) == 5
    prefix = good.split("_")[1]
    for entry in failures:
        assert entry.details == {"reason": "invalid_key", "key_prefix": prefix}
        assert "testclient" not in entry.object_id  # the client's address only as a pseudonym
        assert good.split("_", 2)[2][:8] not in str(entry.details)
    blocked = submit_sign_in(client, good)  # even the right key waits: the guesser cannot tell
    assert blocked.status_code == 429
    assert "Demasiados intentos" in blocked.text
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "ews_session" not in blocked.headers.get("set-cookie", "")
    again = db.scalars(select(AuditLog).where(AuditLog.action == "dashboard.sign_in_failed")).all()
    assert len(again) == 5  # waiting attempts are not written: the log cannot be flooded


def test_a_sign_in_is_audited(client: TestClient, make_key: Any, db: Session) -> None:
    response = submit_sign_in(client, make_key("analyst", name="Ana"))
    assert response.status_code == 303
    [entry] = db.scalars(select(AuditLog).where(AuditLog.action == "dashboard.signed_in")).all()
    assert entry.actor == "Ana"


def test_a_monitor_key_counts_as_a_failure(client: TestClient, make_key: Any, db: Session) -> None:
    response = submit_sign_in(client, make_key("monitor", community="flor-de-ucayali"))
    assert response.status_code == 401
    [entry] = db.scalars(
        select(AuditLog).where(AuditLog.action == "dashboard.sign_in_failed")
    ).all()
    assert entry.details["reason"] == "role"


def test_wait_is_zero_below_the_limit_and_ends_with_the_window() -> None:
    four = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert wait_seconds(four, now=NOW, max_failures=5, window=WINDOW) == 0
    five = [*four, NOW - timedelta(minutes=10)]
    assert wait_seconds(five, now=NOW, max_failures=5, window=WINDOW) == 5 * 60
    later = NOW + timedelta(minutes=5)
    assert wait_seconds(five, now=later, max_failures=5, window=WINDOW) == 0
    old = [NOW - timedelta(minutes=20)] * 10
    assert wait_seconds(old, now=NOW, max_failures=5, window=WINDOW) == 0
