"""Patrol tracks in the shapes they arrive in: a GeoJSON LineString or MultiLineString (lon/lat),
a GPX file (``gpxpy``), or an ODK/Kobo ``geotrace`` answer (``"lat lon alt acc;lat lon alt acc;.."``).

Each reader returns a :class:`Track` (lines of ``(lon, lat)``, and the first and last point times
a GPX file carries) or raises :class:`TrackError` with Spanish-first words naming what is wrong.
:func:`check_track` then refuses a track with fewer than two points or one outside Peru.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import gpxpy
import gpxpy.gpx

# Peru's extent with a margin of about 10 km (lon -81.33..-68.65, lat -18.35..-0.04): a point
# beyond it is a swapped latitude/longitude, a lost GPS fix or a track from somewhere else.
PERU_WEST, PERU_EAST, PERU_SOUTH, PERU_NORTH = -81.45, -68.55, -18.45, 0.05
MAX_POINTS = 50_000


class TrackError(ValueError):
    """A track that cannot be read or is not plausible; ``message`` is Spanish first."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Track:
    lines: list[list[tuple[float, float]]]
    first_time: datetime | None = None
    last_time: datetime | None = None

    @property
    def points(self) -> int:
        return sum(len(line) for line in self.lines)

    def geojson(self) -> dict[str, Any]:
        """The track as a GeoJSON MultiLineString, coordinates rounded to 7 decimals (~1 cm)."""
        return {
            "type": "MultiLineString",
            "coordinates": [
                [[round(lon, 7), round(lat, 7)] for lon, lat in line] for line in self.lines
            ],
        }


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TrackError("cada coordenada debe ser un número / each coordinate must be a number")
    try:
        number = float(value)
    except ValueError:
        raise TrackError(
            f"coordenada no numérica: {str(value)[:20]!r} / not a number: {str(value)[:20]!r}"
        ) from None
    if not math.isfinite(number):
        raise TrackError("coordenada no finita / coordinate is not finite")
    return number


def read_geojson(value: Any) -> Track:
    """A GeoJSON LineString or MultiLineString with ``[lon, lat(, alt)]`` positions."""
    if not isinstance(value, Mapping) or value.get("type") not in (
        "LineString",
        "MultiLineString",
    ):
        raise TrackError(
            "se espera un GeoJSON LineString o MultiLineString (lon, lat) / expected a GeoJSON "
            "LineString or MultiLineString (lon, lat)"
        )
    unknown = sorted(str(k) for k in value if k not in ("type", "coordinates", "bbox"))
    if unknown:
        raise TrackError(
            f"campo no reconocido en la ruta: {', '.join(unknown)} / unknown field in the track"
        )
    coordinates = value.get("coordinates")
    lines = [coordinates] if value["type"] == "LineString" else coordinates
    if not isinstance(lines, list) or not all(isinstance(line, list) for line in lines):
        raise TrackError("las coordenadas deben ser listas / coordinates must be lists")
    result = []
    for line in lines:
        points = []
        for position in line:
            if not isinstance(position, list) or not 2 <= len(position) <= 3:
                raise TrackError(
                    "cada posición es [longitud, latitud] o [longitud, latitud, altitud] / each "
                    "position is [lon, lat] or [lon, lat, alt]"
                )
            points.append((_number(position[0]), _number(position[1])))
        result.append(points)
    return Track(result)


def read_gpx(body: bytes) -> Track:
    """The track segments (else the routes) of a GPX file, and its first and last point times."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        # A GPX file has no DTD; one with entities could make the parser read local files.
        raise TrackError(
            "el archivo GPX no puede traer DOCTYPE ni entidades / the GPX file may not carry a "
            "DOCTYPE or entities"
        )
    try:
        parsed = gpxpy.parse(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, gpxpy.gpx.GPXException, ValueError) as exc:
        raise TrackError(
            f"el archivo GPX no se pudo leer ({str(exc)[:120]}) / the GPX file could not be read"
        ) from None
    lines: list[list[tuple[float, float]]] = []
    times: list[datetime] = []
    segments: list[list[Any]] = [
        segment.points for track in parsed.tracks for segment in track.segments
    ]
    if not any(segments):
        segments = [route.points for route in parsed.routes]  # a planned route, if no track
    for points in segments:
        if points:
            lines.append([(float(p.longitude), float(p.latitude)) for p in points])
            times.extend(p.time for p in points if p.time is not None)
    if not lines:
        raise TrackError(
            "el archivo GPX no tiene puntos de ruta / the GPX file has no track points"
        )
    aware = [t if t.tzinfo is not None else t.replace(tzinfo=UTC) for t in times]
    return Track(lines, min(aware, default=None), max(aware, default=None))


def read_geotrace(value: Any) -> Track:
    """An ODK/Kobo geotrace: ``"lat lon alt acc;lat lon alt acc;..."`` (altitude and accuracy
    optional), one line."""
    if not isinstance(value, str):
        raise TrackError(
            "un geotrace es texto 'lat lon alt prec;lat lon alt prec;...' / a geotrace is text "
            "'lat lon alt acc;...'"
        )
    points = []
    for number, part in enumerate((p.strip() for p in value.split(";")), start=1):
        if not part:
            continue
        fields = part.split()
        if not 2 <= len(fields) <= 4:
            raise TrackError(
                f"el punto {number} del geotrace no es 'lat lon alt prec': {part[:40]!r} / point "
                f"{number} of the geotrace is not 'lat lon alt acc'"
            )
        lat, lon = _number(fields[0]), _number(fields[1])
        points.append((lon, lat))
    return Track([points])


def check_track(track: Track) -> Track:
    """``track`` if it has at least two points in all, at most :data:`MAX_POINTS`, and every
    point inside Peru; :class:`TrackError` otherwise."""
    if track.points > MAX_POINTS:
        raise TrackError(
            f"la ruta tiene más de {MAX_POINTS} puntos; simplifíquela / the track has more than "
            f"{MAX_POINTS} points; simplify it"
        )
    lines = [line for line in track.lines if line]
    if sum(len(line) for line in lines) < 2 or all(len(line) < 2 for line in lines):
        raise TrackError("la ruta necesita al menos 2 puntos / the track needs at least 2 points")
    for line in lines:
        for lon, lat in line:
            if not (PERU_WEST <= lon <= PERU_EAST and PERU_SOUTH <= lat <= PERU_NORTH):
                raise TrackError(
                    f"el punto (lat {lat:.5f}, lon {lon:.5f}) está fuera del Perú; ¿latitud y "
                    f"longitud invertidas? / the point is outside Peru; latitude and longitude "
                    f"swapped?"
                )
    # A single point left in a line draws nothing: keep the lines that are lines.
    return Track([line for line in lines if len(line) >= 2], track.first_time, track.last_time)
