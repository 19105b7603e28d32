"""Load the demo data idempotently: only rows whose key is not stored yet, and never in or near a
real community."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.bulk import bulk_insert
from ews.checks.opening import open_checks
from ews.contacts.service import phone_pseudonym
from ews.demo.dataset import DemoData
from ews.demo.patrols import demo_patrols
from ews.models import (
    CheckSource,
    Community,
    CommunityContact,
    CommunityContactRole,
    DeforestationAlert,
    FireHotspot,
    Patrol,
    Report,
)
from ews.reference.loader import community_values

DEMO_CHECK_DAYS = 30


def existing_anchor(session: Session) -> date | None:
    """The anchor day of the demo already loaded, read back from its reports' ``source_ref``."""
    ref = session.execute(
        select(Report.source_ref)
        .where(Report.source == "demo", Report.synthetic.is_(True))
        .limit(1)
    ).scalar_one_or_none()
    if not ref:
        return None
    return date.fromisoformat(ref.split(":")[1])


def real_community_boxes(session: Session) -> np.ndarray:
    """(min_lon, min_lat, max_lon, max_lat) of every real (not synthetic) community, its approach
    zone included: the places demo data must never touch."""
    rows = session.execute(
        select(Community.min_lon, Community.min_lat, Community.max_lon, Community.max_lat).where(
            Community.synthetic.is_(False)
        )
    ).all()
    return np.array(rows, dtype=float).reshape(-1, 4)


def away_from(frame: pd.DataFrame, boxes: np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` (``longitude``, ``latitude``) outside every box."""
    lon = frame["longitude"].to_numpy(dtype=float)[:, None]
    lat = frame["latitude"].to_numpy(dtype=float)[:, None]
    inside = (
        (lon >= boxes[:, 0]) & (lon <= boxes[:, 2]) & (lat >= boxes[:, 1]) & (lat <= boxes[:, 3])
    )
    keep: np.ndarray = ~np.any(inside, axis=1)
    return frame.loc[keep]


def load_demo(session: Session, data: DemoData, *, now: datetime) -> dict[str, int]:
    """Store what is not stored yet (a report is not received after ``now``); answers how many rows
    of each kind were added.

    Demo data stays in the synthetic communities: reports of any other community, and satellite
    points inside a real community's territory or approach zone, are left out."""
    added = {
        "communities": 0,
        "reports": 0,
        "fire_hotspots": 0,
        "deforestation_alerts": 0,
        "patrols": 0,
    }
    known = set(session.execute(select(Community.code)).scalars())
    for entry in data.communities:
        if entry["code"] not in known and entry.get("synthetic"):
            session.add(Community(code=entry["code"], **community_values(entry)))
            added["communities"] += 1
    session.flush()
    connection = session.connection()
    synthetic = set(
        session.execute(select(Community.code).where(Community.synthetic.is_(True))).scalars()
    )
    real_boxes = real_community_boxes(session)
    report_ids = set(session.execute(select(Report.id).where(Report.source == "demo")).scalars())
    reports = data.reports[
        ~data.reports["id"].isin(report_ids) & data.reports["community_code"].isin(synthetic)
    ].copy()
    reports["received_at"] = reports["received_at"].where(
        reports["received_at"] <= pd.Timestamp(now), pd.Timestamp(now)
    )
    added["reports"] = bulk_insert(connection, Report, reports)
    hotspots = _new_rows(
        session,
        away_from(data.hotspots, real_boxes),
        FireHotspot,
        ("satellite", "instrument", "acquired_at", "lat_e4", "lon_e4"),
    )
    added["fire_hotspots"] = bulk_insert(connection, FireHotspot, hotspots.assign(ingested_at=now))
    alerts = _new_rows(
        session,
        away_from(data.alerts, real_boxes),
        DeforestationAlert,
        ("dataset", "alert_date", "lat_e4", "lon_e4"),
    )
    added["deforestation_alerts"] = bulk_insert(
        connection, DeforestationAlert, alerts.assign(ingested_at=now)
    )
    # The last weeks' satellite points are field checks, as if their files had just come in.
    since = now - timedelta(days=DEMO_CHECK_DAYS)
    added["field_checks"] = sum(
        open_checks(session, source=source, since=since) for source in CheckSource
    )
    stored_patrols = set(session.execute(select(Patrol.id).where(Patrol.synthetic)).scalars())
    for row in demo_patrols(data.communities, data.anchor):
        if row["id"] not in stored_patrols and row["community_code"] in synthetic:
            session.add(Patrol(**row, received_at=min(row["ended_at"], now)))
            added["patrols"] += 1
    session.flush()
    return added


# Demo leaders' phones: a fictitious block; an exercise community is never texted anyway
# (alerts.exercise), so these numbers only show how a leader is registered.
DEMO_PHONE_PREFIX = "+5190000"


def demo_leaders(session: Session, *, secret_key: str) -> int:
    """One leader per synthetic community that has no community contact yet (idempotent), so the
    demo's alerts show what their community was told. Answers how many were added."""
    with_contacts = set(session.execute(select(CommunityContact.community_code)).scalars())
    codes = session.execute(
        select(Community.code).where(Community.synthetic.is_(True)).order_by(Community.code)
    ).scalars()
    added = 0
    for index, code in enumerate(codes):
        if code in with_contacts:
            continue
        phone = f"{DEMO_PHONE_PREFIX}{index:04d}"
        session.add(
            CommunityContact(
                code=f"{code}-lider"[:80],
                community_code=code,
                role=CommunityContactRole.leader,
                name="Líder comunal (demo)",
                phone=phone,
                phone_pseudonym=phone_pseudonym(secret_key, phone),
                language="es",
                active=True,
            )
        )
        added += 1
    session.flush()
    return added


def _new_rows(
    session: Session, frame: pd.DataFrame, model: Any, key: tuple[str, ...]
) -> pd.DataFrame:
    """The rows of ``frame`` whose natural key is not stored among the synthetic rows."""
    stored = session.execute(
        select(*(getattr(model, k) for k in key)).where(model.synthetic.is_(True))
    ).all()
    if not stored:
        return frame
    stored_frame = pd.DataFrame(stored, columns=list(key))
    for column in key:
        if column == "acquired_at":
            stored_frame[column] = pd.to_datetime(stored_frame[column], utc=True)
        elif column == "alert_date":
            stored_frame[column] = pd.to_datetime(stored_frame[column]).dt.date
    marked = frame.merge(stored_frame.assign(_stored=True), on=list(key), how="left")
    return frame[marked["_stored"].isna().to_numpy()]
