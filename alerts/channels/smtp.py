"""E-mail over SMTP (smtplib), optional STARTTLS and login; one connection kept between sends."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from alerts.channels.base import DeliveryResult, Envelope


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str  # "Name <address>"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0


def message_id_header(message_id: str, sender: str) -> str:
    """``<message_id@sender-domain>``: the same for every attempt of one outbox row."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ews.invalid"
    return f"<{message_id}@{domain}>"


def build_email(envelope: Envelope, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail.set_content(envelope.text)  # first: it replaces any Content-* header set before
    mail["From"] = sender
    mail["To"] = str(Address(addr_spec=envelope.address))
    mail["Subject"] = envelope.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id_header(envelope.message_id, sender)
    mail["Content-Language"] = envelope.language
    # An automatic message: no out-of-office replies back to us (RFC 3834).
    mail["Auto-Submitted"] = "auto-generated"
    for name, value in envelope.headers.items():
        mail[name] = value
    return mail


def classify_smtp_error(exc: Exception) -> DeliveryResult:
    """5xx permanent; 4xx, refused or dropped connections and timeouts retryable."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        text = "; ".join(
            f"{rcpt}: {code} {reply.decode(errors='replace')}"
            for rcpt, (code, reply) in exc.recipients.items()
        )
        error = f"SMTP recipient refused: {text}"
        if all(code >= 500 for code in codes):
            return DeliveryResult.permanent(error)
        return DeliveryResult.retry(error)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        error = f"SMTP {exc.smtp_code}: {text}"
        if 500 <= exc.smtp_code < 600:
            return DeliveryResult.permanent(error)
        return DeliveryResult.retry(error)
    return DeliveryResult.retry(f"{type(exc).__name__}: {exc}")


class EmailChannel:
    """Sends each message as plain-text UTF-8 mail. Not thread-safe: one per worker."""

    name = "email"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout_s)
        try:
            if self.config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.config.username:
                smtp.login(self.config.username, self.config.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, envelope: Envelope) -> DeliveryResult:
        try:
            mail = build_email(envelope, self.config.sender)
        except (ValueError, IndexError) as exc:  # a malformed address: no retry will fix it
            return DeliveryResult.permanent(f"dirección inválida / invalid address: {exc}")
        reused = self._smtp is not None
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(mail)
        except smtplib.SMTPServerDisconnected as exc:
            self.close()
            if not reused:
                return classify_smtp_error(exc)
            # A kept connection the server closed while idle: one fresh try now.
            return self._send_on_fresh_connection(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return classify_smtp_error(exc)
        return DeliveryResult.ok()

    def _send_on_fresh_connection(self, mail: EmailMessage) -> DeliveryResult:
        try:
            self._smtp = self._connect()
            self._smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return classify_smtp_error(exc)
        return DeliveryResult.ok()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
