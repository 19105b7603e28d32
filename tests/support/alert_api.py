"""The callers of the alert API by role (``key``) and the moment the alert API tests start from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.web import auth

NOW = datetime.now(UTC).replace(microsecond=0)
H = timedelta(hours=1)


ROLES = {
    "admin": {},
    "analyst": {},
    "monitor": {"community": "flor-de-ucayali"},
    "feed": {},
    "minjus": {"institution": "MINJUS"},
    "minam": {"institution": "MINAM"},
}


def key(make_key, who: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    role = "institution" if who in ("minjus", "minam") else who
    return auth(make_key(role, **ROLES[who]))
