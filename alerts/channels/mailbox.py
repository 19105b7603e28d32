"""E-mail kept in a local Maildir instead of sent: development with no SMTP relay catches its own mail.

The message is built exactly as the SMTP channel builds it (:func:`build_email`), so what lands in
the folder is what an institution would have received. Maildir (Python's ``mailbox``) writes each
message to ``tmp/`` and renames it into ``new/``, so a reader never sees half a message; any mail
client can open the folder too (``mutt -f var/mail``).
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from alerts.channels.base import DeliveryResult, Envelope
from alerts.channels.smtp import build_email


@dataclass(frozen=True)
class CaughtMail:
    """One message of the folder, as the dashboard lists it."""

    key: str
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class MailFolderChannel:
    """Writes each e-mail into a Maildir at ``folder`` (created on first use)."""

    name = "email"

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, envelope: Envelope) -> DeliveryResult:
        try:
            mail = build_email(envelope, self.sender)
        except (ValueError, IndexError) as exc:  # as over SMTP: no retry fixes a bad address
            return DeliveryResult.permanent(f"dirección inválida / invalid address: {exc}")
        try:
            mailbox.Maildir(self.folder, create=True).add(mail)
        except OSError as exc:
            return DeliveryResult.retry(f"{type(exc).__name__}: {exc}")
        return DeliveryResult.ok()

    def close(self) -> None:
        """Nothing is kept open between messages."""


def caught_mail(folder: Path, *, limit: int) -> list[CaughtMail]:
    """The newest ``limit`` messages of the Maildir at ``folder`` (none if it does not exist)."""
    if not (folder / "new").is_dir() and not (folder / "cur").is_dir():
        return []
    box = mailbox.Maildir(folder, factory=None, create=False)
    # Maildir keys start with the delivery time in seconds, then a counter: newest last.
    keys = sorted(box.keys(), key=_delivery_order)[-limit:]
    return [m for m in (read_caught(folder, key) for key in reversed(keys)) if m is not None]


def read_caught(folder: Path, key: str) -> CaughtMail | None:
    """One message by its Maildir key, or ``None`` if there is no such message."""
    try:
        with mailbox.Maildir(folder, factory=None, create=False).get_file(key) as handle:
            raw = handle.read()
    except (KeyError, OSError, mailbox.Error):
        return None
    parsed = message_from_bytes(raw, policy=default)
    return CaughtMail(key=key, message=parsed)


def _delivery_order(key: str) -> tuple[float, str]:
    head = key.split(".", 1)[0]
    try:
        return float(head), key
    except ValueError:
        return 0.0, key
