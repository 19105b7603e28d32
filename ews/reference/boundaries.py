"""Official boundary files of native communities: read one (GeoJSON, GeoPackage, zipped Shapefile,
KML, any CRS) and turn its features into community records, with one error per bad feature.

Two halves: :func:`read_layer` is the file I/O (``pyogrio``, GDAL's readers, no geopandas);
:func:`community_records` is pure: features and a field mapping in, validated records (lon/lat
GeoJSON, repaired, oriented) and per-feature errors out. The database write is in
:mod:`ews.reference.boundary_import`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely import geometry

from indicators.geometry import GEOGRAPHIC_CRS, as_lists

# Department (first two digits of the ubigeo) -> region name, INEI.
DEPARTMENTS = {
    "01": "Amazonas",
    "02": "Áncash",
    "03": "Apurímac",
    "04": "Arequipa",
    "05": "Ayacucho",
    "06": "Cajamarca",
    "07": "Callao",
    "08": "Cusco",
    "09": "Huancavelica",
    "10": "Huánuco",
    "11": "Ica",
    "12": "Junín",
    "13": "La Libertad",
    "14": "Lambayeque",
    "15": "Lima",
    "16": "Loreto",
    "17": "Madre de Dios",
    "18": "Moquegua",
    "19": "Pasco",
    "20": "Piura",
    "21": "Puno",
    "22": "San Martín",
    "23": "Tacna",
    "24": "Tumbes",
    "25": "Ucayali",
}
# What each attribute is called when no --*-field option names it (first present wins, any case).
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "codigo", "cod_comuni", "id_cn"),
    "name": ("name", "nombre", "nom_comuni", "comunidad"),
    "people": ("people", "pueblo", "etnia", "pueblo_ind"),
    "ubigeo": ("ubigeo", "ubigeo_dis"),
    "titled_area_ha": ("titled_area_ha", "area_tit_ha", "sup_titula", "area_ha"),
    "province": ("province", "provincia"),
    "district": ("district", "distrito"),
    "synthetic": ("synthetic", "sintetico"),
}
COORDINATE_DECIMALS = 7  # about 1 cm: enough for a boundary, and stable across re-imports
MAX_CODE_CHARS = 80
_CODE_FORBIDDEN = re.compile(r"[/\\?#%\x00-\x1f]")
POLYGONAL = ("Polygon", "MultiPolygon")


class BoundaryFileError(ValueError):
    """The file as a whole cannot be read (not a feature): the message says what to do."""


@dataclass(frozen=True)
class RawFeature:
    """One feature as the file has it: its position, attributes and geometry (file CRS)."""

    index: int
    properties: dict[str, Any]
    geometry: Any  # shapely geometry or None


@dataclass(frozen=True)
class RawLayer:
    path: Path
    layer: str
    crs: str | None
    fields: tuple[str, ...]
    features: list[RawFeature]


@dataclass(frozen=True)
class FeatureError:
    """A feature that was not loaded: its index in the file (from 0), its code if it had one."""

    index: int
    code: str | None
    reason: str  # no_code | bad_code | duplicate_code | empty_geometry | not_polygon | ...
    message: str  # Spanish / English, for a person

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "code": self.code,
            "reason": self.reason,
            "error": self.message,
        }


@dataclass(frozen=True)
class CommunityRecord:
    """A valid community of the file: its lon/lat boundary and the attributes the file has
    (``attributes`` holds only the fields the file carries, so a re-import never blanks others)."""

    index: int
    code: str
    boundary: dict[str, Any]
    attributes: dict[str, Any]
    repaired: bool = False


@dataclass
class FieldMapping:
    """The file's field for each attribute (``None``: the defaults of :data:`DEFAULT_FIELDS`)."""

    code: str | None = None
    name: str | None = None
    people: str | None = None
    ubigeo: str | None = None
    titled_area_ha: str | None = None
    province: str | None = None
    district: str | None = None
    synthetic: str | None = None

    def resolve(self, fields: Sequence[str]) -> dict[str, str]:
        """attribute -> the file's field name; a field named by an option must exist."""
        by_lower = {name.lower(): name for name in fields}
        resolved: dict[str, str] = {}
        for attribute, candidates in DEFAULT_FIELDS.items():
            chosen = getattr(self, attribute)
            if chosen is not None:
                if chosen.lower() not in by_lower:
                    msg = (
                        f"El campo '{chosen}' no está en el archivo; campos: {list(fields)}. / "
                        f"Field '{chosen}' is not in the file; fields: {list(fields)}."
                    )
                    raise BoundaryFileError(msg)
                resolved[attribute] = by_lower[chosen.lower()]
                continue
            for candidate in candidates:
                if candidate in by_lower:
                    resolved[attribute] = by_lower[candidate]
                    break
        if "code" not in resolved:
            msg = (
                f"No hay campo de código ({', '.join(DEFAULT_FIELDS['code'])}); indíquelo con "
                f"--code-field. Campos: {list(fields)}. / No code field; name it with --code-field."
            )
            raise BoundaryFileError(msg)
        return resolved


@dataclass
class RecordsRead:
    records: list[CommunityRecord] = field(default_factory=list)
    errors: list[FeatureError] = field(default_factory=list)


def read_layer(path: Path, layer: str | None = None) -> RawLayer:
    """The features of one layer of a GeoJSON, GeoPackage, zipped Shapefile or KML file.

    Without ``layer``, the file's only layer, or its only polygon layer."""
    try:
        layers = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        msg = (
            f"No se puede leer {path.name} como archivo de límites (GeoJSON, GeoPackage, Shapefile "
            f"comprimido en .zip, KML): {exc} / cannot read {path.name} as a boundary file."
        )
        raise BoundaryFileError(msg) from exc
    names = [str(name) for name, _kind in layers]
    if layer is None:
        if not names:
            msg = f"{path.name} no tiene capas / has no layers"
            raise BoundaryFileError(msg)
        # Layers that may hold polygons (a mixed layer says "Unknown"); points or lines cannot.
        polygonal = [
            str(n) for n, kind in layers if not kind or "Polygon" in kind or "Unknown" in kind
        ]
        if len(names) == 1:
            layer = names[0]
        elif len(polygonal) == 1:
            layer = polygonal[0]
        else:
            msg = (
                f"{path.name} tiene varias capas {names}: elija una con --layer. / "
                f"{path.name} has several layers {names}: choose one with --layer."
            )
            raise BoundaryFileError(msg)
    elif layer not in names:
        msg = f"{path.name}: no hay capa '{layer}'; capas: {names} / no layer '{layer}'"
        raise BoundaryFileError(msg)
    try:
        meta, _fids, wkbs, columns = pyogrio.raw.read(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        msg = f"No se puede leer la capa '{layer}' de {path.name}: {exc} / cannot read the layer"
        raise BoundaryFileError(msg) from exc
    if wkbs is None:
        msg = f"La capa '{layer}' de {path.name} no tiene geometría / the layer has no geometry"
        raise BoundaryFileError(msg)
    fields = tuple(str(name) for name in meta["fields"])
    features: list[RawFeature] = []
    for index in range(len(wkbs)):
        properties = {
            name: _plain(column[index]) for name, column in zip(fields, columns, strict=True)
        }
        features.append(RawFeature(index, properties, _from_wkb(wkbs[index])))
    return RawLayer(path=path, layer=layer, crs=meta.get("crs"), fields=fields, features=features)


def _from_wkb(value: Any) -> Any:
    if value is None:
        return None
    try:
        return shapely.from_wkb(value)
    except shapely.errors.GEOSException:
        return shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")


def _plain(value: Any) -> Any:
    """A numpy scalar as a Python value; NaN, NaT and empty text as ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def to_lon_lat(crs: str | None) -> Callable[[Any], Any] | None:
    """The function taking a geometry from the file's CRS to lon/lat (``None``: already lon/lat).

    A file with no CRS is taken as lon/lat (GeoJSON and KML are, by their standards)."""
    if crs is None:
        return None
    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        msg = f"CRS desconocido / unknown CRS: {crs}"
        raise BoundaryFileError(msg) from exc
    target = CRS.from_user_input(GEOGRAPHIC_CRS)
    if source.equals(target, ignore_axis_order=True):
        return None
    transformer = Transformer.from_crs(source, target, always_xy=True)
    return lambda geom: shapely.transform(geom, transformer.transform, interleaved=False)


def community_records(
    features: Iterable[RawFeature],
    *,
    fields: dict[str, str],
    crs: str | None,
    progress: Callable[[], None] | None = None,
) -> RecordsRead:
    """Validate features into community records (pure).

    Parameters
    ----------
    features : the layer's features, geometry in ``crs``.
    fields : attribute -> field name, from :meth:`FieldMapping.resolve`.
    crs : the layer's CRS (``None``: lon/lat).

    Returns the records (lon/lat, invalid rings repaired with ``shapely.make_valid`` keeping the
    polygonal parts, holes and parts kept, exterior rings counter-clockwise, coordinates rounded to
    7 decimals) and one :class:`FeatureError` per feature left out: no code, a bad or repeated
    code, a bad ubigeo or area, an empty geometry, not a polygon, or a polygon nothing valid is
    left of.
    """
    project = to_lon_lat(crs)
    out = RecordsRead()
    seen: dict[str, int] = {}
    for feature in features:
        result = _record(feature, fields, project)
        if isinstance(result, FeatureError):
            out.errors.append(result)
        elif result.code in seen:
            out.errors.append(
                _error(
                    feature.index,
                    result.code,
                    "duplicate_code",
                    f"código repetido (ya en el índice {seen[result.code]})",
                    f"repeated code (already at index {seen[result.code]})",
                )
            )
        else:
            seen[result.code] = feature.index
            out.records.append(result)
        if progress is not None:
            progress()
    return out


def _error(index: int, code: str | None, reason: str, es: str, en: str) -> FeatureError:
    return FeatureError(index, code, reason, f"{es} / {en}")


def _code(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _record(
    feature: RawFeature, fields: dict[str, str], project: Callable[[Any], Any] | None
) -> CommunityRecord | FeatureError:
    index, props = feature.index, feature.properties
    code = _code(props.get(fields["code"]))
    if code is None:
        return _error(index, None, "no_code", "sin código", "no code")
    if len(code) > MAX_CODE_CHARS or _CODE_FORBIDDEN.search(code):
        return _error(
            index,
            code[:MAX_CODE_CHARS],
            "bad_code",
            f"código inválido (hasta {MAX_CODE_CHARS} caracteres, sin / \\ ? # %)",
            f"invalid code (up to {MAX_CODE_CHARS} characters, no / \\ ? # %)",
        )
    attributes: dict[str, Any] = {}
    problem = _attributes(props, fields, attributes)
    if problem is not None:
        return _error(index, code, problem[0], problem[1], problem[2])
    try:
        shape, repaired = _boundary(feature.geometry, project)
    except _Rejected as rejected:
        return _error(index, code, *rejected.args)
    return CommunityRecord(
        index=index,
        code=code,
        boundary=as_lists(geometry.mapping(shape)),
        attributes=attributes,
        repaired=repaired,
    )


def _attributes(
    props: dict[str, Any], fields: dict[str, str], attributes: dict[str, Any]
) -> tuple[str, str, str] | None:
    for attribute in ("name", "people", "province", "district"):
        if attribute in fields:
            value = props.get(fields[attribute])
            attributes[attribute] = None if value is None else str(value).strip()
    if "ubigeo" in fields:
        ubigeo = _code(props.get(fields["ubigeo"]))
        if ubigeo is not None:
            if not ubigeo.isdigit() or len(ubigeo) not in (2, 5, 6):
                return ("bad_ubigeo", f"ubigeo inválido: {ubigeo}", f"invalid ubigeo: {ubigeo}")
            ubigeo = ubigeo.zfill(6 if len(ubigeo) > 2 else 2)  # a number lost its leading zero
            if ubigeo[:2] not in DEPARTMENTS:
                return ("bad_ubigeo", f"ubigeo inválido: {ubigeo}", f"invalid ubigeo: {ubigeo}")
            attributes["ubigeo"] = ubigeo
            attributes["region_ubigeo"] = ubigeo[:2]
            attributes["region"] = DEPARTMENTS[ubigeo[:2]]
    if "titled_area_ha" in fields:
        value = props.get(fields["titled_area_ha"])
        try:
            area = None if value is None else float(str(value).replace(",", "."))
        except ValueError:
            area = -1.0
        if area is not None and (not math.isfinite(area) or area < 0):
            return (
                "bad_area",
                f"superficie titulada inválida: {value}",
                f"invalid titled area: {value}",
            )
        attributes["titled_area_ha"] = area
    if "synthetic" in fields:
        value = props.get(fields["synthetic"])
        attributes["synthetic"] = str(value).strip().lower() in (
            "1",
            "true",
            "t",
            "yes",
            "si",
            "sí",
        )
    return None


class _Rejected(Exception):
    """A geometry left out: (reason, Spanish, English)."""


def _boundary(geom: Any, project: Callable[[Any], Any] | None) -> tuple[Any, bool]:
    """The lon/lat polygonal geometry of a feature and whether it was repaired (or _Rejected)."""
    if geom is None or geom.is_empty:
        raise _Rejected("empty_geometry", "geometría vacía", "empty geometry")
    geom = shapely.force_2d(geom)
    kind = geom.geom_type
    if kind not in POLYGONAL and not (kind == "GeometryCollection" and _polygons(geom)):
        raise _Rejected("not_polygon", f"no es un polígono ({kind})", f"not a polygon ({kind})")
    if project is not None:
        geom = project(geom)
    west, south, east, north = geom.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise _Rejected(
            "out_of_range",
            "coordenadas fuera de lon/lat: ¿falta el CRS del archivo?",
            "coordinates out of lon/lat range: is the file's CRS missing?",
        )
    repaired = not geom.is_valid or kind == "GeometryCollection"
    if repaired:
        geom = shapely.make_valid(geom)
    polygons = _polygons(geom)
    if not polygons:
        raise _Rejected(
            "unrepairable", "sin superficie tras repararla", "no area left after repair"
        )
    shape = polygons[0] if len(polygons) == 1 else geometry.MultiPolygon(polygons)
    shape = shapely.set_precision(shape, 10**-COORDINATE_DECIMALS)
    polygons = _polygons(shape)
    if not polygons or shape.area == 0:
        raise _Rejected(
            "unrepairable", "sin superficie tras repararla", "no area left after repair"
        )
    oriented = [geometry.polygon.orient(p, 1.0) for p in polygons]
    final = oriented[0] if len(oriented) == 1 else geometry.MultiPolygon(oriented)
    return final, repaired


def _polygons(geom: Any) -> list[Any]:
    """The non-empty polygons of a geometry (of a collection's members too)."""
    if geom.geom_type == "Polygon":
        return [geom] if not geom.is_empty and geom.area > 0 else []
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in geom.geoms for p in _polygons(part)]
    return []


def write_layer(
    path: Path,
    *,
    rows: Sequence[dict[str, Any]],
    geometries: Sequence[Any],
    crs: str = GEOGRAPHIC_CRS,
    layer: str | None = None,
    driver: str | None = None,
) -> None:
    """Write polygon features (shapely geometries in ``crs``, attributes in ``rows``) to ``path``;
    the driver follows the extension (.gpkg, .geojson, .shp) unless named (``"KML"``)."""
    names = list(rows[0]) if rows else []
    columns = [np.array([row[name] for row in rows]) for name in names]
    wkbs = np.array([shapely.to_wkb(g) for g in geometries], dtype=object)
    pyogrio.raw.write(
        path,
        wkbs,
        columns,
        names,
        layer=layer,
        driver=driver,
        crs=crs,
        geometry_type="MultiPolygon",
        promote_to_multi=True,
    )
