"""Indicators at national scale: 2,500 communities, 5,000,000 feed rows and 200,000 reports
(``--quick``: 250 / 200,000 / 20,000), on SQLite and PostgreSQL.

- full: ``compute_days`` for today in one transaction (read, place every point, eight indicators with
  their baselines, upsert), its time and peak memory;
- floor, same run: the same columns by one plain SELECT per table into pandas, the same points
  through one shapely STRtree query, and one groupby;
- incremental: 1% new rows (received and ingested now, observed over the last days) and the next
  run, which recomputes the days they touch.
Data generation and loading are not measured.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.harness import BENCH_KEYS, BenchContext, BenchResult, PeakMemory, timer
from ews import migrate
from ews.bulk import bulk_insert
from ews.db import build_engine, build_session_factory
from ews.demo import DemoSizes, generate, load_demo
from ews.jobs import run_job
from ews.jobs.frames import _raw, load_communities, read_frame
from ews.models import DeforestationAlert, FireHotspot, Report
from ews.models.base import utcnow
from ews.reference.loader import load_reference_data
from ews.settings import Settings
from indicators.columns import DEFORESTATION_COLUMNS, FIRE_HOTSPOT_COLUMNS, REPORT_COLUMNS
from indicators.days import LIMA
from indicators.windows import local_day_end
from indicators.zones import zone_tree

FULL = DemoSizes(communities=2_500, reports=200_000, hotspots=3_000_000, alerts=2_000_000)
QUICK = DemoSizes(communities=250, reports=20_000, hotspots=120_000, alerts=80_000)
LOOKBACK_DAYS = 456  # what compute_days reads: the longest window and its year of baselines


def _sizes(quick: bool) -> DemoSizes:
    """QUICK, FULL, or FULL's rows per community for ``EWS_BENCH_COMMUNITIES`` communities (a
    measurement between the two)."""
    wanted = os.environ.get("EWS_BENCH_COMMUNITIES")
    if not wanted:
        return QUICK if quick else FULL
    scale = int(wanted) / FULL.communities
    return DemoSizes(
        communities=int(wanted),
        reports=int(FULL.reports * scale),
        hotspots=int(FULL.hotspots * scale),
        alerts=int(FULL.alerts * scale),
    )


def _settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        env="test",
        secret_key="b" * 40,
        **BENCH_KEYS,
    )


def _floor(session: Session, start, end) -> float:
    """The same columns by one plain SELECT per table into pandas (no filters but the time range),
    the same points through one STRtree query, one groupby."""
    communities = load_communities(session)
    conn = session.connection()
    with timer() as t:
        reports = read_frame(
            conn,
            select(*_raw(Report, REPORT_COLUMNS)).where(
                Report.observed_at >= start, Report.observed_at < end
            ),
            REPORT_COLUMNS,
        )
        reports["observed_at"] = pd.to_datetime(reports["observed_at"], utc=True, format="ISO8601")
        hot = read_frame(
            conn,
            select(*_raw(FireHotspot, FIRE_HOTSPOT_COLUMNS)).where(
                FireHotspot.acquired_at >= start, FireHotspot.acquired_at < end
            ),
            FIRE_HOTSPOT_COLUMNS,
        )
        hot["t"] = pd.to_datetime(hot["acquired_at"], utc=True, format="ISO8601")
        alerts = read_frame(
            conn,
            select(*_raw(DeforestationAlert, DEFORESTATION_COLUMNS)).where(
                DeforestationAlert.alert_date >= start.date(),
                DeforestationAlert.alert_date <= end.date(),
            ),
            DEFORESTATION_COLUMNS,
        )
        alerts["t"] = pd.to_datetime(alerts["alert_date"], utc=True, format="ISO8601")
        points = pd.concat(
            [hot[["longitude", "latitude", "t"]], alerts[["longitude", "latitude", "t"]]],
            ignore_index=True,
        )
        tree, codes, zones = zone_tree(communities)
        idx, item = tree.query(
            shapely.points(points["longitude"].to_numpy(float), points["latitude"].to_numpy(float)),
            predicate="intersects",
        )
        placed = pd.DataFrame(
            {
                "community_code": codes[item],
                "zone": zones[item],
                "day": points["t"].dt.tz_convert(None).to_numpy()[idx].astype("datetime64[D]"),
            }
        )
        placed.groupby(["community_code", "zone", "day"]).size()
    return t[0]


def _one_percent(
    anchor, sizes: DemoSizes, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """1% new rows observed over the last five days, from a different seed (new keys)."""
    small = DemoSizes(
        communities=sizes.communities,
        reports=sizes.reports // 100,
        hotspots=sizes.hotspots // 100,
        alerts=sizes.alerts // 100,
    )
    data = generate(anchor, small, seed=seed)
    recent = anchor - timedelta(days=5)
    rng = np.random.default_rng(seed)
    shift = pd.to_timedelta(rng.integers(0, 5, len(data.hotspots)), unit="D")
    hot = data.hotspots.assign(
        acquired_at=pd.Timestamp(recent, tz="UTC") + shift + pd.Timedelta(hours=18)
    )
    hot = hot.assign(
        lat_e4=hot["lat_e4"] + 7, ingested_at=utcnow()
    )  # keys apart from the first load
    alerts = data.alerts.assign(
        alert_date=[recent + timedelta(days=int(d)) for d in rng.integers(0, 5, len(data.alerts))],
        lat_e4=data.alerts["lat_e4"] + 7,
        ingested_at=utcnow(),
    ).drop_duplicates(["dataset", "alert_date", "lat_e4", "lon_e4"])
    reports = data.reports[data.reports["community_code"] != "flor-de-ucayali"]
    reports = reports.assign(
        id=[str(uuid.uuid4()) for _ in range(len(reports))],
        source_ref=[f"bench:{i}" for i in range(len(reports))],
        observed_at=pd.Timestamp(recent, tz="UTC")
        + pd.to_timedelta(rng.integers(0, 5 * 24, len(reports)), unit="h"),
        received_at=utcnow(),
    )
    return reports, hot, alerts


def _load(url: str, sizes: DemoSizes, anchor, now) -> None:
    """Generate and load the synthetic data (run in a child process; not measured)."""
    settings = _settings(url)
    engine = build_engine(settings)
    with build_session_factory(engine)() as session:
        load_reference_data(session, settings.fixtures_dir)
        load_demo(session, generate(anchor, sizes), now=now - timedelta(hours=1))
        session.commit()
    # What the server does after a bulk load before the next day's run: PostgreSQL's autovacuum
    # (inserts past its threshold) sets the rows' visibility, so a run reads from the indexes alone
    # and does not write hint bits on five million rows the first time it reads them.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def run(ctx: BenchContext) -> list[BenchResult]:
    """Each engine in a process of its own: what one engine's run leaves in this process's memory
    (pandas does not give it back to the system) must not count in the next one's peak."""
    results: list[BenchResult] = []
    for engine_name in ctx.engines():
        with ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            results += pool.submit(_run_engine, ctx, engine_name).result()
    return results


def _run_engine(ctx: BenchContext, engine_name: str) -> list[BenchResult]:
    sizes = _sizes(ctx.quick)
    feed_rows = sizes.hotspots + sizes.alerts
    label = f"indicators {sizes.communities:,} communities, {feed_rows:,} feed rows, {sizes.reports:,} reports"
    results: list[BenchResult] = []
    with ctx.database(engine_name) as url:
        settings = _settings(url)
        engine = build_engine(settings)
        migrate.upgrade(engine)
        factory = build_session_factory(engine)
        now = utcnow()
        anchor = now.astimezone(LIMA).date() - timedelta(days=1)
        # Generate and load in a child process, so this one starts the measured run clean.
        child = multiprocessing.get_context("spawn").Process(
            target=_load, args=(url, sizes, anchor, now)
        )
        child.start()
        child.join()
        assert child.exitcode == 0, "data generation failed"
        gc.collect()
        # Full run (through the job runner: claim, compute, upsert, commit).
        with PeakMemory() as peak, timer() as full:
            outcome = run_job(
                "compute-indicators", settings=settings, session_factory=factory, tick=now
            )
        assert outcome.status == "succeeded", outcome.error
        gc.collect()
        end = local_day_end(now)
        with factory() as session:
            floor = _floor(session, end - timedelta(days=LOOKBACK_DAYS), end)
        # Incremental: 1% new rows, then the next run.
        reports, hot, alerts = _one_percent(anchor, sizes, seed=99)
        with engine.begin() as conn:
            bulk_insert(conn, Report, reports)
            bulk_insert(conn, FireHotspot, hot)
            bulk_insert(conn, DeforestationAlert, alerts)
        gc.collect()
        later = utcnow()
        with timer() as incremental:
            again = run_job(
                "compute-indicators",
                settings=settings,
                session_factory=factory,
                tick=later,
                as_of=now,
            )
        assert again.status == "succeeded", again.error
        # The peak resident size of this process so far (the data was loaded by a child):
        # the sampled peak's cross-check.
        maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{engine_name}: shards of {settings.shard_size}, full {full[0]:.2f}s "
            f"(peak {peak.peak_mb:.0f} MB, ru_maxrss {maxrss_mb:.0f} MB), floor {floor:.2f}s, "
            f"incremental {incremental[0]:.2f}s; {outcome.summary}; {again.summary}"
        )
        engine.dispose()
    results += [
        BenchResult(
            benchmark=f"{label}: full run",
            engine=engine_name,
            metric="s",
            value=full[0],
            floor=floor,
            higher_is_better=False,
            target="<= 1.5x floor",
            passed=full[0] <= 1.5 * floor,
            extra={"rows_written": float(outcome.summary["inserted"])},
        ),
        BenchResult(
            benchmark=f"{label}: full run peak memory",
            engine=engine_name,
            metric="MB",
            value=peak.peak_mb,
            higher_is_better=False,
            target="< 1536 MB",
            passed=peak.peak_mb < 1536,
            extra={"rss_before_run_mb": peak.start_mb, "shard_size": settings.shard_size},
        ),
        BenchResult(
            benchmark=f"{label}: incremental run after 1% new rows",
            engine=engine_name,
            metric="s",
            value=incremental[0],
            floor=full[0],
            higher_is_better=False,
            target="<= 5% of the full run",
            passed=incremental[0] <= 0.05 * full[0],
            extra={"late_days": float(len(again.summary["late_days"]))},
        ),
    ]
    return results
