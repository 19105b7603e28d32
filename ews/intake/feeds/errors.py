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


def implausible_date(column: str, value: str, ahead: str) -> RowError:
    """A date before 2000-01-01 or further ahead than ``ahead``: a broken clock or a typing mistake."""
    return RowError(
        f"{column} fuera de lo plausible (desde 2000-01-01, a lo sumo {ahead.split(' / ')[0]} en "
        f"el futuro) / {column} is implausible (on or after 2000-01-01, at most "
        f"{ahead.split(' / ')[-1]} ahead): {value!r}"
    )


def number_in_range(value: str, name: str, low: float, high: float) -> float:
    """``value`` as a number between ``low`` and ``high``; a :class:`RowError` that says which
    column and why otherwise."""
    try:
        number = float(value)
    except ValueError:
        raise RowError(f"{name} no es un número / {name} is not a number: {value!r}") from None
    if not low <= number <= high:
        raise RowError(f"{name} fuera de rango / {name} out of range ({low}..{high}): {value}")
    return number
