"""Delivery channels (adapters that know no database): e-mail, webhook, SMS behind one interface."""

from alerts.channels.base import Channel, DeliveryResult, OutboundMessage
from alerts.channels.sms import SmsChannel, SmsGatewayConfig
from alerts.channels.smtp import EmailChannel, SmtpConfig
from alerts.channels.webhook import WebhookChannel, WebhookConfig, derive_webhook_secret

__all__ = [
    "Channel",
    "DeliveryResult",
    "EmailChannel",
    "OutboundMessage",
    "SmsChannel",
    "SmsGatewayConfig",
    "SmtpConfig",
    "WebhookChannel",
    "WebhookConfig",
    "derive_webhook_secret",
]
