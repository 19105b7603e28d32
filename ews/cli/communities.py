"""``ews communities import FILE`` (official boundary files) and ``ews communities synthetic`` (the
national synthetic set, a file the import reads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ews.cli.base import console, load_settings, open_session
from ews.demo.national import national_communities
from ews.models.base import utcnow
from ews.reference.boundaries import (
    BoundaryFileError,
    FieldMapping,
    community_records,
    read_layer,
    write_layer,
)
from ews.reference.boundary_import import ImportReport, import_communities

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


@app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="GeoJSON, GeoPackage, Shapefile comprimido (.zip) o KML / zipped Shapefile or KML",
        ),
    ],
    code_field: Annotated[str | None, typer.Option(help="campo del código / code field")] = None,
    name_field: Annotated[str | None, typer.Option(help="campo del nombre / name field")] = None,
    people_field: Annotated[
        str | None, typer.Option(help="campo del pueblo indígena / people field")
    ] = None,
    ubigeo_field: Annotated[
        str | None, typer.Option(help="campo del ubigeo (distrito) / ubigeo field")
    ] = None,
    titled_area_field: Annotated[
        str | None, typer.Option(help="campo de la superficie titulada (ha) / titled area field")
    ] = None,
    province_field: Annotated[
        str | None, typer.Option(help="campo de la provincia / province field")
    ] = None,
    district_field: Annotated[
        str | None, typer.Option(help="campo del distrito / district field")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="capa a leer / layer to read")] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="origen a registrar (por defecto: archivo, capa y hora) / boundary source to "
            "record (default: file, layer and time)"
        ),
    ] = None,
    buffer_m: Annotated[
        float | None,
        typer.Option(min=1, help="ancho de la zona de aproximación (m) / approach zone width"),
    ] = None,
) -> None:
    """Carga límites oficiales de comunidades (idempotente) y muestra qué cambió.
    / Load official community boundaries (idempotent) and show what changed (JSON on stdout)."""
    settings = load_settings()
    mapping = FieldMapping(
        code=code_field,
        name=name_field,
        people=people_field,
        ubigeo=ubigeo_field,
        titled_area_ha=titled_area_field,
        province=province_field,
        district=district_field,
    )
    try:
        raw = read_layer(file, layer)
        fields = mapping.resolve(raw.fields)
    except BoundaryFileError as exc:
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc
    now = utcnow()
    label = source or f"{file.name} · capa {raw.layer} · {now:%Y-%m-%d %H:%M} UTC"
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        checking = progress.add_task(f"{file.name}: validar / validate", total=len(raw.features))
        try:
            read = community_records(
                raw.features,
                fields=fields,
                crs=raw.crs,
                progress=lambda: progress.advance(checking),
            )
        except BoundaryFileError as exc:
            console.print(f"[red]{exc}[/red]", soft_wrap=True)
            raise typer.Exit(2) from exc
        writing = progress.add_task(f"{file.name}: cargar / load", total=len(read.records))
        with open_session(settings) as session:
            report = import_communities(
                session,
                read.records,
                source=label,
                errors=read.errors,
                buffer_m=buffer_m,
                now=now,
                progress=lambda: progress.advance(writing),
            )
    console.print(report_table(report))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))


def report_table(report: ImportReport) -> Table:
    """The import's outcome as a table: counts, then each rejected feature with its reason."""
    table = Table(title=f"Importación / import: {report.source}")
    table.add_column("resultado / outcome")
    table.add_column("comunidades / communities", justify="right")
    names = {
        "added": "añadidas / added",
        "geometry_changed": "límite cambiado / boundary changed",
        "attributes_changed": "atributos cambiados / attributes changed",
        "unchanged": "sin cambios / unchanged",
        "repaired": "reparadas (make_valid) / repaired",
        "rejected": "rechazadas / rejected",
    }
    for key, count in report.counts().items():
        table.add_row(names[key], str(count))
    for error in report.rejected[:50]:
        table.add_row(f"  índice / index {error.index} ({error.code or '-'})", error.message)
    if len(report.rejected) > 50:
        table.add_row("  …", f"{len(report.rejected) - 50} más / more (JSON)")
    return table
