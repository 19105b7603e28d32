"""The quarantine: what could not be taken in, kept for an analyst to review, each thing once.

Every kept item has a fingerprint (SHA-256 of what identifies it): a feed row's source and text, an
SMS's gateway id and text, a Kobo submission's content. ``(source, fingerprint)`` is unique, so a
file, message or submission sent again never quarantines the same thing twice. Nobody's identity
is kept in clear: SMS senders and Kobo users are pseudonyms (keyed HMAC) before they get here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ews.auth.pseudonyms import pseudonymize
from ews.models import QuarantineRow

# Kobo/ODK metadata that names a person or a phone (matched on the last part of a group path).
IDENTITY_QUESTIONS = frozenset(
    {
        "_submitted_by",
        "username",
        "deviceid",
        "phonenumber",
        "phone_number",
        "simserial",
        "subscriberid",
        "email",
    }
)
RAW_MAX_CHARS = 20_000


def fingerprint(*parts: str) -> str:
    """SHA-256 of the parts, each on its own line."""
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def clean_text(text: str) -> str:
    """Text a database column can hold: NUL (PostgreSQL refuses it) becomes U+FFFD, a lone
    surrogate (from a JSON escape) becomes "?"."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def clean(value: Any) -> Any:
    """``value`` (JSON-like) with every string made storable by ``clean_text``."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(key)): clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean(item) for item in value]
    return value


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(QuarantineRow)


def keep(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (``QuarantineRow`` column values with a ``fingerprint``), skipping those
    already kept; flushes, never commits."""
    if rows:
        session.execute(
            _insert(session).on_conflict_do_nothing(index_elements=["source", "fingerprint"]),
            [{**row, "raw": clean_text(str(row["raw"]))[:RAW_MAX_CHARS]} for row in rows],
        )


def keep_message(
    session: Session,
    *,
    source: str,
    raw: str,
    error: str,
    identity: str,
    details: dict[str, Any],
    received_at: datetime,
) -> None:
    """Keep one rejected message (an SMS, a Kobo submission) identified by ``identity``."""
    keep(
        session,
        [
            {
                "batch_id": None,
                "source": source,
                "origin": "api",
                "row_number": 1,
                "raw": raw,
                "error": clean_text(error),
                "received_at": received_at,
                "details": clean(details),
                "fingerprint": fingerprint(source, identity, raw),
            }
        ],
    )


def pseudonymized_submission(secret_key: str, submission: Mapping[str, Any]) -> dict[str, Any]:
    """A Kobo/ODK submission with every identity question replaced by its pseudonym."""

    def scrub(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                key: (
                    "pseudonym:" + pseudonymize(secret_key, str(item), purpose="kobo-identity")
                    if str(key).rsplit("/", 1)[-1].lower() in IDENTITY_QUESTIONS
                    and item not in (None, "")
                    else scrub(item)
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [scrub(item) for item in value]
        return value

    return dict(scrub(submission))


def as_json(value: Any) -> str:
    """A stable JSON text of ``value`` (sorted keys), for the ``raw`` of a kept message."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
