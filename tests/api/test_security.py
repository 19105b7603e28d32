"""Security across the whole API: who may call what, fuzzing against the OpenAPI document, and the
audit log out of the application's reach."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from schemathesis import checks as st_checks

from tests.support.edges import fuzz_every_operation
from tests.support.web import auth

ALL = frozenset({"admin", "analyst", "monitor", "institution", "feed"})
PUBLIC = {("GET", "/healthz"), ("GET", "/livez"), ("GET", "/metrics")}

# DESIGN section 7: which roles may call each operation (others get 403; no key gets 401).
ROLE_MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/v1/reference/institutions"): ALL,
    ("GET", "/api/v1/reference/communities"): ALL,
    ("GET", "/api/v1/reference/factsheet"): ALL,
    ("GET", "/api/v1/reference/actions"): ALL,
    ("POST", "/api/v1/reports"): frozenset({"monitor", "admin"}),
    ("POST", "/api/v1/reports/batch"): frozenset({"monitor", "admin"}),
    ("GET", "/api/v1/reports"): frozenset({"analyst", "admin", "monitor"}),
    ("POST", "/api/v1/patrols"): frozenset({"monitor", "admin"}),
    ("GET", "/api/v1/patrols"): frozenset({"analyst", "admin"}),
    ("POST", "/api/v1/intake/kobo"): frozenset({"feed", "admin"}),
    ("POST", "/api/v1/intake/sms"): frozenset({"feed", "admin"}),
    ("POST", "/api/v1/feeds/{source}"): frozenset({"feed", "admin"}),
    ("POST", "/api/v1/jobs/{name}/run"): frozenset({"analyst", "admin"}),
    ("GET", "/api/v1/indicators"): frozenset({"analyst", "institution", "admin"}),
    ("GET", "/api/v1/alerts"): frozenset({"analyst", "institution", "admin"}),
    ("GET", "/api/v1/alerts/feed.atom"): frozenset({"analyst", "institution", "admin"}),
    ("GET", "/api/v1/alerts/{alert_id}"): frozenset({"analyst", "institution", "admin"}),
    ("GET", "/api/v1/alerts/{alert_id}/cap"): frozenset({"analyst", "institution", "admin"}),
    ("GET", "/api/v1/alerts/{alert_id}/events/{event_id}/cap"): frozenset(
        {"analyst", "institution", "admin"}
    ),
    ("POST", "/api/v1/alerts/{alert_id}/acknowledge"): frozenset(
        {"analyst", "institution", "admin"}
    ),
    ("POST", "/api/v1/alerts/{alert_id}/resolve"): frozenset({"analyst", "institution", "admin"}),
    # DESIGN section 12: an institution records its own actions; an admin names the institution.
    ("POST", "/api/v1/alerts/{alert_id}/actions"): frozenset({"institution", "admin"}),
    ("GET", "/api/v1/silences"): frozenset({"analyst", "admin"}),
    ("POST", "/api/v1/silences"): frozenset({"analyst", "admin"}),
    ("DELETE", "/api/v1/silences/{silence_id}"): frozenset({"analyst", "admin"}),
    ("GET", "/api/v1/notifications"): frozenset({"analyst", "admin"}),
    ("POST", "/api/v1/notifications/{notification_id}/requeue"): frozenset({"analyst", "admin"}),
    ("POST", "/api/v1/reports/{report_id}/photos"): frozenset({"monitor", "admin"}),
    ("GET", "/api/v1/photos/{photo_id}"): frozenset({"analyst", "institution", "monitor", "admin"}),
    ("GET", "/api/v1/checks"): frozenset({"monitor", "analyst", "admin"}),
    ("POST", "/api/v1/checks/{check_id}/verdict"): frozenset({"monitor", "analyst", "admin"}),
    ("POST", "/api/v1/checks/{check_id}/photos"): frozenset({"monitor", "analyst", "admin"}),
    ("POST", "/api/v1/patrols/{patrol_id}/photos"): frozenset({"monitor", "admin"}),
}
PATH_VALUES = {
    "source": "firms",
    "name": "no-such-job",
    "alert_id": "999999",
    "event_id": "999999",
    "silence_id": "999999",
    "notification_id": "999999",
    "report_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "photo_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "check_id": "999999",
    "patrol_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
}
BINDINGS: dict[str, dict[str, str]] = {
    "monitor": {"community": "flor-de-ucayali"},
    "institution": {"institution": "MINJUS"},
}


def operations(app: Any) -> list[tuple[str, str]]:
    return [
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)


def test_every_operation_has_an_expected_row_in_the_role_matrix(app) -> None:  # type: ignore[no-untyped-def]
    missing = [op for op in operations(app) if op not in ROLE_MATRIX and op not in PUBLIC]
    assert missing == [], f"add these operations to ROLE_MATRIX: {missing}"


def test_every_role_against_every_endpoint(client: TestClient, app, make_key) -> None:  # type: ignore[no-untyped-def]
    tokens = {role: make_key(role, **BINDINGS.get(role, {})) for role in ALL}
    for method, path in operations(app):
        url = concrete(path)
        if (method, path) in PUBLIC:
            assert client.request(method, url).status_code == 200, (method, path)
            continue
        anonymous = client.request(method, url, json={})
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        for role in sorted(ALL):
            response = client.request(method, url, json={}, headers=auth(tokens[role]))
            allowed = role in ROLE_MATRIX[(method, path)]
            if allowed:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role, response.status_code)
            assert response.status_code < 500, (method, path, role, response.text)
            if response.status_code >= 400:  # errors are JSON a person can read
                assert response.json()["detail"], (method, path, role)


def test_no_route_can_change_the_audit_log(app) -> None:  # type: ignore[no-untyped-def]
    for method, path in operations(app):
        assert "audit" not in path, (method, path)


def test_fuzzing_the_openapi_document_finds_no_server_error(app, make_key) -> None:  # type: ignore[no-untyped-def]
    """Requests generated from the OpenAPI document, with an admin key: never a 5xx, and documented
    answers match their schema and content type."""
    failures = fuzz_every_operation(
        app,
        headers=auth(make_key("admin")),
        max_examples=8,
        checks=[
            st_checks.not_a_server_error,
            st_checks.response_schema_conformance,
            st_checks.content_type_conformance,
        ],
    )
    assert failures == [], "\n\n".join(failures)


def test_ids_beyond_the_database_range_are_refused_clearly(client: TestClient, make_key) -> None:  # type: ignore[no-untyped-def]
    analyst = auth(make_key("analyst"))
    for url in (
        "/api/v1/alerts/2147483648",
        "/api/v1/alerts/0/cap",
        "/api/v1/notifications?alert_id=99999999999",
    ):
        response = client.get(url, headers=analyst)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["errors"]
