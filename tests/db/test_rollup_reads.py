"""Stored rollups read back exactly as written, on both engines (PostgreSQL reads them through one
``COPY .. TO STDOUT`` stream, SQLite through the driver's cursor in chunks): codes that look like
CSV's NULL, a comma or quotes stay strings, floats keep every digit, and the filters by day and
community hold."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

import ews.bulk
from ews.jobs.indicator_store import ROLLUP_DTYPES, load_rollups, replace_rollups
from ews.models import Community
from indicators.columns import ROLLUP_COLUMNS

AWKWARD = ["NA", 'quote"d', "comma,code", "  spaced  ", "ñandú"]


def _communities(db: Session) -> None:
    model = db.execute(select(Community).order_by(Community.code).limit(1)).scalar_one()
    template = {c.key: getattr(model, c.key) for c in Community.__table__.columns}
    db.execute(insert(Community), [{**template, "code": code} for code in AWKWARD])


@pytest.mark.parametrize("chunk", [100_000, 4], ids=["one-chunk", "chunks-of-4"])
def test_rollups_read_back_as_written_with_awkward_codes(
    db: Session, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ews.bulk, "READ_CHUNK", chunk)
    assert list(ROLLUP_DTYPES) == ROLLUP_COLUMNS
    _communities(db)
    written = pd.DataFrame(
        [
            {
                "code": "fire_hotspots",
                "community_code": code,
                "day": 20_000 + day,
                "core_value": 0.1 + day / 3,
                "buffer_value": 1e-9 * (i + 1),
                "inputs": day + i,
                "severe": i % 2,
            }
            for i, code in enumerate(AWKWARD)
            for day in range(3)
        ]
    )
    replace_rollups(db, written, communities=AWKWARD)
    every = load_rollups(db, communities=AWKWARD)
    key = ["community_code", "day"]
    pd.testing.assert_frame_equal(
        every.sort_values(key).reset_index(drop=True)[ROLLUP_COLUMNS],
        written.sort_values(key).reset_index(drop=True)[ROLLUP_COLUMNS],
        check_exact=True,
    )
    assert set(load_rollups(db, first_day=20_002, communities=AWKWARD)["day"]) == {20_002}
    some = load_rollups(db, days=[20_000], communities=["NA", "comma,code"])
    assert sorted(some["community_code"]) == ["NA", "comma,code"]
    none = load_rollups(db, days=[19_000], communities=AWKWARD)
    assert none.empty
    assert none.dtypes.astype(str).to_dict() == every.dtypes.astype(str).to_dict()
