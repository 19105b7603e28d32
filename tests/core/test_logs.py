from __future__ import annotations

import json
import logging

import pytest

from ews.logs import configure_logging
from tests.support.settings import make_settings


def test_production_logs_are_one_json_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(make_settings("sqlite://", env="production"))
        logging.getLogger("ews.test").warning("entrega fallida %s", "MINJUS")
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        entry = json.loads(lines[-1])
        assert entry["level"] == "WARNING"
        assert entry["logger"] == "ews.test"
        assert entry["message"] == "entrega fallida MINJUS"
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_development_logs_are_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(make_settings("sqlite://", env="development"))
        logging.getLogger("ews.test").warning("hola")
        last = capsys.readouterr().err.strip().splitlines()[-1]
        assert last.endswith("WARNING ews.test: hola")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
