"""``ews encryption new-key`` and ``ews encryption rotate``: the key of the contact details at rest.

Rotation, with no moment where an address cannot be read:
1. ``ews encryption new-key`` prints a new key;
2. put it in front: ``EWS_ENCRYPTION_KEY=<new>,<old>`` (every process: API, worker, scheduler);
3. ``ews encryption rotate`` re-encrypts every stored value with the new key;
4. drop the old key: ``EWS_ENCRYPTION_KEY=<new>``.
"""

from __future__ import annotations

import typer
from sqlalchemy import Text, column, select, table

from ews.cli.base import console, load_settings, open_session
from ews.crypto import build_cipher, decrypt, new_key

app = typer.Typer(
    help="Clave de cifrado de los contactos / the encryption key of contact details",
    no_args_is_help=True,
)
# The encrypted columns, read and written as the stored tokens (not through EncryptedText).
ENCRYPTED = (("contact", "id", "address"), ("community_contact", "id", "phone"))


@app.command("new-key")
def print_new_key() -> None:
    """Imprime una clave Fernet nueva (última línea). / Print a new Fernet key (last line)."""
    console.print("Guárdela fuera de la base de datos / keep it outside the database:")
    print(new_key())


@app.command("rotate")
def rotate() -> None:
    """Vuelve a cifrar cada dato con la primera clave de EWS_ENCRYPTION_KEY.
    / Re-encrypt every stored value with the first key of EWS_ENCRYPTION_KEY."""
    settings = load_settings()
    cipher = build_cipher(settings.encryption_keys)
    count = 0
    with open_session(settings) as session:
        for table_name, key_name, value_name in ENCRYPTED:
            stored = table(table_name, column(key_name), column(value_name, Text))
            rows = session.execute(select(stored.c[key_name], stored.c[value_name])).all()
            for key, token in rows:
                if token is None:
                    continue
                decrypt(cipher, token)  # a clear error if a key is missing
                fresh = cipher.rotate(token.encode("ascii")).decode("ascii")
                session.execute(
                    stored.update().where(stored.c[key_name] == key).values({value_name: fresh})
                )
                count += 1
    console.print(f"Vueltos a cifrar / re-encrypted: {count}")
