"""Contact addresses encrypted at rest with a key kept outside the database (Fernet), its rotation,
and the settings that refuse to run without it outside development."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ews.cli import app as cli
from ews.crypto import EncryptionKeyError, development_key
from ews.db import build_engine, build_session_factory
from ews.models import CommunityContact, Contact
from ews.settings import Settings
from tests.support.settings import TEST_CAP_SENDER, TEST_ENCRYPTION_KEY, TEST_SECRET, make_settings


def stored_addresses(session: Session) -> dict[str, str]:
    """What the database itself holds, read past the model's decryption."""
    rows = session.execute(text("SELECT code, address FROM contact")).all()
    return {code: address for code, address in rows}


def test_addresses_are_fernet_tokens_at_rest_and_clear_through_the_model(db: Session) -> None:
    clear = {c.code: c.address for c in db.scalars(select(Contact))}
    assert any("@" in address for address in clear.values())  # e-mail contacts exist
    raw = stored_addresses(db)
    assert raw.keys() == clear.keys()
    fernet = Fernet(TEST_ENCRYPTION_KEY)
    for code, token in raw.items():
        assert "@" not in token
        assert "example.org" not in token
        assert "http" not in token
        assert fernet.decrypt(token.encode()).decode() == clear[code]
    assert len(set(raw.values())) == len(raw)  # not a deterministic encoding of the address


def test_a_new_address_is_encrypted_on_write(db: Session) -> None:
    contact = db.scalars(select(Contact).where(Contact.channel == "email")).first()
    assert contact is not None
    contact.address = "nueva.direccion@minjus.example.org"
    db.flush()
    token = stored_addresses(db)[contact.code]
    assert "nueva" not in token
    assert (
        Fernet(TEST_ENCRYPTION_KEY).decrypt(token.encode()) == b"nueva.direccion@minjus.example.org"
    )


def test_rotation_reencrypts_with_the_new_key_and_the_old_key_can_then_go(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = fresh_settings.encryption_keys[0]
    new = Fernet.generate_key().decode()
    _add_leader(fresh_settings)
    clear = _addresses(fresh_settings)
    assert clear["community:flor-apu"] == "+51961222333"
    for name, value in {
        "EWS_ENV": "test",
        "EWS_DATABASE_URL": fresh_settings.database_url,
        "EWS_SECRET_KEY": TEST_SECRET,
        "EWS_CAP_SENDER": TEST_CAP_SENDER,
        "EWS_ENCRYPTION_KEY": f"{new},{old}",
    }.items():
        monkeypatch.setenv(name, value)
    assert _addresses(Settings(_env_file=None)) == clear  # type: ignore[call-arg]
    result = CliRunner().invoke(cli, ["encryption", "rotate"])
    assert result.exit_code == 0, result.output
    assert f"{len(clear)}" in result.output
    only_new = make_settings(fresh_settings.database_url, encryption_key=new)
    assert _addresses(only_new) == clear
    only_old = make_settings(fresh_settings.database_url, encryption_key=old)
    with pytest.raises(EncryptionKeyError, match="EWS_ENCRYPTION_KEY"):
        _addresses(only_old)


def _addresses(settings: Settings) -> dict[str, str]:
    engine = build_engine(settings)
    try:
        with build_session_factory(engine)() as session:
            found = {c.code: c.address for c in session.scalars(select(Contact))}
            found |= {
                f"community:{c.code}": c.phone for c in session.scalars(select(CommunityContact))
            }
            return found
    finally:
        engine.dispose()


def _add_leader(settings: Settings) -> None:
    """A community leader, whose phone is encrypted like an address."""
    engine = build_engine(settings)
    try:
        with build_session_factory(engine)() as session:
            session.add(
                CommunityContact(
                    code="flor-apu",
                    community_code="flor-de-ucayali",
                    role="leader",
                    name="Apu",
                    phone="+51961222333",
                    phone_pseudonym="x" * 64,
                    language="es",
                    active=True,
                )
            )
            session.commit()
    finally:
        engine.dispose()


def test_new_key_prints_a_usable_fernet_key() -> None:
    result = CliRunner().invoke(cli, ["encryption", "new-key"])
    assert result.exit_code == 0
    Fernet(result.output.strip().splitlines()[-1])


BASE: dict[str, Any] = {
    "secret_key": TEST_SECRET,
    "encryption_key": TEST_ENCRYPTION_KEY,
    "cap_sender": TEST_CAP_SENDER,
}


@pytest.mark.parametrize("env", ["production", "test"])
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"encryption_key": None}, "EWS_ENCRYPTION_KEY is missing"),
        ({"encryption_key": "not-a-key"}, "not a Fernet key"),
        ({"encryption_key": f"{TEST_ENCRYPTION_KEY},short"}, "key 2 is not a Fernet key"),
        ({"cap_sender": None}, "EWS_CAP_SENDER is missing"),
        ({"cap_sender": "EWS Perú"}, "spaces, commas"),
        ({"cap_sender": "a,b"}, "spaces, commas"),
    ],
)
def test_settings_refuse_to_run_without_keys_outside_development(
    env: str, change: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        Settings(_env_file=None, env=env, **{**BASE, **change})  # type: ignore[call-arg]


def test_development_derives_a_stable_key_and_a_sender_that_says_so() -> None:
    settings = Settings(_env_file=None, env="development", secret_key="x" * 40)  # type: ignore[call-arg]
    assert settings.encryption_keys == [development_key("x" * 40)]
    Fernet(settings.encryption_keys[0])
    assert settings.cap_sender_id.endswith(".invalid")
    rotated = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="development",
        encryption_key=f" {TEST_ENCRYPTION_KEY} , {development_key('x')} ",
    )
    assert rotated.encryption_keys == [TEST_ENCRYPTION_KEY, development_key("x")]
