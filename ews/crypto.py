"""Contact details encrypted at rest (Fernet, AES-128-CBC with HMAC-SHA256), with a key kept
outside the database.

``EWS_ENCRYPTION_KEY`` holds one or more Fernet keys, comma-separated, newest first. New values are
encrypted with the first; any of them decrypts (``MultiFernet``), so a key is rotated by putting a
new one in front, running ``ews encryption rotate`` (every stored value re-encrypted with the new
key) and then dropping the old one. Outside development the key is required; in development an
unset key is derived from ``EWS_SECRET_KEY``, so a local database stays readable across restarts.

The engine carries its cipher (``attach_cipher``, done by ``ews.db.build_engine``): the
``EncryptedText`` column type encrypts on the way in and decrypts on the way out with the cipher
of the engine that runs the statement, ORM and Core alike, so no address is written in clear by
mistake and none is read back as ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect, Engine

CIPHER_ATTRIBUTE = "ews_cipher"


class EncryptionKeyError(RuntimeError):
    """Stored values cannot be decrypted with the configured keys, or no key is configured."""


def parse_keys(value: str) -> list[str]:
    """The keys of an ``EWS_ENCRYPTION_KEY`` value (comma-separated), each checked; ``ValueError``
    with a message naming the bad one."""
    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        msg = "EWS_ENCRYPTION_KEY está vacía / EWS_ENCRYPTION_KEY is empty"
        raise ValueError(msg)
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            msg = (
                f"EWS_ENCRYPTION_KEY: la clave {position} no es una clave Fernet (32 bytes en "
                f"base64 urlsafe; cree una con `ews encryption new-key`) / key {position} is not a "
                "Fernet key (32 urlsafe-base64 bytes; make one with `ews encryption new-key`)"
            )
            raise ValueError(msg) from None
    return keys


def development_key(secret_key: str) -> str:
    """The key used in development when none is set: derived from the service secret."""
    digest = hmac.new(secret_key.encode(), b"ews-encryption-key-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()


def build_cipher(keys: list[str]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def attach_cipher(engine: Engine, cipher: MultiFernet) -> None:
    """Give ``engine`` the cipher its ``EncryptedText`` columns use."""
    setattr(engine.dialect, CIPHER_ATTRIBUTE, cipher)


def cipher_of(dialect: Dialect) -> MultiFernet:
    cipher = getattr(dialect, CIPHER_ATTRIBUTE, None)
    if not isinstance(cipher, MultiFernet):
        msg = (
            "este motor de base de datos no tiene clave de cifrado; constrúyalo con "
            "ews.db.build_engine / this database engine has no encryption key; build it with "
            "ews.db.build_engine"
        )
        raise EncryptionKeyError(msg)
    return cipher


def decrypt(cipher: MultiFernet, token: str) -> str:
    try:
        return cipher.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:
        msg = (
            "un dato cifrado no se puede leer con EWS_ENCRYPTION_KEY: ¿se cambió la clave sin "
            "conservar la anterior detrás de la nueva? / an encrypted value cannot be read with "
            "EWS_ENCRYPTION_KEY: was the key replaced without keeping the old one after the new one?"
        )
        raise EncryptionKeyError(msg) from exc


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token, with the cipher of the engine running the statement."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(cipher_of(dialect), value)
