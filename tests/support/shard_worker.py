"""A scheduler process for ``tests/processes/test_shared_computation.py``: the real
``ews scheduler``, with each shard it computes written to a file (argv[1]) as ``computed INDEX
PID``; with ``HANG_ON_SHARD=N`` set, the Nth shard it claims writes ``hang INDEX PID`` and never
ends (the test kills the process there, mid-shard, its transaction open)."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from ews.cli.jobs import scheduler_command
from ews.jobs import shared_runs

OUT = Path(sys.argv[1])
HANG_ON = int(os.environ.get("HANG_ON_SHARD", "0"))
claimed = 0
real_compute_shard = shared_runs.compute_shard


def write(line: str) -> None:
    with OUT.open("a") as out:
        out.write(f"{line}\n")


def compute_shard(session: Any, work: Any, index: int) -> dict[str, Any]:
    global claimed
    claimed += 1
    if claimed == HANG_ON:
        real_compute_shard(session, work, index)  # its rows written, not committed
        write(f"hang {index} {os.getpid()}")
        threading.Event().wait()  # until SIGKILL
    part = real_compute_shard(session, work, index)
    write(f"computed {index} {os.getpid()}")
    return part


if __name__ == "__main__":
    shared_runs.compute_shard = compute_shard
    scheduler_command()
