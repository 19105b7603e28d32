"""Webhooks over HTTPS (httpx), signed per Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from alerts.channels.base import DeliveryResult, Envelope
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


class UrlUnresolved(UrlRefused):
    """The host did not resolve now; it may later (a retry, not a refusal)."""


Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class PinnedUrl:
    """A webhook URL bound to the one address that was checked.

    ``url`` names the address instead of the host, so the connection goes exactly where the check
    looked (no second resolution, no DNS-rebinding gap); ``host_header`` and ``hostname`` keep the
    name for the ``Host`` header and for TLS (SNI and the certificate check)."""

    url: str
    hostname: str
    host_header: str
    address: str


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def pin_url(url: str, *, allow_private: bool, resolver: Resolver = resolve_host) -> PinnedUrl:
    """Resolve ``url``'s host once and bind the URL to its first address.

    Refuses (``UrlRefused``) anything but http(s), and, unless ``allow_private``, a host with any
    address in a private, loopback, link-local or other non-global range (so a contact cannot point
    us at internal services); ``UrlUnresolved`` when the name does not resolve now."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"URL no válida / invalid URL: {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused(f"puerto no válido / invalid port: {url!r}") from exc
    hostname = parts.hostname
    literal = _literal_address(hostname)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolver(hostname, port)
        except OSError as exc:
            raise UrlUnresolved(f"no se resuelve / does not resolve: {hostname}: {exc}") from exc
        if not addresses:
            raise UrlUnresolved(f"no se resuelve / does not resolve: {hostname}")
    private = [a for a in addresses if not is_public_address(a)]
    if private and not allow_private:
        raise UrlRefused(
            f"dirección privada rechazada / private address refused: {hostname} -> "
            f"{', '.join(private)} (EWS_WEBHOOK_ALLOW_PRIVATE)"
        )
    address = addresses[0]
    host = f"[{address.replace('%', '%25')}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if parts.port:
        netloc += f":{parts.port}"
    return PinnedUrl(
        url=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
        hostname=hostname,
        host_header=parts.netloc.rpartition("@")[2],
        address=address,
    )


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve_host) -> None:
    """Refuse what ``pin_url`` refuses (a contact's URL checked before it is saved)."""
    pin_url(url, allow_private=allow_private, resolver=resolver)


@dataclass(frozen=True)
class WebhookConfig:
    allow_private: bool = False
    timeout_s: float = 10.0


SecretFor = Callable[[str], str]  # contact code -> secret
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookChannel:
    """POSTs ``envelope.body`` to ``envelope.address``, signed with the contact's secret.

    ``secret_for`` gives the signing secret of a contact code. Each send resolves the host once,
    checks the address and connects to that address (``pin_url``). Connections are kept per host
    name, so a TLS connection verified for one name never carries another name's request."""

    name = "webhook"
    MAX_CLIENTS = 64

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
        self._clients: OrderedDict[str, httpx.Client] = OrderedDict()

    def _client(self, hostname: str) -> httpx.Client:
        client = self._clients.get(hostname)
        if client is None:
            client = httpx.Client(
                timeout=self.config.timeout_s,
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )
            self._clients[hostname] = client
            if len(self._clients) > self.MAX_CLIENTS:
                self._clients.popitem(last=False)[1].close()
        else:
            self._clients.move_to_end(hostname)
        return client

    def send(self, envelope: Envelope) -> DeliveryResult:
        try:
            pinned = pin_url(
                envelope.address, allow_private=self.config.allow_private, resolver=self.resolver
            )
        except UrlUnresolved as exc:
            return DeliveryResult.retry(str(exc))
        except UrlRefused as exc:
            return DeliveryResult.permanent(str(exc))
        timestamp = self.clock().replace(microsecond=0)
        headers = {
            "host": pinned.host_header,
            "content-type": envelope.content_type,
            "webhook-id": envelope.message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": sign(
                self.secret_for(envelope.contact), envelope.message_id, timestamp, envelope.body
            ),
        }
        try:
            response = self._client(pinned.hostname).post(
                pinned.url,
                content=envelope.body,
                headers=headers,
                extensions={"sni_hostname": pinned.hostname},
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return classify_transport_error(exc)
        return classify_response(response)

    def close(self) -> None:
        while self._clients:
            self._clients.popitem()[1].close()
