"""Page weights: the community page with a busy community's year of data, and the report page.

Budgets (issue 7): the community page under 500 KB of HTML and data; the report page under 150 KB
with its assets; (issue 17) the landing page with 2,300 communities under 300 KB with its assets.
The floor of the community page is the same points, lines and series as plain
GeoJSON/JSON, the plainest way to ship them to a browser-side map and chart library.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.harness import BENCH_KEYS, BenchContext, BenchResult, timer
from ews import migrate
from ews.api.app import create_app
from ews.auth.keys import Role, create_key
from ews.db import build_engine
from ews.models import Community, DeforestationAlert, FireHotspot, IndicatorValue, Report
from ews.reference.loader import load_reference_data
from ews.settings import Settings
from tests.support import web_sample
from tests.support.national import add_national_communities

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
KB = 1000.0


def _plain_json_bytes(session: Session, since_days: int) -> int:
    """The same data as GeoJSON points plus JSON series: what a client-side map would download."""
    now = web_sample.utc_now()
    since = now - timedelta(days=since_days)
    features = []
    for lon, lat, kind, sev, at in session.execute(
        select(
            Report.longitude,
            Report.latitude,
            Report.threat_type,
            Report.severity,
            Report.observed_at,
        ).where(Report.observed_at >= since)
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"type": kind, "severity": sev, "at": at.isoformat()},
            }
        )
    for lon, lat, conf, at in session.execute(
        select(
            FireHotspot.longitude,
            FireHotspot.latitude,
            FireHotspot.confidence,
            FireHotspot.acquired_at,
        ).where(FireHotspot.acquired_at >= since)
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"confidence": conf, "at": at.isoformat()},
            }
        )
    for lon, lat, conf, day in session.execute(
        select(
            DeforestationAlert.longitude,
            DeforestationAlert.latitude,
            DeforestationAlert.confidence,
            DeforestationAlert.alert_date,
        ).where(DeforestationAlert.alert_date >= since.date())
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"confidence": conf, "date": day.isoformat()},
            }
        )
    series = [
        [code, end.isoformat(), value, baseline]
        for code, end, value, baseline in session.execute(
            select(
                IndicatorValue.code,
                IndicatorValue.window_end,
                IndicatorValue.value,
                IndicatorValue.baseline,
            ).where(IndicatorValue.window_end >= since)
        )
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features, "series": series})
    return len(body.encode("utf-8"))


def _assets_bytes(client: TestClient, html: str) -> int:
    urls = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    return sum(len(client.get(url).content) for url in urls)


NATIONAL = 2_300


def _landing_page(ctx: BenchContext) -> BenchResult:
    """The landing page (national map and alert queue) with 2,300 communities, as a browser first
    downloads it: HTML, scripts, styles, icon. The service does not compress; the gzip size is
    shown for reference. Floor: the same communities' boundaries as plain GeoJSON."""
    with ctx.database("sqlite") as url:
        settings = Settings(
            _env_file=None,
            env="test",
            database_url=url,
            secret_key=SECRET,  # type: ignore[call-arg]
            **BENCH_KEYS,
            embedded_scheduler=False,
            embedded_worker=False,
            base_url="http://testserver",
        )
        engine = build_engine(settings)
        migrate.upgrade(engine)
        with Session(engine) as session:
            load_reference_data(session, settings.fixtures_dir)
            codes = add_national_communities(session, NATIONAL)
            opened = web_sample.utc_now() - timedelta(hours=2)
            for number, code in enumerate(codes[::50]):
                level = ("critical", "high", "warning")[number % 3]
                web_sample.add_alert(session, community=code, level=level, opened_at=opened)
            _row, key = create_key(session, role=Role.analyst, name="bench")
            session.commit()
            boundaries = json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "id": code, "geometry": boundary, "properties": {}}
                        for code, boundary in session.execute(
                            select(Community.code, Community.boundary)
                        )
                    ],
                }
            )
        with TestClient(create_app(settings, engine=engine)) as client:
            _sign_in(client, key)
            client.get("/dashboard")  # warm the template cache
            with timer() as elapsed:
                page = client.get("/dashboard")
            assert "content-encoding" not in page.headers
            assets = _assets_bytes(client, page.text)
        engine.dispose()
    total = len(page.content) + assets
    return BenchResult(
        benchmark=f"landing page (national map and queue), {NATIONAL + 1:,} communities, with its assets",
        engine="sqlite",
        metric="KB",
        value=total / KB,
        floor=len(boundaries.encode()) / KB,
        higher_is_better=False,
        target="< 300 KB (not compressed)",
        passed=total < 300 * KB,
        extra={
            "html_kb": round(len(page.content) / KB, 1),
            "assets_kb": round(assets / KB, 1),
            "html_gzip_kb": round(len(gzip.compress(page.content)) / KB, 1),
            "render_ms": round(elapsed[0] * 1000, 1),
        },
    )


def _sign_in(client: TestClient, key: str) -> None:
    form = client.get("/dashboard/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post(
        "/dashboard/login",
        data={"key": key, "csrf": token},
        headers={"Origin": "http://testserver"},
    )


def run(ctx: BenchContext) -> list[BenchResult]:
    volume = (
        web_sample.Volume(reports=400, hotspots=1_000, deforestation=5_000, indicator_step_hours=24)
        if ctx.quick
        else web_sample.BUSY
    )
    results: list[BenchResult] = []
    with ctx.database("sqlite") as url:
        settings = Settings(
            _env_file=None,
            env="test",
            database_url=url,
            secret_key=SECRET,  # type: ignore[call-arg]
            **BENCH_KEYS,
            embedded_scheduler=False,
            embedded_worker=False,
            base_url="http://testserver",
        )
        engine = build_engine(settings)
        migrate.upgrade(engine)
        with Session(engine) as session:
            load_reference_data(session, settings.fixtures_dir)
            web_sample.populate(session, now=web_sample.utc_now(), volume=volume)
            _row, key = create_key(session, role=Role.analyst, name="bench")
            session.commit()
            floor = _plain_json_bytes(session, 365)
        with TestClient(create_app(settings, engine=engine)) as client:
            form = client.get("/dashboard/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            client.post(
                "/dashboard/login",
                data={"key": key, "csrf": token},
                headers={"Origin": "http://testserver"},
            )
            today = web_sample.utc_now().date()
            path = f"/dashboard/communities/flor-de-ucayali?since={today - timedelta(days=365)}"
            client.get(path)  # warm the template cache
            with timer() as elapsed:
                page = client.get(path)
            html = page.content
            assets = _assets_bytes(client, page.text)
            label = (
                f"community page, a year ({volume.reports} reports, {volume.hotspots} hotspots, "
                f"{volume.deforestation} clearings)"
            )
            results.append(
                BenchResult(
                    benchmark=label,
                    engine="sqlite",
                    metric="KB HTML",
                    value=len(html) / KB,
                    floor=floor / KB,
                    higher_is_better=False,
                    target="< 500 KB",
                    passed=len(html) < 500 * KB,
                    extra={
                        "gzip_kb": round(len(gzip.compress(html)) / KB, 1),
                        "assets_kb": round(assets / KB, 1),
                        "render_ms": round(elapsed[0] * 1000, 1),
                    },
                )
            )
            report = client.get("/report")
            report_assets = _assets_bytes(client, report.text) + len(
                client.get("/report/sw.js").content
            )
            total = len(report.content) + report_assets
            results.append(
                BenchResult(
                    benchmark="report page with its assets and service worker",
                    engine="-",
                    metric="KB",
                    value=total / KB,
                    higher_is_better=False,
                    target="< 150 KB",
                    passed=total < 150 * KB,
                    extra={
                        "html_kb": round(len(report.content) / KB, 1),
                        "assets_kb": round(report_assets / KB, 1),
                    },
                )
            )
            queue = client.get("/dashboard")
            results.append(
                BenchResult(
                    benchmark="alert queue page",
                    engine="sqlite",
                    metric="KB HTML",
                    value=len(queue.content) / KB,
                    higher_is_better=False,
                    extra={"assets_kb": round(_assets_bytes(client, queue.text) / KB, 1)},
                )
            )
        engine.dispose()
    results.append(_landing_page(ctx))
    return results
