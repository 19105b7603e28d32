"""How an HTTP answer or transport error classifies: permanent or worth retrying."""

from __future__ import annotations

import httpx

from alerts.channels.base import DeliveryResult

# Request Timeout and Too Many Requests are the receiver asking us to come back later.
RETRYABLE_4XX = frozenset({408, 429})


def classify_response(response: httpx.Response) -> DeliveryResult:
    """2xx sent; 5xx, 408 and 429 retryable; any other answer (4xx, 3xx) permanent."""
    code = response.status_code
    if 200 <= code < 300:
        return DeliveryResult.ok()
    error = f"HTTP {code}: {response.text[:200]}"
    if code >= 500 or code in RETRYABLE_4XX:
        return DeliveryResult.retry(error)
    return DeliveryResult.permanent(error)


def classify_transport_error(exc: httpx.HTTPError | httpx.InvalidURL) -> DeliveryResult:
    """Timeouts, refused or dropped connections: retryable. A malformed URL: permanent."""
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return DeliveryResult.permanent(f"{type(exc).__name__}: {exc}")
    return DeliveryResult.retry(f"{type(exc).__name__}: {exc}")
