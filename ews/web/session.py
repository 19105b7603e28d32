"""The dashboard's sign-in session and its anti-forgery tokens, as pure functions of a secret.

The cookie never holds the API key: it carries the key's row id, an expiry and a random nonce,
signed with HMAC-SHA256 under ``settings.secret_key``. Every request re-reads the key row, so a
revoked key ends its sessions at once. The CSRF token is an HMAC of the session nonce, so it is tied
to one session and worthless to another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

SESSION_COOKIE = "ews_session"
LOGIN_COOKIE = "ews_login"  # anti-forgery nonce of the sign-in form, before any session exists
LANG_COOKIE = "ews_lang"
COOKIE_PATH = "/dashboard"


@dataclass(frozen=True)
class WebSession:
    """What a valid session cookie says: which key signed in, until when, and its nonce."""

    key_id: int
    expires_at: int  # unix seconds
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, message: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{purpose}\x00{message}".encode(), hashlib.sha256)
    return _b64(digest.digest())


def issue_session(secret: str, *, key_id: int, now: datetime, lifetime_s: int) -> str:
    """A signed cookie value for ``key_id``, valid ``lifetime_s`` seconds from ``now``."""
    body = {"k": key_id, "e": int(now.timestamp()) + lifetime_s, "n": secrets.token_urlsafe(16)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(secret, 'session', payload)}"


def read_session(secret: str, value: str | None, *, now: datetime) -> WebSession | None:
    """The session a cookie value carries, or ``None`` if absent, forged, malformed or expired."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(signature, _mac(secret, "session", payload)):
        return None
    try:
        body = json.loads(_unb64(payload))
        session = WebSession(key_id=int(body["k"]), expires_at=int(body["e"]), nonce=str(body["n"]))
    except (ValueError, KeyError, TypeError):
        return None
    if session.expires_at <= now.timestamp():
        return None
    return session


def csrf_token(secret: str, nonce: str) -> str:
    """The anti-forgery token for forms of the session (or sign-in form) with this nonce."""
    return _mac(secret, "csrf", nonce)


def csrf_valid(secret: str, nonce: str | None, presented: str | None) -> bool:
    if not nonce or not presented:
        return False
    return hmac.compare_digest(presented, csrf_token(secret, nonce))


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def same_origin(origin: str | None, allowed: set[str]) -> bool:
    """Whether a browser's ``Origin`` header names this site (absent: decided by the token alone)."""
    if origin is None:
        return True
    return origin.rstrip("/") in allowed
