"""A scheduler process for ``tests/processes/test_scheduler.py``: the real ``ews scheduler``, with
the compute-indicators job swapped for one that appends its tick and pid to a file (argv[1])."""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

from ews.cli.jobs import scheduler_command
from ews.jobs import JOBS

OUT = Path(sys.argv[1])


def record_tick(*, settings: object, session_factory: object, as_of: datetime) -> dict[str, str]:
    with OUT.open("a") as out:
        out.write(f"{as_of.isoformat()} {os.getpid()}\n")
    time.sleep(0.3)  # still running while the other process tries the same tick
    return {"pid": str(os.getpid())}


if __name__ == "__main__":
    JOBS.clear()
    JOBS["compute-indicators"] = record_tick
    scheduler_command()
