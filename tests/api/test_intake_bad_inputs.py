"""The corpus of requests that are malformed as a whole: each gets a clear 4xx, never a 500.

``TestClient`` re-raises server errors, so a 500 would fail the test loudly. The table of inputs and
answers is printed with ``pytest -s -k corpus_answers``. The malformed feed uploads are in
``tests/support/bad_inputs.py``; the malformed reports, Kobo and SMS messages, silences, jobs and
list queries are here.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.bad_inputs import BAD_FEEDS, Case
from tests.support.settings import make_settings
from tests.support.web import auth

GOOD_REPORT = {
    "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "community": "flor-de-ucayali",
    "threat_type": "fire",
    "severity": 3,
    "observed_at": "2026-11-20T08:30:00-05:00",
}


CORPUS: list[Case] = [
    *BAD_FEEDS,
    (
        "report: empty body",
        "post",
        "/api/v1/reports",
        "monitor",
        {"content": b""},
        422,
        "inválidos",
    ),
    (
        "report: not JSON",
        "post",
        "/api/v1/reports",
        "monitor",
        {"content": b"EWS fuego 3", "headers": {"Content-Type": "application/json"}},
        422,
        "inválidos",
    ),
    (
        "report: a JSON list",
        "post",
        "/api/v1/reports",
        "monitor",
        {"json": [1, 2]},
        422,
        "inválidos",
    ),
    (
        "report: a JSON string",
        "post",
        "/api/v1/reports",
        "monitor",
        {"json": "hola"},
        422,
        "inválidos",
    ),
    (
        "batch: reports not a list",
        "post",
        "/api/v1/reports/batch",
        "monitor",
        {"json": {"reports": {"id": "x"}}},
        422,
        "inválidos",
    ),
    (
        "batch: too many reports",
        "post",
        "/api/v1/reports/batch",
        "monitor",
        {"json": {"reports": [{}] * 6}},
        413,
        "máximo",
    ),
    ("kobo: a JSON list", "post", "/api/v1/intake/kobo", "feed", {"json": [{"a": 1}]}, 422, "Kobo"),
    (
        "kobo: not JSON",
        "post",
        "/api/v1/intake/kobo",
        "feed",
        {"content": b"<xml/>", "headers": {"Content-Type": "application/json"}},
        422,
        "inválidos",
    ),
    ("sms: empty object", "post", "/api/v1/intake/sms", "feed", {"json": {}}, 422, "inválidos"),
    (
        "sms: naive received_at",
        "post",
        "/api/v1/intake/sms",
        "feed",
        {
            "json": {
                "id": "1",
                "from": "+51999",
                "text": "EWS",
                "received_at": "2026-11-20T10:00:00",
            }
        },
        422,
        "inválidos",
    ),
    (
        "report: an unknown field",
        "post",
        "/api/v1/reports",
        "monitor",
        {"json": {**GOOD_REPORT, "location": "-8.31,-74.10"}},
        422,
        "no reconocido",
    ),
    (
        "report: severity true",
        "post",
        "/api/v1/reports",
        "monitor",
        {"json": {**GOOD_REPORT, "severity": True}},
        422,
        "verdadero/falso",
    ),
    (
        "report: observed in 1900",
        "post",
        "/api/v1/reports",
        "monitor",
        {"json": {**GOOD_REPORT, "observed_at": "1900-01-01T08:00:00-05:00"}},
        422,
        "2000-01-01",
    ),
    (
        "report: observed at the calendar's first minute",
        "post",
        "/api/v1/reports",
        "monitor",
        {"json": {**GOOD_REPORT, "observed_at": "0001-01-01T00:00:00+00:01"}},
        422,
        "fuera del calendario",
    ),
    (
        "sms: an unknown field",
        "post",
        "/api/v1/intake/sms",
        "feed",
        {
            "json": {
                "id": "1",
                "from": "+51999",
                "text": "EWS",
                "received_at": "2026-11-20T10:00:00-05:00",
                "lat": -8.3,
            }
        },
        422,
        "no reconocido",
    ),
    (
        "sms: received at the calendar's last minute",
        "post",
        "/api/v1/intake/sms",
        "feed",
        {
            "json": {
                "id": "1",
                "from": "+51999",
                "text": "EWS",
                "received_at": "9999-12-31T23:59:59-00:01",
            }
        },
        422,
        "fuera del calendario",
    ),
    (
        "silence: ends in year 1",
        "post",
        "/api/v1/silences",
        "analyst",
        {
            "json": {
                "community": "flor-de-ucayali",
                "ends_at": "0001-01-01T00:00:00Z",
                "reason": "x",
            }
        },
        422,
        "2000-01-01",
    ),
    (
        "job: as_of in 9999",
        "post",
        "/api/v1/jobs/compute-indicators/run",
        "analyst",
        {"json": {"as_of": "9999-12-31T00:00:00Z"}},
        422,
        "as_of",
    ),
    ("list: bad cursor", "get", "/api/v1/reports?cursor=%%%", "analyst", {}, 422, "cursor"),
    (
        "notifications: a cursor past 64 bits",
        "get",
        "/api/v1/notifications?cursor="
        + base64.urlsafe_b64encode(b"0:99999999999999999999").decode(),
        "analyst",
        {},
        422,
        "cursor",
    ),
    (
        "alerts: a cursor past 32 bits",
        "get",
        "/api/v1/alerts?cursor=2147483648",
        "analyst",
        {},
        422,
        "cursor",
    ),
    (
        "list: naive since",
        "get",
        "/api/v1/reports?since=2026-11-20T10:00:00",
        "analyst",
        {},
        422,
        "inválidos",
    ),
]


@pytest.fixture
def small_limits_client(settings: Any, migrated_engine: Any, session_factory: Any) -> Any:
    from ews.api.app import create_app

    limited = make_settings(settings.database_url, max_csv_bytes=10_000, report_batch_max=5)
    with TestClient(
        create_app(limited, engine=migrated_engine, session_factory=session_factory)
    ) as c:
        yield c


def test_corpus_has_at_least_25_distinct_inputs() -> None:
    assert len({name for name, *_ in CORPUS}) == len(CORPUS) >= 25


@pytest.mark.parametrize("case", CORPUS, ids=[case[0] for case in CORPUS])
def test_bad_input_gets_a_clear_4xx(
    small_limits_client: TestClient, make_key: Any, case: Case
) -> None:
    _name, method, path, role, kwargs, expected, words = case
    token = make_key(role, community="flor-de-ucayali" if role == "monitor" else None)
    kwargs = {**kwargs, "headers": {**auth(token), **kwargs.get("headers", {})}}
    response = getattr(small_limits_client, method)(path, **kwargs)
    assert response.status_code == expected, response.text
    body = response.json()
    text = body["detail"] if isinstance(body["detail"], str) else str(body)
    assert words in text + str(body.get("errors", "")), body
    assert " / " in body["detail"]  # Spanish / English


def test_corpus_answers(small_limits_client: TestClient, make_key: Any, capsys: Any) -> None:
    """Print every input with its answer (``pytest -s -k corpus_answers``)."""
    tokens = {
        role: make_key(role, community="flor-de-ucayali" if role == "monitor" else None)
        for role in ("feed", "monitor", "analyst")
    }
    lines = []
    for name, method, path, role, kwargs, expected, _words in CORPUS:
        kwargs = {**kwargs, "headers": {**auth(tokens[role]), **kwargs.get("headers", {})}}
        response = getattr(small_limits_client, method)(path, **kwargs)
        assert response.status_code == expected
        lines.append(f"{response.status_code}  {name:36}  {response.json()['detail'][:110]}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(lines) == len(CORPUS)
