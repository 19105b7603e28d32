"""The delivery log API: who may read it, its filters, its order and cursor, and requeueing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.delivery import queue_alert
from tests.support.web import auth


def test_only_analysts_and_admins_read_the_log(client: TestClient, make_key) -> None:
    assert client.get("/api/v1/notifications").status_code == 401
    for role, kwargs, code in (
        ("monitor", {"community": "flor-de-ucayali"}, 403),
        ("institution", {"institution": "MINJUS"}, 403),
        ("feed", {}, 403),
        ("analyst", {}, 200),
        ("admin", {}, 200),
    ):
        answer = client.get("/api/v1/notifications", headers=auth(make_key(role, **kwargs)))
        assert answer.status_code == code, role
    monitor = auth(make_key("monitor", community="flor-de-ucayali"))
    assert client.post("/api/v1/notifications/1/requeue", headers=monitor).status_code == 403


def test_the_log_filters_orders_failures_first_and_pages_with_a_cursor(
    db: Session, client: TestClient, make_key
) -> None:
    _a, _e, first = queue_alert(
        db, contact_codes=["minjus-regional-email", "dp-regional-email", "minam-regional-email"]
    )
    _a, _e, second = queue_alert(db, contact_codes=["minjus-national-email", "dp-national-email"])
    first[0].status, first[0].last_error = "dead", "permanente / permanent: SMTP 550"
    first[1].status = "sent"
    second[0].attempts, second[0].last_error = 2, "ConnectionRefusedError"
    db.commit()
    headers = auth(make_key("analyst"))

    everything = client.get("/api/v1/notifications", headers=headers).json()
    ids = [item["id"] for item in everything["items"]]
    assert ids == [first[0].id, second[0].id, second[1].id, first[2].id, first[1].id]
    assert everything["next"] is None

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/notifications", headers=headers, params=params).json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next"]
        if cursor is None:
            break
    assert [i for page in pages for i in page] == ids
    assert len(pages) == 3

    def ids_for(**params: str) -> list[int]:
        answer = client.get("/api/v1/notifications", headers=headers, params=params)
        return [item["id"] for item in answer.json()["items"]]

    assert ids_for(status="dead") == [first[0].id]
    assert ids_for(institution="dp") == [second[1].id, first[1].id]
    assert ids_for(channel="webhook") == []
    assert len(ids_for(channel="email")) == 5
    bad = client.get("/api/v1/notifications", headers=headers, params={"status": "lost"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"
    bad_cursor = client.get("/api/v1/notifications", headers=headers, params={"cursor": "zz"})
    assert bad_cursor.status_code == 422


def test_the_log_shows_no_reporter_identity(db: Session, client: TestClient, make_key) -> None:
    queue_alert(db, contact_codes=["minjus-regional-email"])
    db.commit()
    text = client.get("/api/v1/notifications", headers=auth(make_key("admin"))).text
    assert "Juan" not in text
    assert "description" not in text


def test_requeueing_an_unknown_message_is_404(client: TestClient, make_key) -> None:
    answer = client.post("/api/v1/notifications/999999/requeue", headers=auth(make_key("admin")))
    assert answer.status_code == 404
    assert "/" in answer.json()["detail"]
