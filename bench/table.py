"""Print ``bench/results.json`` as a Markdown table (for the README): ``python -m bench.table``."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def markdown(results: dict) -> str:  # type: ignore[type-arg]
    machine = results["machine"]
    lines = [
        f"Ran {results['ran_at']} on {machine['cpus']} cores, {machine['memory_gb']} GB, "
        f"Python {machine['python']} ({machine['platform']}){' (quick sizes)' if results['quick'] else ''}.",
        *([f"Note: {results['notes']}."] if results.get("notes") else []),
        "",
        "| benchmark | engine | metric | value | floor | ratio | target | ok |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["results"]:
        ok = {True: "yes", False: "**no**", None: ""}[r["passed"]]
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(
            f"| {r['benchmark']} | {r['engine']} | {r['metric']} | {_fmt(r['value'])} | "
            f"{_fmt(r['floor'])} | {ratio} | {r['target']} | {ok} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(json.loads((HERE / "results.json").read_text())))
