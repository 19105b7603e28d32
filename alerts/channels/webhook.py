"""Webhooks over HTTPS (httpx), signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from alerts.channels.base import DeliveryResult, OutboundMessage
from alerts.channels.http_errors import classify_response, classify_transport_error

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
USER_AGENT = "EWS-alertas/1.0 (+webhook)"


def derive_webhook_secret(master_secret: str, contact_code: str) -> str:
    """The contact's signing secret, ``whsec_<base64 of 32 bytes>``, derived (keyed HMAC) from the
    service secret so nothing new is stored; ``ews webhook-secret CODE`` shows it to the receiver."""
    key = hmac.new(
        master_secret.encode(), f"webhook-secret:{contact_code}".encode(), hashlib.sha256
    ).digest()
    return SECRET_PREFIX + base64.b64encode(key).decode()


def sign(secret: str, message_id: str, timestamp: datetime, body: bytes) -> str:
    """The ``webhook-signature`` header value for one attempt."""
    return Webhook(secret).sign(message_id, timestamp, body.decode())


class UrlRefused(ValueError):
    """The URL may not be called (scheme, or an address in a private range)."""


Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve_host) -> None:
    """Refuse anything but http(s), and hosts resolving to private, loopback, link-local or other
    non-global ranges unless ``allow_private`` (so a contact cannot point us at internal services)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"URL no válida / invalid URL: {url!r}")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(parts.hostname, port)
    except OSError as exc:
        raise UrlRefused(f"no se resuelve / does not resolve: {parts.hostname}: {exc}") from exc
    private = [a for a in addresses if not is_public_address(a)]
    if private or not addresses:
        raise UrlRefused(
            f"dirección privada rechazada / private address refused: {parts.hostname} -> "
            f"{', '.join(private) or 'nothing'} (EWS_WEBHOOK_ALLOW_PRIVATE)"
        )


@dataclass(frozen=True)
class WebhookConfig:
    allow_private: bool = False
    timeout_s: float = 10.0


SecretFor = Callable[[str], str]  # contact code -> secret
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookChannel:
    """POSTs ``message.body`` to ``message.address``, signed with the contact's secret.

    ``secret_for`` gives the signing secret of a contact code."""

    name = "webhook"

    def __init__(
        self,
        config: WebhookConfig,
        *,
        secret_for: SecretFor,
        clock: Clock = _utcnow,
        resolver: Resolver = resolve_host,
    ) -> None:
        self.config = config
        self.secret_for = secret_for
        self.clock = clock
        self.resolver = resolver
        self._client = httpx.Client(
            timeout=config.timeout_s, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )

    def send(self, message: OutboundMessage) -> DeliveryResult:
        try:
            check_url(
                message.address, allow_private=self.config.allow_private, resolver=self.resolver
            )
        except UrlRefused as exc:
            return DeliveryResult.permanent(str(exc))
        timestamp = self.clock().replace(microsecond=0)
        headers = {
            "content-type": message.content_type,
            "webhook-id": message.message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": sign(
                self.secret_for(message.contact), message.message_id, timestamp, message.body
            ),
        }
        try:
            response = self._client.post(message.address, content=message.body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return classify_transport_error(exc)
        return classify_response(response)

    def close(self) -> None:
        self._client.close()
