"""``make bench``: run every ``bench/bench_*.py``, print one table, write ``bench/results.json``.

Options: ``--only NAME`` (a module name without ``bench_``, repeatable), ``--quick`` (smaller data,
for a try-out; the README's table comes from a full run). ``EWS_BENCH_POSTGRES_URL`` names the
PostgreSQL server to create throwaway databases on (default: the local one, skipped if down).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from bench.harness import DEFAULT_POSTGRES_URL, BenchContext, BenchResult, run_module
from ews.db import normalize_url

HERE = Path(__file__).resolve().parent


def _postgres_url() -> str | None:
    url = os.environ.get("EWS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        engine = create_engine(normalize_url(url))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means "no PostgreSQL here"
        print(
            f"PostgreSQL unavailable for benchmarks ({type(exc).__name__}); SQLite only",
            file=sys.stderr,
        )
        return None
    return url


def machine() -> dict[str, str | int | None]:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(total_kb / 1e6),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        modules = [m for m in modules if m.removeprefix("bench_") in args.only]
    console = Console()
    results: list[BenchResult] = []
    failures: list[str] = []
    postgres_url = _postgres_url()
    # Each benchmark runs in a process of its own, so one's memory never inflates the next one's
    # peak (pandas does not give memory back to the system).
    with (
        tempfile.TemporaryDirectory(prefix="ews-bench-") as work,
        ProcessPoolExecutor(
            max_workers=1, max_tasks_per_child=1, mp_context=multiprocessing.get_context("spawn")
        ) as pool,
    ):
        for name in modules:
            console.rule(name)
            ctx = BenchContext(work_dir=Path(work), postgres_url=postgres_url, quick=args.quick)
            try:
                results.extend(pool.submit(run_module, name, ctx).result())
            except Exception:  # one broken benchmark must not hide the others
                failures.append(name)
                traceback.print_exc()
    table = Table(title="EWS benchmarks")
    for column in ("benchmark", "engine", "metric", "value", "floor", "ratio", "target", "ok"):
        table.add_column(column)
    for r in results:
        ratio = r.ratio
        table.add_row(
            r.benchmark,
            r.engine,
            r.metric,
            f"{r.value:,.3g}" if abs(r.value) < 1000 else f"{r.value:,.0f}",
            ""
            if r.floor is None
            else (f"{r.floor:,.3g}" if abs(r.floor) < 1000 else f"{r.floor:,.0f}"),
            "" if ratio is None else f"{ratio:.2f}",
            r.target,
            {True: "yes", False: "NO", None: ""}[r.passed],
        )
    console.print(table)
    out = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": machine(),
        "failed_benchmarks": failures,
        "results": [{**r.__dict__, "ratio": r.ratio} for r in results],
    }
    (HERE / "results.json").write_text(json.dumps(out, indent=2) + "\n")
    console.print(f"written {HERE / 'results.json'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
