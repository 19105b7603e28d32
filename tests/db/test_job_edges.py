"""The compute-indicators job run through the API with ``as_of`` at every edge (see
``tests/api/test_edge_inputs.py``): each plausible moment runs a real computation over the store,
which makes this the slow one of the edge tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.support.edges import DAY_AHEAD, assert_answer, edge_timestamps, field_named, plausible
from tests.support.web import auth

NOW = datetime.now(UTC)


@pytest.mark.slow
def test_job_as_of_at_every_edge(edge_client: TestClient, make_key: Any) -> None:
    analyst = auth(make_key("analyst"))

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=edge_timestamps(NOW))
    def check(text: str) -> None:
        response = edge_client.post(
            "/api/v1/jobs/compute-indicators/run", json={"as_of": text}, headers=analyst
        )
        assert_answer(response, ok=200, expected=plausible(text, ahead=DAY_AHEAD))
        field_named(response, "as_of")

    check()
