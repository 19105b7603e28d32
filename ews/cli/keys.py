"""``ews keys``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ews import audit
from ews.auth.keys import KeyError_, Role, create_key, list_keys, revoke_key
from ews.cli.base import console, load_settings, open_session
from ews.models import AuditAction

app = typer.Typer(help="Claves de API / API keys.", no_args_is_help=True)


@app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="admin, analyst, monitor, institution o feed")],
    name: Annotated[str, typer.Option(help="Nombre de quien usa la clave / who uses the key")],
    community: Annotated[
        str | None, typer.Option(help="Comunidad de un monitor / a monitor's community")
    ] = None,
    institution: Annotated[
        str | None, typer.Option(help="Institución de la clave / the key's institution code")
    ] = None,
) -> None:
    """Crea una clave; el secreto se muestra una sola vez, solo, en la última línea.
    / Create a key; the secret is printed once, alone, on the last line."""
    settings = load_settings()
    try:
        with open_session(settings) as session:
            row, token = create_key(
                session,
                role=role,
                name=name,
                community_code=community,
                institution_code=institution,
            )
            audit.record(
                session,
                actor="cli",
                action=AuditAction.key_created,
                object_type="api_key",
                object_id=row.id,
                details={"role": role.value, "name": row.name},
            )
            key_id = row.id
    except KeyError_ as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f"Clave {key_id} creada ({role.value}); guarde el secreto, no se vuelve a mostrar."
    )
    print(token)


@app.command("list")
def list_() -> None:
    """Lista las claves (nunca sus secretos). / List keys (never their secrets)."""
    settings = load_settings()
    with open_session(settings) as session:
        table = Table("id", "name", "role", "community", "institution", "created", "revoked")
        for row in list_keys(session):
            table.add_row(
                str(row.id),
                row.name,
                row.role,
                row.community_code or "",
                row.institution_code or "",
                row.created_at.isoformat(timespec="seconds"),
                row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else "",
            )
    Console().print(table)


@app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="id de la clave / key id")]) -> None:
    """Revoca una clave: deja de valer al instante. / Revoke a key: it stops working at once."""
    settings = load_settings()
    try:
        with open_session(settings) as session:
            row = revoke_key(session, key_id=key_id)
            audit.record(
                session,
                actor="cli",
                action=AuditAction.key_revoked,
                object_type="api_key",
                object_id=row.id,
            )
    except KeyError_ as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"Clave {key_id} revocada / key {key_id} revoked.")
