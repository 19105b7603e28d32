"""A user's timeline through the HTTP API for the alerts-on-time tests: post reports, Kobo
submissions and feed files, run the jobs, look at alerts and indicators (``User``), and the
position inside the titled territory the reports carry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from indicators import LIMA, local_day_end
from tests.support.patrol_reports import COMMUNITY
from tests.support.web import auth

INSIDE = (-8.31, -74.08)  # lat, lon inside the titled territory
VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
GFW = (
    "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence,"
    "alert_area__ha"
)


class User:
    """What the people of the scenario do through the API: a monitor, a feed, an analyst."""

    def __init__(self, client: TestClient, make_key: Callable[..., str]) -> None:
        self.client = client
        self.monitor = auth(make_key("monitor", community=COMMUNITY))
        self.feed = auth(make_key("feed"))
        self.analyst = auth(make_key("analyst"))
        self.seq = 0

    def earlier_today(self, minutes: int = 0) -> datetime:
        """A moment of today (Lima) before now: each call a different one."""
        self.seq += 1
        now = datetime.now(UTC)
        midnight = local_day_end(now) - timedelta(days=1)
        return max(midnight + timedelta(seconds=self.seq), now - timedelta(minutes=minutes))

    def report(self, threat: str, severity: int = 3, **fields: Any) -> dict[str, Any]:
        body = {
            "id": str(uuid.uuid4()),
            "community": COMMUNITY,
            "threat_type": threat,
            "severity": severity,
            "observed_at": self.earlier_today(minutes=30).isoformat(),
            "latitude": INSIDE[0],
            "longitude": INSIDE[1],
            **fields,
        }
        response = self.client.post("/api/v1/reports", json=body, headers=self.monitor)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def kobo(self, instance: str, threat: str, severity: int, **extra: Any) -> dict[str, Any]:
        body = {
            "meta/instanceID": instance,
            "patrulla/community": COMMUNITY,
            "patrulla/threat_type": threat,
            "patrulla/severity": str(severity),
            "start": self.earlier_today(minutes=45).isoformat(),
            "_geolocation": list(INSIDE),
            **extra,
        }
        response = self.client.post("/api/v1/intake/kobo", json=body, headers=self.feed)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def firms(self, points: int, confidence: str = "h") -> dict[str, Any]:
        rows = []
        for _ in range(points):
            self.seq += 1
            at = self.earlier_today(minutes=60).astimezone(UTC)
            rows.append(
                f"{INSIDE[0] + self.seq * 1e-3:.5f},{INSIDE[1]:.5f},330.0,0.4,0.4,{at:%Y-%m-%d},"
                f"{at:%H%M},N20,VIIRS,{confidence},2.0NRT,290.0,5.0,D"
            )
        return self._feed("firms", "\n".join([VIIRS, *rows]))

    def gfw(self, hectares: float) -> dict[str, Any]:
        self.seq += 1
        today = datetime.now(UTC).astimezone(LIMA).date()
        row = f"{INSIDE[0] - self.seq * 1e-3:.5f},{INSIDE[1]:.5f},{today},highest,{hectares}"
        return self._feed("gfw", f"{GFW}\n{row}")

    def _feed(self, source: str, body: str) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/feeds/{source}",
            content=(body + "\n").encode(),
            headers={**self.feed, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def run(self, job: str = "pipeline", **body: Any) -> dict[str, Any]:
        response = self.client.post(f"/api/v1/jobs/{job}/run", json=body, headers=self.analyst)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "succeeded", response.json()
        return dict(response.json())

    def alerts(self, category: str) -> list[dict[str, Any]]:
        """Every alert of the category, oldest first."""
        response = self.client.get(
            "/api/v1/alerts", params={"category": category}, headers=self.analyst
        )
        assert response.status_code == 200, response.text
        return sorted(response.json()["items"], key=lambda a: a["id"])

    def alert(self, category: str) -> dict[str, Any]:
        """The one alert of the category that is not resolved."""
        (alert,) = [a for a in self.alerts(category) if a["status"] != "resolved"]
        return alert

    def kinds(self, alert: dict[str, Any]) -> list[str]:
        return [event["kind"] for event in alert["events"]]

    def resolve(self, alert: dict[str, Any]) -> None:
        response = self.client.post(
            f"/api/v1/alerts/{alert['id']}/resolve",
            json={"note": "atendido por la fiscalía"},
            headers=self.analyst,
        )
        assert response.status_code == 200, response.text

    def indicator(self, code: str) -> dict[str, Any]:
        """Today's value of the indicator."""
        response = self.client.get(
            "/api/v1/indicators",
            params={"community": COMMUNITY, "code": code, "limit": 1000},
            headers=self.analyst,
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        today_end = local_day_end(datetime.now(UTC))
        (today,) = [i for i in items if datetime.fromisoformat(i["window_end"]) == today_end]
        return dict(today)

    def national_messages(self, alert: dict[str, Any]) -> set[str]:
        response = self.client.get(
            "/api/v1/notifications", params={"alert_id": alert["id"]}, headers=self.analyst
        )
        assert response.status_code == 200, response.text
        return {m["contact"] for m in response.json()["items"] if "national" in m["contact"]}
