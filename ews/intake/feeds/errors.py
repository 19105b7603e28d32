"""Why a feed file or a feed row was refused, in words a feed operator can act on."""

from __future__ import annotations


class FeedError(Exception):
    """The whole file or request is unusable; ``status_code`` is the HTTP answer it deserves."""

    def __init__(self, message: str, *, status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class RowError(ValueError):
    """One row is unusable; the message says which value and why."""
