"""``ews communities import FILE`` (official boundary files) and ``ews communities synthetic`` (the
national synthetic set, a file the import reads)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ews.cli.base import console
from ews.demo.national import national_communities
from ews.reference.boundaries import write_layer

app = typer.Typer(
    help="Comunidades nativas: límites oficiales / native communities: official boundaries",
    no_args_is_help=True,
)

WRITABLE = (".gpkg", ".geojson", ".json")


@app.command("synthetic")
def synthetic(
    out: Annotated[
        Path, typer.Option("--out", help="archivo a escribir (.gpkg o .geojson) / file to write")
    ],
    count: Annotated[int, typer.Option(min=1, help="comunidades / communities")] = 2300,
    seed: Annotated[int, typer.Option(help="semilla / seed (same seed, same file)")] = 17,
) -> None:
    """Escribe el conjunto nacional sintético (≈2 300 comunidades en 8 regiones amazónicas) para
    `ews communities import`. / Write the national synthetic set for `ews communities import`."""
    if out.suffix.lower() not in WRITABLE:
        console.print(
            f"[red]Extensión no soportada {out.suffix!r}: use .gpkg o .geojson / unsupported "
            "extension: use .gpkg or .geojson[/red]"
        )
        raise typer.Exit(2)
    communities = national_communities(count, seed=seed)
    out.unlink(missing_ok=True)
    write_layer(
        out,
        rows=[c.properties() for c in communities],
        geometries=[c.geometry for c in communities],
        layer="comunidades_sinteticas",
    )
    console.print(
        f"{len(communities)} comunidades sintéticas escritas en / synthetic communities written to "
        f"{out}"
    )
    typer.echo(str(out))
