"""Request limits: body size (before the body is read into memory), NUL characters in the path and
query, and per-key rates on intake and on photo uploads. A NUL in a JSON body is refused by the field that holds it
(``ews.fields.Text``), so the answer names the field."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ews.api.errors import ApiError, TooLarge, TooManyRequests, error_response
from ews.auth.keys import Principal


class BodyTooLarge(Exception):
    pass


class RequestLimitsMiddleware:
    """Refuse, before any handler runs: a body over the limit (413, counting bytes as they stream
    in; ``limit_for(path)`` lets feed uploads be larger than JSON calls), and a NUL character in the
    path or the query (400: PostgreSQL cannot store it)."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await error_response(_too_large(limit))(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            await error_response(_nul_refused())(scope, receive, send)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await error_response(_too_large(limit))(scope, receive, send)


def _nul_refused() -> ApiError:
    return ApiError(
        "nul_character",
        "El texto contiene un carácter nulo (\\u0000), que no se admite; quítelo y reintente. / "
        "The text contains a NUL character (\\u0000), which is not accepted; remove it and retry.",
    )


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        "body_too_large",
        f"El cuerpo de la solicitud supera el límite de {limit:,} bytes; divídalo en partes más "
        f"pequeñas. / The request body exceeds the {limit:,}-byte limit; split it into smaller "
        "parts.",
    )


class ConcurrencyLimitMiddleware:
    """At most ``limit`` requests inside the application at once; the others wait here.

    FastAPI runs each sync handler, and then the commit of its session, on a pool of 40 threads.
    Without a bound, a burst of requests can take every thread while waiting for the database, and
    the commit that would free the database then finds no thread: everything stalls until timeouts.
    Waiting here costs no thread and no connection.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.semaphore = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self.semaphore:
            await self.app(scope, receive, send)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, refilled continuously, in this process.

    Several API processes each keep their own buckets, so the effective limit is per process; the
    limit protects the database from a runaway client, it is not a quota.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(max(per_minute, 1))
        self.rate = self.capacity / 60.0
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key_id: int) -> tuple[bool, float]:
        """Take one token for ``key_id``; answer whether allowed and, if not, seconds to wait."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(tokens=self.capacity, updated=now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - bucket.tokens) / self.rate


def enforce_intake_rate(request: Request, principal: Principal) -> None:
    """Raise 429 with Retry-After when the key has used up its intake rate."""
    limiter: RateLimiter = request.app.state.intake_rate_limiter
    allowed, wait = limiter.allow(principal.key_id)
    if not allowed:
        seconds = max(1, round(wait))
        raise TooManyRequests(
            "intake_rate",
            f"Demasiados envíos con esta clave; espere {seconds} s y reintente (nada se perdió). / "
            f"Too many submissions with this key; wait {seconds} s and retry (nothing was lost).",
            headers={"Retry-After": str(seconds)},
        )


def enforce_photo_rate(request: Request, principal: Principal) -> None:
    """Raise 429 with Retry-After when the key has used up its photo rate: one bucket for the
    photos of reports, field checks and patrols, apart from the intake rate (a photo costs far
    more to receive than a report: megabytes decoded, cleaned and written twice)."""
    limiter: RateLimiter = request.app.state.photo_rate_limiter
    allowed, wait = limiter.allow(principal.key_id)
    if not allowed:
        seconds = max(1, round(wait))
        raise TooManyRequests(
            "photo_rate",
            f"Demasiadas fotos con esta clave; espere {seconds} s y reintente (nada se perdió). / "
            f"Too many photos with this key; wait {seconds} s and retry (nothing was lost).",
            headers={"Retry-After": str(seconds)},
        )
