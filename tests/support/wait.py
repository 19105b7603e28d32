"""The one polling loop: wait for a condition with a deadline, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    *,
    timeout: float = 30,
    interval: float = 0.1,
    ignoring: tuple[type[BaseException], ...] = (),
    message: str = "",
) -> T:
    """Call ``condition`` every ``interval`` seconds until it returns something truthy, and return
    that. Exceptions of the ``ignoring`` types count as "not yet"; any other exception (a failed
    assertion about a dead process, say) propagates at once. After ``timeout`` seconds the test
    fails with ``message``, chained to the last ignored exception."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = condition()
        except ignoring as exc:
            last_error = exc
        else:
            if value:
                return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"not within {timeout} s") from last_error
        time.sleep(interval)
