"""Fixtures of the API tests (the shared ones are in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ews.alerting.evaluation import evaluate
from ews.api.app import create_app
from ews.models import Alert
from ews.settings import Settings
from tests.support.alert_api import NOW, H
from tests.support.alerts import add_value, alerts_by_category
from tests.support.delivery import SmtpServer
from tests.support.patrol_reports import COMMUNITY


@pytest.fixture
def monitor(make_key: Any) -> str:
    """A monitor's key for the patrol reports' community."""
    return str(make_key("monitor", community=COMMUNITY))


@pytest.fixture
def alerts(db: Session, settings: Settings) -> dict[str, Alert]:
    """A defender alert (MINJUS, DP), a fire alert (MINAM) and a coca alert (DEVIDA)."""
    add_value(db, "defender_threats", "high", NOW - 2 * H, value=1)
    add_value(db, "fire_hotspots", "warning", NOW - 2 * H, value=4)
    add_value(db, "illicit_crop_reports", "warning", NOW - 2 * H, value=1)
    evaluate(db, settings=settings, now=NOW - H)
    db.commit()
    return alerts_by_category(db)


@pytest.fixture
def feed(make_key: Any) -> str:
    """A feed's key, as the Kobo server and the SMS gateway use."""
    return str(make_key("feed"))


@pytest.fixture
def mail_client(
    settings: Settings,
    migrated_engine: Engine,
    session_factory: sessionmaker[Session],
    smtp: SmtpServer,
) -> Iterator[TestClient]:
    """The API with default settings but for where the mail goes: the SMTP server on loopback."""
    app = create_app(
        settings.model_copy(update={"smtp_port": smtp.port}),
        engine=migrated_engine,
        session_factory=session_factory,
    )
    with TestClient(app) as client:
        yield client
