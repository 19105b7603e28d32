"""Field checks (issue 15), through the HTTP API with default settings, from the user's timeline:
a feed file posted, the community's monitor reads the checks, answers them, a run, and the numbers
and the alert follow, the same day."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.models import Community, FieldCheck, FieldVerdict
from indicators import LIMA, local_day_end
from tests.support.web import auth, sign_in

COMMUNITY = "flor-de-ucayali"
INSIDE = (-8.31, -74.08)  # lat, lon inside the titled territory
FAR_AWAY = (-12.05, -77.04)  # Lima: no community's zone
VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
GFW = (
    "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence,"
    "alert_area__ha"
)


class Field:
    """A feed operator, an analyst, and monitors of the community and of another one."""

    def __init__(self, client: TestClient, make_key: Callable[..., str], db: Session) -> None:
        self.client = client
        self.db = db
        self.monitor = auth(make_key("monitor", community=COMMUNITY))
        self.stranger = auth(make_key("monitor", community=self._other_community()))
        self.feed = auth(make_key("feed"))
        self.analyst = auth(make_key("analyst"))
        self.seq = 0

    def _other_community(self) -> str:
        """A second community far from the first (its zones hold none of the test's points)."""
        own = self.db.get(Community, COMMUNITY)
        assert own is not None
        values = {c.key: getattr(own, c.key) for c in Community.__table__.columns}
        box = [[-70.1, -12.1], [-70.0, -12.1], [-70.0, -12.0], [-70.1, -12.0], [-70.1, -12.1]]
        ring = [[-70.2, -12.2], [-69.9, -12.2], [-69.9, -11.9], [-70.2, -11.9], [-70.2, -12.2]]
        values.update(
            code="otra-comunidad",
            boundary={"type": "Polygon", "coordinates": [box]},
            buffer={"type": "Polygon", "coordinates": [ring, box]},
        )
        self.db.add(Community(**values))
        self.db.commit()
        return "otra-comunidad"

    def earlier_today(self) -> datetime:
        self.seq += 1
        now = datetime.now(UTC)
        midnight = local_day_end(now) - timedelta(days=1)
        return max(midnight + timedelta(seconds=self.seq), now - timedelta(minutes=60))

    def gfw_file(self, rows: list[tuple[float, str]], where: tuple[float, float] = INSIDE) -> str:
        today = datetime.now(UTC).astimezone(LIMA).date()
        lines = [GFW]
        for hectares, confidence in rows:
            self.seq += 1
            lines.append(
                f"{where[0] - self.seq * 1e-3:.5f},{where[1]:.5f},{today},{confidence},{hectares}"
            )
        return "\n".join(lines) + "\n"

    def firms_file(self, confidence: str, count: int = 1) -> str:
        lines = [VIIRS]
        for _ in range(count):
            at = self.earlier_today().astimezone(UTC)
            lines.append(
                f"{INSIDE[0] + self.seq * 1e-3:.5f},{INSIDE[1]:.5f},330.0,0.4,0.4,{at:%Y-%m-%d},"
                f"{at:%H%M},N20,VIIRS,{confidence},2.0NRT,290.0,5.0,D"
            )
        return "\n".join(lines) + "\n"

    def post_feed(self, source: str, body: str) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/feeds/{source}",
            content=body.encode(),
            headers={**self.feed, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def checks(self, headers: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/checks", params=params, headers=headers or self.monitor)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def verdict(
        self,
        check: dict[str, Any],
        verdict: str,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> Any:
        payload = {"id": body.pop("id", str(uuid.uuid4())), "verdict": verdict, **body}
        return self.client.post(
            f"/api/v1/checks/{check['id']}/verdict", json=payload, headers=headers or self.monitor
        )

    def run(self) -> None:
        response = self.client.post("/api/v1/jobs/pipeline/run", json={}, headers=self.analyst)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "succeeded", response.json()

    def indicator(self, code: str) -> float:
        response = self.client.get(
            "/api/v1/indicators",
            params={"community": COMMUNITY, "code": code, "limit": 1000},
            headers=self.analyst,
        )
        assert response.status_code == 200, response.text
        today_end = local_day_end(datetime.now(UTC))
        (today,) = [
            i
            for i in response.json()["items"]
            if datetime.fromisoformat(i["window_end"]) == today_end
        ]
        return float(today["value"])

    def alert_level(self, category: str) -> str | None:
        response = self.client.get(
            "/api/v1/alerts", params={"category": category}, headers=self.analyst
        )
        assert response.status_code == 200, response.text
        open_ = [a for a in response.json()["items"] if a["status"] != "resolved"]
        return open_[0]["level"] if open_ else None


@pytest.fixture
def field(client: TestClient, make_key: Callable[..., str], db: Session) -> Field:
    return Field(client, make_key, db)


def test_a_gfw_file_posted_opens_checks_for_the_community_once(field: Field) -> None:
    body = field.gfw_file([(3.0, "high"), (1.5, "nominal")])
    body += field.gfw_file([(4.0, "high")], where=FAR_AWAY).split("\n", 1)[1]
    field.post_feed("gfw", body)
    checks = field.checks()
    assert len(checks) == 2
    assert {c["source"] for c in checks} == {"gfw"}
    assert {c["community"] for c in checks} == {COMMUNITY}
    assert {c["status"] for c in checks} == {"open"}
    assert sorted(c["area_ha"] for c in checks) == [1.5, 3.0]
    assert {c["zone"] for c in checks} == {"core"}
    assert all(c["verdict"] is None for c in checks)
    # The same file sent again opens no second check.
    assert field.post_feed("gfw", body)["duplicates"] == 3
    assert len(field.checks()) == 2
    assert len(field.checks(field.analyst, community=COMMUNITY, source="gfw")) == 2
    assert field.checks(field.analyst, community=COMMUNITY, source="firms") == []


def test_a_false_alarm_lowers_deforestation_and_the_alert_the_same_day(field: Field) -> None:
    field.post_feed("gfw", field.gfw_file([(30.0, "highest"), (8.0, "highest")]))
    field.run()
    assert field.indicator("deforestation_ha") == pytest.approx(38.0)
    assert field.alert_level("deforestation") == "high"
    big = next(c for c in field.checks() if c["area_ha"] == 30.0)
    response = field.verdict(big, "false_alarm", note="Era una chacra antigua")
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "false_alarm"
    assert response.json()["verdict"]["note"] == "Era una chacra antigua"
    field.run()
    assert field.indicator("deforestation_ha") == pytest.approx(8.0)
    assert field.alert_level("deforestation") == "warning"
    # The monitor's list keeps the open checks only; the analyst sees the verdict.
    assert [c["area_ha"] for c in field.checks()] == [8.0]
    (answered,) = field.checks(field.analyst, community=COMMUNITY, status="false_alarm")
    assert answered["id"] == big["id"]
    assert "reporter" not in str(answered) and "pseudonym" not in str(answered)


def test_a_confirmed_low_confidence_hotspot_counts_at_full_weight(field: Field) -> None:
    field.post_feed("firms", field.firms_file("l", count=3))
    field.run()
    assert field.indicator("fire_hotspots") == 0  # low-confidence VIIRS points do not count
    checks = field.checks(source="firms")
    assert len(checks) == 3 and {c["confidence"] for c in checks} == {"low"}
    for check in checks:
        assert field.verdict(check, "confirmed").status_code == 201
    field.run()
    assert field.indicator("fire_hotspots") == 3
    assert field.alert_level("fire") == "warning"


def test_a_confirmed_nominal_clearing_counts_at_full_weight(field: Field) -> None:
    field.post_feed("gfw", field.gfw_file([(10.0, "nominal")]))
    field.run()
    assert field.indicator("deforestation_ha") == pytest.approx(5.0)
    (check,) = field.checks()
    assert field.verdict(check, "confirmed").status_code == 201
    field.run()
    assert field.indicator("deforestation_ha") == pytest.approx(10.0)


def test_unreachable_changes_nothing(field: Field) -> None:
    field.post_feed("gfw", field.gfw_file([(10.0, "nominal")]))
    field.run()
    (check,) = field.checks()
    assert field.verdict(check, "unreachable", note="río crecido").status_code == 201
    field.run()
    assert field.indicator("deforestation_ha") == pytest.approx(5.0)


def test_verdicts_are_idempotent_by_their_id(field: Field, db: Session) -> None:
    field.post_feed("gfw", field.gfw_file([(2.0, "high"), (3.0, "high")]))
    first, second = field.checks()
    verdict_id = str(uuid.uuid4())
    created = field.verdict(first, "confirmed", id=verdict_id, note="vimos la tala")
    assert created.status_code == 201
    again = field.verdict(first, "confirmed", id=verdict_id, note="vimos la tala")
    assert again.status_code == 200 and again.json() == created.json()
    other = field.verdict(first, "false_alarm", id=verdict_id, note="vimos la tala")
    assert other.status_code == 409 and "id" in other.text
    # A second verdict on an answered check, and the same verdict id on another check: 409.
    assert field.verdict(first, "false_alarm").status_code == 409
    assert (
        field.verdict(second, "confirmed", id=verdict_id, note="vimos la tala").status_code == 409
    )
    # The analyst may also answer.
    assert field.verdict(second, "confirmed", field.analyst).status_code == 201
    assert db.execute(select(func.count(FieldVerdict.id))).scalar_one() == 2


def test_a_monitor_of_another_community_gets_404_and_sees_none(field: Field) -> None:
    field.post_feed("gfw", field.gfw_file([(2.0, "high")]))
    (check,) = field.checks()
    response = field.verdict(check, "confirmed", field.stranger)
    assert response.status_code == 404
    assert "comunidad" in response.json()["detail"]
    assert field.checks(field.stranger) == []
    other = field.client.get(
        "/api/v1/checks", params={"community": COMMUNITY}, headers=field.stranger
    )
    assert other.status_code == 403
    assert field.client.get("/api/v1/checks", headers=field.feed).status_code == 403
    assert field.client.get("/api/v1/checks").status_code == 401


BAD_BODIES: list[tuple[Any, str]] = [
    ({"verdict": "confirmed"}, "id"),
    ({"id": "not-a-uuid", "verdict": "confirmed"}, "id"),
    ({"id": str(uuid.uuid4()), "verdict": "maybe"}, "verdict"),
    ({"id": str(uuid.uuid4())}, "verdict"),
    ({"id": str(uuid.uuid4()), "verdict": "confirmed", "who": "Juan"}, "who"),
    ({"id": str(uuid.uuid4()), "verdict": "confirmed", "note": "a\x00b"}, "note"),
    ({"id": str(uuid.uuid4()), "verdict": "confirmed", "note": "x" * 2001}, "note"),
    ({"id": str(uuid.uuid4()), "verdict": True}, "verdict"),
    ([1, 2], "body"),
]


@pytest.mark.parametrize(("body", "field_name"), BAD_BODIES)
def test_bad_verdicts_are_422_naming_the_field_and_store_nothing(
    field: Field, db: Session, body: Any, field_name: str
) -> None:
    field.post_feed("gfw", field.gfw_file([(2.0, "high")]))
    (check,) = field.checks()
    response = field.client.post(
        f"/api/v1/checks/{check['id']}/verdict", json=body, headers=field.monitor
    )
    assert response.status_code == 422, response.text
    assert field_name in {e["field"] for e in response.json()["errors"]}
    assert response.json()["detail"].startswith("El veredicto")
    assert db.execute(select(func.count(FieldVerdict.id))).scalar_one() == 0


def test_unknown_checks_and_bad_filters_are_4xx(field: Field, db: Session) -> None:
    body = {"id": str(uuid.uuid4()), "verdict": "confirmed"}
    for check_id in (str(uuid.uuid4()), "x" * 300):
        response = field.client.post(
            f"/api/v1/checks/{check_id}/verdict", json=body, headers=field.monitor
        )
        assert response.status_code == 404
    for params in ({"status": "closed"}, {"source": "radd"}, {"cursor": "nope"}, {"limit": 0}):
        response = field.client.get("/api/v1/checks", params=params, headers=field.analyst)
        assert response.status_code == 422, params
    assert db.execute(select(func.count(FieldCheck.id))).scalar_one() == 0


def test_checks_page_with_a_cursor(field: Field) -> None:
    field.post_feed("firms", field.firms_file("h", count=5))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        response = field.client.get("/api/v1/checks", params=params, headers=field.analyst)
        assert response.status_code == 200
        seen += [c["id"] for c in response.json()["items"]]
        if not response.json()["next"]:
            break
        params["cursor"] = response.json()["next"]
    assert len(seen) == len(set(seen)) == 5


def test_the_alert_page_shows_each_points_verdict_and_the_community_page_the_rate(
    field: Field, make_key: Callable[..., str]
) -> None:
    field.post_feed("gfw", field.gfw_file([(30.0, "highest"), (8.0, "high"), (2.0, "high")]))
    field.run()
    checks = {c["area_ha"]: c for c in field.checks()}
    assert field.verdict(checks[30.0], "confirmed").status_code == 201
    assert field.verdict(checks[8.0], "unreachable").status_code == 201
    assert field.verdict(checks[2.0], "false_alarm").status_code == 201
    field.run()
    response = field.client.get(
        "/api/v1/alerts", params={"category": "deforestation"}, headers=field.analyst
    )
    (alert,) = response.json()["items"]
    sign_in(field.client, make_key("analyst"))
    html = field.client.get(f"/dashboard/alerts/{alert['id']}").text
    clearings = html.split('id="evidence-clearings"', 1)[1].split("</table>", 1)[0]
    assert "Verificación en campo" in clearings
    assert "confirmado en campo" in clearings
    assert "no se pudo llegar" in clearings
    assert "falsa alarma" in clearings  # seen earlier by the alert, now marked
    page = field.client.get(f"/dashboard/communities/{COMMUNITY}").text
    rates = page.split('id="confirmation-rates"', 1)[1].split("</table>", 1)[0]
    # 3 points, 1 confirmed, 1 false alarm, 1 not reached: 50 %.
    assert "<td>3</td><td>1</td><td>1</td><td>1</td><td>50 %</td>" in rates
