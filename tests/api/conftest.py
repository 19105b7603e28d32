"""Fixtures of the API tests (the shared ones are in ``tests/conftest.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.patrol_reports import COMMUNITY


@pytest.fixture
def monitor(make_key: Any) -> str:
    """A monitor's key for the patrol reports' community."""
    return str(make_key("monitor", community=COMMUNITY))
