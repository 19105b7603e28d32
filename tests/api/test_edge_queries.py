"""Every query at the edge of its range, on both engines: report and indicator filters with
timestamps from the calendar's first to its last moment in every offset, dashboard day filters from
year 1 to 9999, and cursors past every integer range. Each answers 2xx or a 4xx, never a 5xx, as
its own oracle (``tests.support.edges``) expects; the report filters return exactly the reports in
range. The server's own exceptions are turned into 500 answers (``raise_server_exceptions=False``)
so a failure shows the input that caused it. The writes at their edges are in
``test_edge_inputs.py``.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.support.edges import (
    EDGE_INTEGERS,
    EXAMPLES,
    NOW,
    edge_days,
    edge_timestamps,
    in_utc,
    parse_aware,
    report,
)
from tests.support.patrol_reports import COMMUNITY
from tests.support.web import auth, sign_in


def seed_reports(client: TestClient, monitor: dict[str, str]) -> dict[str, datetime]:
    times = {
        str(uuid.uuid4()): NOW - timedelta(days=days, minutes=days) for days in (0, 3, 400, 9000)
    }
    for report_id, moment in times.items():
        response = client.post(
            "/api/v1/reports",
            json={**report(moment.isoformat()), "id": report_id},
            headers=monitor,
        )
        assert response.status_code == 201, response.text
    return times


def clamp(text: str) -> datetime:
    moment = parse_aware(text)
    assert moment is not None
    return in_utc(moment) or (
        datetime.min.replace(tzinfo=UTC) if moment.year < 2 else datetime.max.replace(tzinfo=UTC)
    )


def test_report_filters_at_every_edge(edge_client: TestClient, make_key: Any) -> None:
    """``since``/``until`` beyond the calendar mean "from the start" / "to the end"."""
    monitor = auth(make_key("monitor", community=COMMUNITY))
    analyst = auth(make_key("analyst"))
    times = seed_reports(edge_client, monitor)

    @EXAMPLES
    @given(since=st.none() | edge_timestamps(NOW), until=st.none() | edge_timestamps(NOW))
    def check(since: str | None, until: str | None) -> None:
        params = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
        response = edge_client.get("/api/v1/reports", params=params, headers=analyst)
        if not all(parse_aware(value) for value in params.values()):
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 200, response.text
        low = clamp(since) if since else None
        high = clamp(until) if until else None
        wanted = {
            report_id
            for report_id, moment in times.items()
            if (low is None or moment >= low) and (high is None or moment < high)
        }
        assert {item["id"] for item in response.json()["items"]} == wanted

    check()


def test_indicator_filters_at_every_edge(edge_client: TestClient, make_key: Any) -> None:
    analyst = auth(make_key("analyst"))

    @EXAMPLES
    @given(since=edge_timestamps(NOW), until=edge_timestamps(NOW))
    def check(since: str, until: str) -> None:
        for params in ({"since": since}, {"until": until}, {"since": since, "until": until}):
            response = edge_client.get("/api/v1/indicators", params=params, headers=analyst)
            good = all(parse_aware(value) for value in params.values())
            assert response.status_code == (200 if good else 422), (params, response.text)
            csv = edge_client.get(
                "/api/v1/indicators", params={**params, "format": "csv"}, headers=analyst
            )
            assert csv.status_code == (200 if good else 422), (params, csv.text)

    check()


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def in_row_range(number: int) -> bool:
    return 0 <= number < 2**31


def test_cursors_past_every_range(edge_client: TestClient, make_key: Any) -> None:
    """A cursor is opaque, but a forged one gets a 422, never a database error."""
    analyst = auth(make_key("analyst"))

    @EXAMPLES
    @given(number=EDGE_INTEGERS, rank=EDGE_INTEGERS, text=edge_timestamps(NOW))
    def check(number: int, rank: int, text: str) -> None:
        answers = {
            "notifications": (
                edge_client.get(
                    "/api/v1/notifications",
                    params={"cursor": b64(f"{rank}:{number}")},
                    headers=analyst,
                ),
                0 <= rank <= 4 and in_row_range(number),
            ),
            "alerts": (
                edge_client.get("/api/v1/alerts", params={"cursor": str(number)}, headers=analyst),
                in_row_range(number),
            ),
            "indicators": (
                edge_client.get(
                    "/api/v1/indicators",
                    params={"cursor": b64(f"{text}|{number}")},
                    headers=analyst,
                ),
                bool(parse_aware(text)) and in_row_range(number),
            ),
            "reports": (
                edge_client.get(
                    "/api/v1/reports",
                    params={"cursor": b64(json.dumps([text, str(number)]))},
                    headers=analyst,
                ),
                bool(parse_aware(text)),
            ),
        }
        for name, (response, good) in answers.items():
            assert response.status_code == (200 if good else 422), (name, response.text)

    check()


def test_dashboard_filters_and_cursors_at_every_edge(
    edge_client: TestClient, make_key: Any
) -> None:
    sign_in(edge_client, make_key("analyst"))

    @EXAMPLES
    @given(since=edge_days(), until=edge_days(), number=EDGE_INTEGERS)
    def check(since: str, until: str, number: int) -> None:
        page = edge_client.get(
            f"/dashboard/communities/{COMMUNITY}", params={"since": since, "until": until}
        )
        assert page.status_code == 200, page.text[:2000]
        for path, params in (
            ("/dashboard", {"status": "resolved", "cursor": str(number)}),
            ("/dashboard/deliveries", {"offset": str(number)}),
        ):
            response = edge_client.get(path, params=params)
            good = 0 <= number < 2**31
            assert response.status_code == (200 if good else 422), (path, number, response.text)

    check()
