"""The one channel interface: ``send(envelope) -> DeliveryResult`` (sent, or failed and retryable?).

In the spirit of Alertmanager's notifiers, which answer ``(recoverable, error)``: the caller decides
from ``retryable`` whether to try again later or give up at once. Channels know no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Envelope:
    """One rendered message addressed to one recipient: what a channel sends.

    ``message_id`` is stable across retries of the same outbox row: it becomes the e-mail
    ``Message-ID`` and the ``webhook-id``, so receivers can drop the rare duplicate.
    ``address`` is an e-mail address, a webhook URL or a phone number, by channel. ``body`` and
    ``content_type`` are the webhook payload (JSON or CAP XML); e-mail and SMS use ``subject`` and
    ``text``. ``headers`` are extra e-mail headers (e.g. ``References`` to thread one alert).
    """

    message_id: str
    address: str
    contact: str  # the contact's code (a webhook's signing secret is per contact)
    subject: str
    text: str
    language: str = "es"
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """``sent``; or not sent, with ``retryable`` (try later) or not (give up now) and why."""

    sent: bool
    retryable: bool = False
    error: str | None = None

    @classmethod
    def ok(cls) -> DeliveryResult:
        return cls(sent=True)

    @classmethod
    def retry(cls, error: str) -> DeliveryResult:
        return cls(sent=False, retryable=True, error=error[:MAX_ERROR_CHARS])

    @classmethod
    def permanent(cls, error: str) -> DeliveryResult:
        return cls(sent=False, retryable=False, error=error[:MAX_ERROR_CHARS])


class Channel(Protocol):
    """A way to reach a contact. ``send`` never raises for a delivery problem: it answers one."""

    name: str

    def send(self, envelope: Envelope) -> DeliveryResult: ...

    def close(self) -> None:
        """Release connections kept between sends (idempotent)."""
