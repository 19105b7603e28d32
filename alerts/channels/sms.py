"""SMS through an HTTP gateway: URL, credentials and a Jinja2 body template from settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import httpx
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from alerts.channels.base import DeliveryResult, Envelope
from alerts.channels.http_errors import classify_response, classify_transport_error

SMS_MAX_CHARS = 320  # two concatenated segments at most


@dataclass(frozen=True)
class SmsGatewayConfig:
    url: str | None
    username: str | None = None
    password: str | None = None
    # Jinja2; sees ``to``, ``text`` and ``id``; e.g. '{"to": {{ to | tojson }}, "text": ...}'.
    body_template: str = '{"to": {{ to | tojson }}, "text": {{ text | tojson }}}'
    content_type: str = "application/json"
    timeout_s: float = 10.0


def without_number(result: DeliveryResult, address: str) -> DeliveryResult:
    """The result with the recipient's number taken out of its error (a gateway may echo it back),
    since errors are kept in the outbox, shown in the delivery log and logged."""
    if not result.error:
        return result
    digits = re.sub(r"\D", "", address)
    error = result.error
    for form in (address, digits, digits[-9:]):
        if len(form) >= 6:
            error = error.replace(form, "[número]")
    return replace(result, error=error)


class SmsChannel:
    """POSTs the rendered template to the gateway (basic auth when a username is set)."""

    name = "sms"

    def __init__(self, config: SmsGatewayConfig) -> None:
        self.config = config
        # The template comes from settings, but render it sandboxed anyway.
        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._template = env.from_string(config.body_template)
        auth = (config.username, config.password or "") if config.username else None
        self._client = httpx.Client(timeout=config.timeout_s, auth=auth, follow_redirects=False)

    def render_body(self, envelope: Envelope) -> str:
        return self._template.render(
            to=envelope.address, text=envelope.text[:SMS_MAX_CHARS], id=envelope.message_id
        )

    def send(self, envelope: Envelope) -> DeliveryResult:
        if not self.config.url:
            return DeliveryResult.retry(
                "sin pasarela SMS configurada / no SMS gateway configured (EWS_SMS_GATEWAY_URL)"
            )
        body = self.render_body(envelope).encode()
        headers = {"content-type": self.config.content_type, "idempotency-key": envelope.message_id}
        try:
            response = self._client.post(self.config.url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return without_number(classify_transport_error(exc), envelope.address)
        return without_number(classify_response(response), envelope.address)

    def close(self) -> None:
        self._client.close()
