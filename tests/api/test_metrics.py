from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from ews.models import Alert, IngestBatch, JobRun, Report


def scrape(client: TestClient) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        assert family.name.startswith("ews_"), family.name
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_metrics_count_what_the_database_holds(client: TestClient, db: Session) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    db.add(
        Report(
            id="0f8fad5b-d9cb-469f-a165-70867728950e",
            community_code="flor-de-ucayali",
            threat_type="fire",
            severity=2,
            observed_at=now,
            received_at=now,
            source="sms",
            reporter_pseudonym="p" * 64,
            content_hash="h" * 64,
        )
    )
    db.add(
        IngestBatch(
            id="b1", source="firms", origin="test", rows=10, inserted=7, duplicates=2, rejected=1
        )
    )
    db.add(
        JobRun(
            job="compute-indicators",
            tick=now,
            status="succeeded",
            runner="t",
            started_at=now,
            duration_s=2.5,
            summary={},
        )
    )
    db.add(
        Alert(
            fingerprint="flor-de-ucayali:fire",
            community_code="flor-de-ucayali",
            category="fire",
            level="high",
            status="open",
            routed_to=["MINAM"],
            opened_at=now,
            updated_at=now,
            evidence={},
            context={},
        )
    )
    db.commit()
    samples = scrape(client)
    assert samples["ews_reports_received_total"][(("source", "sms"),)] == 1
    assert samples["ews_feed_rows_total"][(("outcome", "rejected"), ("source", "firms"))] == 1
    assert samples["ews_feed_rows_total"][(("outcome", "inserted"), ("source", "firms"))] == 7
    assert (
        samples["ews_job_runs_total"][(("job", "compute-indicators"), ("status", "succeeded"))] == 1
    )
    assert samples["ews_job_duration_seconds_total"][(("job", "compute-indicators"),)] == 2.5
    assert samples["ews_alerts"][(("level", "high"), ("status", "open"))] == 1
