"""``ews demo`` as a user runs it: twice changes nothing, and the pipeline after it only checks."""

from __future__ import annotations

import json

from ews.settings import Settings
from tests.support.processes import ews_env, run_ews


def test_ews_demo_command_is_idempotent(fresh_settings: Settings) -> None:
    env = ews_env(fresh_settings.database_url, secret_key=fresh_settings.secret_key)
    args = [
        "demo",
        "--communities",
        "3",
        "--reports",
        "300",
        "--hotspots",
        "1000",
        "--alerts",
        "500",
        "--series-days",
        "3",
    ]
    first = run_ews(*args, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    # The alerts raised at once, with institutions' responses and actions (one overdue).
    assert "'actions': 0" not in first.stderr.replace("\n", " ")
    second = run_ews(*args, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "'reports': 0" in second.stderr.replace("\n", " ")
    assert "'inserted': 0" in second.stderr.replace("\n", " ")
    assert "'actions': 0" in second.stderr.replace("\n", " ")
    job = run_ews("run-job", "pipeline", env=env, timeout=300)
    assert job.returncode == 0, job.stderr
    summary = json.loads(job.stdout.strip().splitlines()[-1])
    assert summary["status"] == "succeeded"
    # The demo's series are stored and nothing arrived since: the run only checks for new rows.
    compute = summary["summary"]["compute-indicators"]
    assert compute["mode"] == "incremental"
    assert compute["inserted"] == compute["updated"] == 0
