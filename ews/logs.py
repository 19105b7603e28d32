"""Logging: readable text in development, one JSON object per line in production."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sys
from datetime import UTC, datetime

from ews.settings import Environment, Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


# An international number (+51 987 654 321) or a Peruvian mobile (987654321, 987 654 321).
PHONE = re.compile(r"\+\d[\d .\-]{6,16}\d|(?<![\w.])9\d{2}[ \-]?\d{3}[ \-]?\d{3}(?![\w])")


def log_pseudonym(secret_key: str, value: str) -> str:
    """A short keyed pseudonym of a phone or an address for the logs (``tel#`` and 10 hex digits):
    two lines about one number can be told apart from others, the number cannot be read back."""
    digits = re.sub(r"[^\d+@\w.]", "", value)
    digest = hmac.new(secret_key.encode(), f"log:{digits}".encode(), hashlib.sha256).hexdigest()
    return f"tel#{digest[:10]}"


class PhoneFilter(logging.Filter):
    """Replaces any phone number in a record's message by its pseudonym, whatever logged it (a
    gateway's error that echoes the number, a library's debug line)."""

    def __init__(self, secret_key: str) -> None:
        super().__init__()
        self.secret_key = secret_key

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = PHONE.sub(lambda m: log_pseudonym(self.secret_key, m.group(0)), message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(PhoneFilter(settings.secret_key))
    if settings.env is Environment.production:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Access logs carry URLs and addresses; keep them but at the configured level.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
