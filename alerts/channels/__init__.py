"""Delivery channels behind one interface: e-mail over SMTP (or into a local Maildir in
development), signed HTTPS webhooks and SMS through an HTTP gateway. The one part of :mod:`alerts`
that talks to the network; adapters that know no database."""

from alerts.channels.base import Channel, DeliveryResult, Envelope
from alerts.channels.sms import SmsChannel, SmsGatewayConfig
from alerts.channels.smtp import EmailChannel, SmtpConfig
from alerts.channels.webhook import WebhookChannel, WebhookConfig, derive_webhook_secret

__all__ = [
    "Channel",
    "DeliveryResult",
    "EmailChannel",
    "Envelope",
    "SmsChannel",
    "SmsGatewayConfig",
    "SmtpConfig",
    "WebhookChannel",
    "WebhookConfig",
    "derive_webhook_secret",
]
