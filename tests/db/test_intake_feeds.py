"""FIRMS and GFW feed files: every header variant, natural keys, quarantine, chunks, the API."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ews.intake.feeds import FeedError, FeedSource, ingest_feed
from ews.models import (
    DeforestationAlert,
    FireHotspot,
    IngestBatch,
    PendingWork,
    QuarantineRow,
)
from tests.support.web import auth

VIIRS = (
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_ti5,frp,daynight"
)
VIIRS_ROWS = [
    "-8.31234,-74.10101,331.5,0.39,0.36,2026-11-20,0533,N,VIIRS,n,2.0NRT,291.2,4.8,N",
    "-8.30000,-74.05000,340.1,0.40,0.37,2026-11-20,1742,N20,VIIRS,h,2.0NRT,295.0,12.1,D",
    "-8.29000,-74.02000,300.0,0.40,0.37,2026-11-21,33,N,VIIRS,l,2.0NRT,280.0,1.0,N",
]
MODIS = (
    "latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,"
    "version,bright_t31,frp,daynight"
)
MODIS_ROWS = [
    "-8.3,-74.1,320.4,1.0,1.0,2026-11-20,1510,Terra,MODIS,85,6.1NRT,298.1,20.5,D",
    "-8.2,-74.0,310.0,1.0,1.0,2026-11-20,305,Aqua,MODIS,25,6.1NRT,290.0,5.0,N",
]


def _drop(line: str, position: int) -> str:
    parts = line.split(",")
    del parts[position]
    return ",".join(parts)


def _words(row: str) -> str:
    return row.replace(",n,", ",nominal,").replace(",h,", ",high,").replace(",l,", ",low,")


FIRMS_VARIANTS: dict[str, tuple[str, list[str]]] = {
    "viirs": (VIIRS, VIIRS_ROWS),
    "viirs-no-instrument": (_drop(VIIRS, 8), [_drop(row, 8) for row in VIIRS_ROWS]),
    "viirs-words": (VIIRS, [_words(row) for row in VIIRS_ROWS]),
    "viirs-country-id": ("country_id," + VIIRS, ["PER," + row for row in VIIRS_ROWS]),
    "viirs-archive-type": (VIIRS + ",type", [row + ",0" for row in VIIRS_ROWS]),
    "modis": (MODIS, MODIS_ROWS),
}


def csv_bytes(header: str, rows: list[str], *, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join([header, *rows]) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def ingest(db: Session, source: str, data: bytes, **kwargs: Any) -> dict[str, Any]:
    summary = ingest_feed(
        session=db, source=FeedSource(source), stream=io.BytesIO(data), origin="test", **kwargs
    )
    return summary.as_dict()


@pytest.mark.parametrize("variant", list(FIRMS_VARIANTS))
def test_firms_variants_load_the_same_hotspots(db: Session, variant: str) -> None:
    header, rows = FIRMS_VARIANTS[variant]
    result = ingest(db, "firms", csv_bytes(header, rows))
    assert (result["rows"], result["inserted"], result["rejected"]) == (len(rows), len(rows), [])
    hotspots = db.execute(select(FireHotspot).order_by(FireHotspot.acquired_at)).scalars().all()
    if variant == "modis":
        assert [
            (h.acquired_at, h.confidence, h.confidence_pct, h.instrument) for h in hotspots
        ] == [
            (datetime(2026, 11, 20, 3, 5, tzinfo=UTC), "low", 25, "MODIS"),
            (datetime(2026, 11, 20, 15, 10, tzinfo=UTC), "high", 85, "MODIS"),
        ]
        return
    assert [(h.acquired_at, h.confidence, h.satellite) for h in hotspots] == [
        (datetime(2026, 11, 20, 5, 33, tzinfo=UTC), "nominal", "N"),
        (datetime(2026, 11, 20, 17, 42, tzinfo=UTC), "high", "N20"),
        (datetime(2026, 11, 21, 0, 33, tzinfo=UTC), "low", "N"),  # acq_time "33" is 00:33
    ]
    first = hotspots[0]
    assert (first.instrument, first.lat_e4, first.lon_e4, first.frp, first.daynight) == (
        "VIIRS",
        -83123,
        -741010,
        4.8,
        "N",
    )
    assert first.brightness == 331.5
    assert first.version == "2.0NRT"


def test_bom_crlf_and_latin1_load(db: Session) -> None:
    crlf = ingest(db, "firms", csv_bytes(VIIRS, VIIRS_ROWS[:1], newline="\r\n", bom=True))
    assert (crlf["inserted"], crlf["rejected"]) == (1, [])
    latin1 = (VIIRS + ",note\n" + VIIRS_ROWS[1] + ",quemado en Ucayali señal\n").encode("latin-1")
    assert b"\xf1" in latin1
    assert ingest(db, "firms", latin1)["inserted"] == 1


def test_reload_inserts_nothing_and_counts_duplicates(db: Session) -> None:
    data = csv_bytes(VIIRS, [*VIIRS_ROWS, VIIRS_ROWS[0]])
    first = ingest(db, "firms", data)
    assert (first["rows"], first["inserted"], first["duplicates"]) == (4, 3, 1)
    second = ingest(db, "firms", data)
    assert (second["rows"], second["inserted"], second["duplicates"]) == (4, 0, 4)
    # The same detection spelt another way (words, no instrument, country id) is the same row.
    header, rows = FIRMS_VARIANTS["viirs-country-id"]
    assert ingest(db, "firms", csv_bytes(header, rows))["inserted"] == 0
    assert len(db.execute(select(FireHotspot)).scalars().all()) == 3
    batches = db.execute(select(IngestBatch).order_by(IngestBatch.started_at)).scalars().all()
    assert [(b.rows, b.inserted, b.duplicates, b.layout) for b in batches][-2:] == [
        (4, 0, 4, "viirs"),
        (3, 0, 3, "viirs"),
    ]


def _pending_days(db: Session) -> set[date]:
    days = db.execute(select(PendingWork.day).where(PendingWork.source == "fire_hotspot"))
    return {date(1970, 1, 1) + timedelta(days=day) for day in days.scalars()}


def test_chunks_new_then_known_then_new_mark_every_new_day_pending(db: Session) -> None:
    """New rows, then a chunk holding a row already stored, then new rows again: every new row is
    stored, counted and its local day (Lima) left for the next computation."""
    first = ingest(db, "firms", csv_bytes(VIIRS, VIIRS_ROWS[:1]))
    assert first["inserted"] == 1
    db.execute(delete(PendingWork))
    later = "-8.28000,-74.03000,310.0,0.40,0.37,2026-11-25,1200,N,VIIRS,n,2.0NRT,280.0,1.0,D"
    rows = [VIIRS_ROWS[1], VIIRS_ROWS[0], VIIRS_ROWS[2], later]
    result = ingest(db, "firms", csv_bytes(VIIRS, rows), chunk_rows=1)
    assert (result["rows"], result["inserted"], result["duplicates"]) == (4, 3, 1)
    assert len(db.execute(select(FireHotspot)).scalars().all()) == 4
    # 17:42 UTC on the 20th and 00:33 UTC on the 21st are both the 20th in Lima; noon on the 25th.
    assert _pending_days(db) == {date(2026, 11, 20), date(2026, 11, 25)}


def _triggers(db: Session) -> list[tuple[str, str]]:
    """SQLite's triggers on the feed tables, with their text (PostgreSQL's are not touched)."""
    if db.get_bind().dialect.name != "sqlite":
        return []
    statement = text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name IN ('fire_hotspot', 'deforestation_alert') ORDER BY name"
    )
    return [(str(name), str(sql)) for name, sql in db.execute(statement)]


@pytest.fixture
def triggers(db: Session) -> list[tuple[str, str]]:
    return _triggers(db)


def _pending(db: Session) -> set[tuple[date, str]]:
    rows = db.execute(select(PendingWork.day, PendingWork.source))
    return {(date(1970, 1, 1) + timedelta(days=day), source) for day, source in rows}


# Lima's midnight is 05:00 UTC: 04:59 on the 20th is still the 19th in Lima, 05:00 is the 20th.
LIMA_MIDNIGHT_ROWS = [
    "-8.31000,-74.10000,330.0,0.40,0.37,2026-11-20,459,N,VIIRS,n,2.0NRT,290.0,1.0,N",
    "-8.31000,-74.10000,330.0,0.40,0.37,2026-11-20,0500,N,VIIRS,n,2.0NRT,290.0,1.0,N",
    "-8.32000,-74.11000,330.0,0.40,0.37,2026-11-22,2359,N20,VIIRS,h,2.0NRT,290.0,1.0,N",
    "-8.33000,-74.12000,330.0,0.40,0.37,2026-11-23,0001,N,VIIRS,l,2.0NRT,290.0,1.0,N",
]
GFW_DAYS = (
    "latitude,longitude,wur_radd_alerts__date,wur_radd_alerts__confidence\n"
    "-8.3101,-74.1202,2026-11-17,high\n-8.3102,-74.1203,2026-11-20,high\n"
)


def test_a_load_leaves_the_lima_days_of_its_rows_pending_once(
    db: Session, triggers: list[tuple[str, str]]
) -> None:
    """What the computation will recount after a FIRMS and a GFW file: each new row's local day
    (Lima), whatever the chunking."""
    db.execute(delete(PendingWork))
    result = ingest(db, "firms", csv_bytes(VIIRS, LIMA_MIDNIGHT_ROWS), chunk_rows=3)
    assert result["inserted"] == 4
    assert _pending(db) == {
        (date(2026, 11, 19), "fire_hotspot"),
        (date(2026, 11, 20), "fire_hotspot"),
        (date(2026, 11, 22), "fire_hotspot"),  # 23:59 and 00:01 UTC: the same evening in Lima
    }
    assert ingest(db, "gfw", GFW_DAYS.encode())["inserted"] == 2
    # An alert's date is its local day.
    pending = _pending(db)
    assert (date(2026, 11, 17), "deforestation_alert") in pending
    assert {day for day, _source in pending} == {
        date(2026, 11, 17),
        date(2026, 11, 19),
        date(2026, 11, 20),
        date(2026, 11, 22),
    }
    if db.get_bind().dialect.name == "sqlite":  # SQLite's triggers skip a day already pending
        assert db.execute(select(func.count()).select_from(PendingWork)).scalar() == 4
    assert _triggers(db) == triggers  # the load put back what it set aside, as it was


def test_a_resent_file_leaves_no_day_pending(db: Session) -> None:
    data = csv_bytes(VIIRS, LIMA_MIDNIGHT_ROWS)
    assert ingest(db, "firms", data)["inserted"] == 4
    assert ingest(db, "gfw", GFW_DAYS.encode())["inserted"] == 2
    db.execute(delete(PendingWork))
    assert ingest(db, "firms", data, chunk_rows=2)["duplicates"] == 4
    assert ingest(db, "gfw", GFW_DAYS.encode())["duplicates"] == 2
    assert _pending(db) == set()


def test_a_hotspot_stored_outside_a_load_still_leaves_its_day_pending(db: Session) -> None:
    """A row written by other code (the ORM, a script) is marked by the database trigger."""
    db.execute(delete(PendingWork))
    db.add(
        FireHotspot(
            instrument="VIIRS",
            satellite="N",
            acquired_at=datetime(2026, 11, 20, 4, 59, tzinfo=UTC),
            latitude=-8.31,
            longitude=-74.08,
            lat_e4=-83100,
            lon_e4=-740800,
            confidence="high",
        )
    )
    db.flush()
    assert _pending(db) == {(date(2026, 11, 19), "fire_hotspot")}


def test_a_load_that_fails_half_way_leaves_nothing_once_rolled_back(
    db: Session, triggers: list[tuple[str, str]]
) -> None:
    before = _pending(db)
    chunks: list[int] = []

    def disk_full() -> None:  # the progress callback after each written chunk
        chunks.append(1)
        if len(chunks) == 2:
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space"):
        ingest(db, "firms", csv_bytes(VIIRS, LIMA_MIDNIGHT_ROWS), chunk_rows=1, progress=disk_full)
    assert len(db.execute(select(FireHotspot)).all()) == 2  # written before the failure
    assert _triggers(db) == triggers  # put back even so
    db.rollback()
    assert db.execute(select(FireHotspot)).first() is None
    assert _pending(db) == before


BAD_ROWS = [
    ("x,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N", "latitude"),
    ("-95,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N", "fuera de rango"),
    ("-8.3,-74.1,330,0.4,0.4,20/11/2026,0533,N,VIIRS,n,2,290,1,N", "acq_date"),
    ("-8.3,-74.1,330,0.4,0.4,2026-02-30,0533,N,VIIRS,n,2,290,1,N", "acq_date"),
    ("-8.3,-74.1,330,0.4,0.4,2026-11-20,2533,N,VIIRS,n,2,290,1,N", "acq_time"),
    ("-8.3,-74.1,330,0.4,0.4,2026-11-20,12:33,N,VIIRS,n,2,290,1,N", "acq_time"),
    ("-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,z,2,290,1,N", "confidence"),
    ("-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N", "columnas"),
    ("-8.3,-74.1,abc,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,N", "brightness"),
    ("-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,,VIIRS,n,2,290,1,N", "satellite"),
    ("-8.3,-74.1,330,0.4,0.4,2026-11-20,0533,N,VIIRS,n,2,290,1,X", "daynight"),
]


def test_bad_rows_are_quarantined_and_good_rows_load(db: Session) -> None:
    rows = [VIIRS_ROWS[0], *[row for row, _ in BAD_ROWS], "", VIIRS_ROWS[1]]
    result = ingest(db, "firms", csv_bytes(VIIRS, rows, newline="\r\n"), chunk_rows=4)
    assert (result["rows"], result["inserted"], result["duplicates"]) == (13, 2, 0)
    assert [item["row"] for item in result["rejected"]] == list(range(3, 3 + len(BAD_ROWS)))
    for item, (_row, words) in zip(result["rejected"], BAD_ROWS, strict=True):
        assert words in item["error"], item
    quarantined = (
        db.execute(
            select(QuarantineRow)
            .where(QuarantineRow.batch_id == result["batch_id"])
            .order_by(QuarantineRow.row_number)
        )
        .scalars()
        .all()
    )
    assert [(q.row_number, q.raw) for q in quarantined] == [
        (3 + i, row) for i, (row, _) in enumerate(BAD_ROWS)
    ]
    assert all(q.source == "firms" and q.error for q in quarantined)
    batch = db.get(IngestBatch, result["batch_id"])
    assert batch is not None
    assert batch.rejected == len(BAD_ROWS)
    assert batch.finished_at is not None


GFW_CASES = [
    ("gfw_integrated_alerts", "highest", 0.01),
    ("umd_glad_landsat_alerts", "high", 0.09),
    ("umd_glad_sentinel2_alerts", "nominal", 0.01),
    ("wur_radd_alerts", "high", 0.01),
]


@pytest.mark.parametrize(("dataset", "confidence", "pixel_ha"), GFW_CASES)
def test_gfw_datasets_with_and_without_area(
    db: Session, dataset: str, confidence: str, pixel_ha: float
) -> None:
    plain = f"latitude,longitude,{dataset}__date,{dataset}__confidence\n"
    plain += f"-8.3101,-74.1202,2026-11-18,{confidence}\n-8.3102,-74.1203,2026-11-19,{confidence}\n"
    result = ingest(db, "gfw", plain.encode())
    assert (result["inserted"], result["layout"]) == (2, dataset)
    with_area = f"latitude,longitude,{dataset}__date,{dataset}__confidence,alert_area__ha\n"
    with_area += f"-8.3201,-74.1202,2026-11-18,{confidence},0.35\n"
    with_area += f"-8.3101,-74.1202,2026-11-18,{confidence},0.35\n"  # known: same key
    again = ingest(db, "gfw", with_area.encode())
    assert (again["inserted"], again["duplicates"]) == (1, 1)
    alerts = (
        db.execute(
            select(DeforestationAlert).order_by(
                DeforestationAlert.lat_e4, DeforestationAlert.alert_date
            )
        )
        .scalars()
        .all()
    )
    assert [(a.alert_date, a.area_ha, a.confidence, a.dataset) for a in alerts] == [
        (date(2026, 11, 18), 0.35, confidence, dataset),  # lat -8.3201
        (date(2026, 11, 19), pixel_ha, confidence, dataset),  # lat -8.3102
        (date(2026, 11, 18), pixel_ha, confidence, dataset),  # lat -8.3101
    ]


def test_gfw_bad_rows(db: Session) -> None:
    data = (
        "latitude,longitude,gfw_integrated_alerts__date,gfw_integrated_alerts__confidence\n"
        "-8.3,-74.1,2026-11-18,highest\n"
        "-8.3,-74.1,18-11-2026,highest\n"
        "-8.3,-74.1,2026-11-19,maybe\n"
        "-8.3,,2026-11-19,high\n"
    )
    result = ingest(db, "gfw", data.encode())
    assert result["inserted"] == 1
    assert [(item["row"], item["error"].split(" ")[0]) for item in result["rejected"]] == [
        (3, "gfw_integrated_alerts__date"),
        (4, "confidence"),
        (5, "longitude"),
    ]


def test_whole_file_errors_raise_before_writing(db: Session) -> None:
    with pytest.raises(FeedError) as caught:
        ingest(db, "gfw", csv_bytes(VIIRS, VIIRS_ROWS))
    assert caught.value.status_code == 422
    assert db.execute(select(IngestBatch)).first() is None


# ---- the API ---------------------------------------------------------------------------------


@pytest.fixture
def feed(make_key: Any) -> str:
    return str(make_key("feed"))


def test_feed_api_csv_body_and_multipart(client: TestClient, feed: str) -> None:
    data = csv_bytes(VIIRS, VIIRS_ROWS)
    body = client.post(
        "/api/v1/feeds/firms", content=data, headers={**auth(feed), "Content-Type": "text/csv"}
    )
    assert body.status_code == 200, body.text
    answer = body.json()
    assert {key: answer[key] for key in ("rows", "inserted", "duplicates", "rejected")} == {
        "rows": 3,
        "inserted": 3,
        "duplicates": 0,
        "rejected": [],
    }
    upload = client.post(
        "/api/v1/feeds/firms", files={"file": ("viirs.csv", data, "text/csv")}, headers=auth(feed)
    )
    assert upload.status_code == 200
    assert (upload.json()["inserted"], upload.json()["duplicates"]) == (0, 3)
    gfw = "latitude,longitude,wur_radd_alerts__date,wur_radd_alerts__confidence\n-8.3,-74.1,2026-11-18,high\n"
    response = client.post("/api/v1/feeds/gfw", content=gfw.encode(), headers=auth(feed))
    assert response.json()["inserted"] == 1


def test_a_file_sent_to_the_api_leaves_its_days_pending(
    client: TestClient, feed: str, db: Session, triggers: list[tuple[str, str]]
) -> None:
    response = client.post(
        "/api/v1/feeds/firms", content=csv_bytes(VIIRS, LIMA_MIDNIGHT_ROWS), headers=auth(feed)
    )
    assert response.json()["inserted"] == 4
    assert {(date(2026, 11, 19), "fire_hotspot"), (date(2026, 11, 22), "fire_hotspot")} <= _pending(
        db
    )
    assert _triggers(db) == triggers


def test_feed_api_roles(client: TestClient, make_key: Any) -> None:
    data = csv_bytes(VIIRS, VIIRS_ROWS)
    assert client.post("/api/v1/feeds/firms", content=data).status_code == 401
    analyst = make_key("analyst")
    assert (
        client.post("/api/v1/feeds/firms", content=data, headers=auth(analyst)).status_code == 403
    )
    admin = make_key("admin")
    assert client.post("/api/v1/feeds/firms", content=data, headers=auth(admin)).status_code == 200


def test_a_failed_file_leaves_nothing_behind(client: TestClient, feed: str, db: Session) -> None:
    response = client.post(
        "/api/v1/feeds/gfw", content=csv_bytes(VIIRS, VIIRS_ROWS), headers=auth(feed)
    )
    assert response.status_code == 422
    assert db.execute(select(IngestBatch)).first() is None
