"""The channels, configured from settings (the only place that knows both)."""

from __future__ import annotations

from alerts.channels import (
    Channel,
    EmailChannel,
    SmsChannel,
    SmsGatewayConfig,
    SmtpConfig,
    WebhookChannel,
    WebhookConfig,
    derive_webhook_secret,
)
from alerts.channels.mailbox import MailFolderChannel
from ews.settings import Settings


def webhook_secret(settings: Settings, contact_code: str) -> str:
    """The secret a webhook receiver verifies signatures with (``ews webhook-secret CODE``)."""
    return derive_webhook_secret(settings.secret_key, contact_code)


def mail_destination(settings: Settings) -> str:
    """Where e-mail goes, in one line for the start-up of ``ews serve`` and ``ews worker``."""
    if settings.catches_mail:
        return (
            f"Correo / mail: sin servidor SMTP (EWS_SMTP_HOST), no sale nada; se guarda en "
            f"{settings.mail_dir.resolve()} y se lee en {settings.base_url.rstrip('/')}"
            f"/dashboard/mail / no SMTP relay set, nothing leaves: kept there and shown on that page"
        )
    return (
        f"Correo / mail: SMTP {settings.smtp_host}:{settings.smtp_port}"
        f"{' (STARTTLS)' if settings.smtp_starttls else ''}, remitente / from {settings.smtp_from}"
    )


def email_channel(settings: Settings) -> Channel:
    """SMTP to the relay the settings name, or the mail folder in development without one."""
    if settings.catches_mail:
        return MailFolderChannel(settings.mail_dir, settings.smtp_from)
    return EmailChannel(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_s=settings.smtp_timeout_s,
        )
    )


def build_channels(settings: Settings) -> dict[str, Channel]:
    """One instance of each channel, keyed by the contact's ``channel`` value. Not thread-safe:
    each worker builds its own."""
    return {
        "email": email_channel(settings),
        "webhook": WebhookChannel(
            WebhookConfig(
                allow_private=settings.webhook_allow_private, timeout_s=settings.webhook_timeout_s
            ),
            secret_for=lambda code: webhook_secret(settings, code),
        ),
        "sms": SmsChannel(
            SmsGatewayConfig(
                url=settings.sms_gateway_url,
                username=settings.sms_gateway_username,
                password=settings.sms_gateway_password,
                body_template=settings.sms_gateway_body_template,
                content_type=settings.sms_gateway_content_type,
                timeout_s=settings.webhook_timeout_s,
            )
        ),
    }
