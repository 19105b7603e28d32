from __future__ import annotations

import json
import logging

import pytest

from ews.logs import PhoneFilter, configure_logging, log_pseudonym
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


def test_phone_numbers_are_pseudonymized_in_every_log_line() -> None:
    record = logging.LogRecord(
        "alerts.channels.sms", logging.WARNING, __file__, 1, "gateway refused %s: %s", None, None
    )
    record.args = ("+51 961 222 333", "número 961222333 bloqueado; alerta 2026-11-29 id 42")
    PhoneFilter("secret").filter(record)
    message = record.getMessage()
    assert "961" not in message.replace(log_pseudonym("secret", "+51 961 222 333"), "")
    assert log_pseudonym("secret", "+51 961 222 333") in message
    assert "2026-11-29" in message and "id 42" in message  # dates and ids stay readable
