"""The corpus of requests that are malformed as a whole: each gets a clear 4xx, never a 500.

``TestClient`` re-raises server errors, so a 500 would fail the test loudly. The table of inputs and
answers is printed with ``pytest -s -k corpus_answers``.
"""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.settings import make_settings
from tests.support.web import auth

VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
ROW = "-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N"
GFW = "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence"
GOOD_REPORT = {
    "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "community": "flor-de-ucayali",
    "threat_type": "fire",
    "severity": 3,
    "observed_at": "2026-11-20T08:30:00-05:00",
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("viirs.csv", f"{VIIRS}\n{ROW}\n")
    return buffer.getvalue()


# (name, method, path, role, request kwargs, status, words in the detail)
Case = tuple[str, str, str, str, dict[str, Any], int, str]
CORPUS: list[Case] = [
    ("feed: empty body", "post", "/api/v1/feeds/firms", "feed", {"content": b""}, 400, "vacío"),
    (
        "feed: only blanks",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": b" \r\n\r\n"},
        400,
        "vacío",
    ),
    (
        "feed: only a BOM",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": b"\xef\xbb\xbf"},
        400,
        "vacío",
    ),
    (
        "feed: JSON instead of CSV",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": b'{"latitude": -8.3}'},
        422,
        "Formato desconocido",
    ),
    (
        "feed: an HTML page",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": b"<!doctype html><html><body>Login</body></html>"},
        422,
        "Formato desconocido",
    ),
    (
        "feed: GFW file sent as FIRMS",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": f"{GFW}\n-8.3,-74.1,2026-11-18,high\n".encode()},
        422,
        "bright_ti4",
    ),
    (
        "feed: FIRMS file sent as GFW",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": f"{VIIRS}\n{ROW}\n".encode()},
        422,
        "__date",
    ),
    (
        "feed: FIRMS without acq_time",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": VIIRS.replace("acq_time,", "").encode()},
        422,
        "acq_time",
    ),
    (
        "feed: GFW with two datasets",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": b"latitude,longitude,wur_radd_alerts__date,umd_glad_landsat_alerts__date\n"},
        422,
        "Formato desconocido",
    ),
    (
        "feed: semicolon-separated",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": VIIRS.replace(",", ";").encode()},
        422,
        "punto y coma",
    ),
    (
        "feed: tab-separated",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": GFW.replace(",", "\t").encode()},
        422,
        "tabulaciones",
    ),
    (
        "feed: gzip",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": gzip.compress(f"{VIIRS}\n{ROW}\n".encode() * 20)},
        415,
        "binario",
    ),
    ("feed: zip", "post", "/api/v1/feeds/firms", "feed", {"content": _zip()}, 415, "binario"),
    (
        "feed: UTF-16 with BOM",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": f"{VIIRS}\n{ROW}\n".encode("utf-16")},
        415,
        "UTF-16",
    ),
    (
        "feed: UTF-16 without BOM",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": f"{VIIRS}\n{ROW}\n".encode("utf-16-le")},
        415,
        "binario",
    ),
    (
        "feed: PNG image",
        "post",
        "/api/v1/feeds/gfw",
        "feed",
        {"content": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))},
        415,
        "binario",
    ),
    (
        "feed: random control bytes",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": bytes([1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0x81, 0x9F, 0xFF] * 50)},
        415,
        "UTF-8",
    ),
    (
        "feed: over the size limit",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"content": (f"{VIIRS}\n" + f"{ROW}\n" * 400).encode()},
        413,
        "límite",
    ),
    (
        "feed: multipart over the size limit",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"files": {"file": ("big.csv", (f"{VIIRS}\n" + f"{ROW}\n" * 400).encode(), "text/csv")}},
        413,
        "límite",
    ),
    (
        "feed: multipart without a file",
        "post",
        "/api/v1/feeds/firms",
        "feed",
        {"data": {"note": "hola"}, "files": {"x": ("", b"", "text/plain")}},
        422,
        "Falta el archivo",
    ),
    (
        "feed: unknown source",
        "post",
        "/api/v1/feeds/modis",
        "feed",
        {"content": b"a,b\n"},
        422,
        "source",
    ),
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
