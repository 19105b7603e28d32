"""Positions in every shape their senders write them: the one place that reads them (pure).

A position is read or refused with a reason a person can act on (Spanish first, then English):
nothing is dropped without a word. Ranges (latitude -90..90, longitude -180..180) are checked
here too, so the reason names what is wrong.

- Kobo/ODK geopoints (``read_geopoint``): ODK's ``"lat lon alt acc"`` string (altitude and accuracy
  optional), ``"lat,lon"`` / ``"lat, lon"``, Kobo's ``_geolocation`` array ``[lat, lon]`` (numbers
  or strings, extra altitude/accuracy ignored), objects ``{"lat", "lon"}`` (also ``lng``,
  ``latitude``/``longitude``) and GeoJSON ``{"type": "Point", "coordinates": [lon, lat]}``.
  ``[null, null]``, ``""`` and ``null`` mean "no position".
- SMS words (``read_sms_position``): ``lat lon`` (decimal point or decimal comma), ``lat,lon``
  and ``lat, lon``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

Position = tuple[float, float]

_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_NUMBER_POINT = re.compile(rf"^{_DECIMAL}$")
_NUMBER_POINT_OR_COMMA = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
# Two decimals glued by a comma: "-8.31,-74.10" (with decimal points, so "-8,3" stays a decimal comma).
_GLUED = re.compile(r"([+-]?\d+\.\d+),([+-]?\d+\.\d+)")
# A word a sender meant as a coordinate but wrote otherwise ("-8.31,-74.10humo", "-8,31,-74,10").
_LOOKS_LIKE_COORDINATE = re.compile(r"^[+-]?\d+[.,]\d|^[+-]\d")

RANGE = (
    "fuera de rango: latitud de -90 a 90, longitud de -180 a 180 / out of range: latitude -90 to "
    "90, longitude -180 to 180"
)
SHAPES = (
    'se espera "lat lon" (ODK), "lat,lon", [lat, lon], {"lat": .., "lon": ..} o un Point GeoJSON / '
    'expected "lat lon" (ODK), "lat,lon", [lat, lon], {"lat": .., "lon": ..} or a GeoJSON Point'
)


class PositionError(ValueError):
    """The value was meant as a position and cannot be read; the message says why."""


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PositionError(f"coordenada no numérica / coordinate is not a number: {value!r}")
    if isinstance(value, str):
        if not _NUMBER_POINT.match(value.strip()):
            raise PositionError(f"coordenada no numérica / coordinate is not a number: {value!r}")
        value = float(value)
    number = float(value)
    if not math.isfinite(number):
        raise PositionError(f"coordenada no numérica / coordinate is not a number: {value!r}")
    return number


def _pair(latitude: Any, longitude: Any) -> Position:
    lat, lon = _number(latitude), _number(longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PositionError(f"{RANGE}: {lat}, {lon}")
    return lat, lon


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Sequence) and not isinstance(value, str):
        return all(item is None or (isinstance(item, str) and not item.strip()) for item in value)
    if isinstance(value, Mapping):
        return not value
    return False


def _from_text(text: str) -> Position:
    text = text.strip()
    if ";" in text:
        raise PositionError(
            "es una línea o un polígono (geotrace/geoshape), no un punto / it is a line or a "
            "polygon (geotrace/geoshape), not a point"
        )
    parts = [part for part in re.split(r"[,\s]+", text) if part]
    if len(parts) < 2:
        raise PositionError(f"falta la longitud / the longitude is missing: {text!r}")
    if "," in text and len(parts) != 2:
        raise PositionError(f"{SHAPES}: {text!r}")
    if len(parts) > 4:
        raise PositionError(f"{SHAPES}: {text!r}")
    return _pair(parts[0], parts[1])


def _from_mapping(value: Mapping[str, Any]) -> Position:
    if value.get("type") == "Point" and isinstance(value.get("coordinates"), Sequence):
        coordinates = value["coordinates"]
        if len(coordinates) < 2:
            raise PositionError(
                f"Point sin longitud y latitud / Point without lon and lat: {value}"
            )
        return _pair(coordinates[1], coordinates[0])  # GeoJSON is lon, lat
    keys = {str(key).lower(): item for key, item in value.items()}
    latitude = next((keys[k] for k in ("lat", "latitude", "latitud") if k in keys), None)
    longitude = next(
        (keys[k] for k in ("lon", "lng", "long", "longitude", "longitud") if k in keys), None
    )
    if latitude is None or longitude is None:
        raise PositionError(f"{SHAPES}: {dict(value)!r}"[:300])
    return _pair(latitude, longitude)


def read_geopoint(value: Any) -> Position | None:
    """A Kobo/ODK geopoint as ``(lat, lon)``; ``None`` for no position; ``PositionError`` with the
    reason for a value that cannot be read as one point."""
    if _empty(value):
        return None
    if isinstance(value, str):
        return _from_text(value)
    if isinstance(value, Mapping):
        return _from_mapping(value)
    if isinstance(value, Sequence):
        if len(value) < 2 or value[1] is None:
            raise PositionError(f"falta la longitud / the longitude is missing: {list(value)!r}")
        if any(isinstance(item, Sequence) and not isinstance(item, str) for item in value):
            raise PositionError(
                "es una lista de puntos, no un punto / it is a list of points, not a point"
            )
        return _pair(value[0], value[1])
    raise PositionError(f"{SHAPES}: {value!r}"[:300])


def _sms_number(word: str) -> float:
    return float(word.replace(",", "."))


TOGETHER = "Envíe latitud y longitud juntas (ej: -8.31 -74.10 o -8.31,-74.10), o ninguna."


def read_sms_position(words: Sequence[str]) -> tuple[Position | None, int]:
    """The position at the start of ``words`` (the SMS after the severity) and how many words it
    took: ``lat lon`` (decimal point or comma), ``lat,lon`` or ``lat, lon``. ``(None, 0)`` when the
    words do not start with a number; ``PositionError`` (a Spanish correction) when they start with
    one that cannot be read as a pair in range, a lone number included."""
    if not words:
        return None, 0
    first, second = words[0], words[1] if len(words) > 1 else ""
    glued = _GLUED.fullmatch(first)
    if _NUMBER_POINT_OR_COMMA.match(first) and _NUMBER_POINT_OR_COMMA.match(second):
        position, used = (
            (_sms_number(first), _sms_number(second)),
            2,
        )  # "-8.31 -74.10", "-8,3 -74,1"
    elif glued:  # "-8.31,-74.10"
        position, used = (float(glued[1]), float(glued[2])), 1
    elif first.endswith(",") and _NUMBER_POINT.match(first[:-1]) and _NUMBER_POINT.match(second):
        position, used = (float(first[:-1]), float(second)), 2  # "-8.31, -74.10"
    elif _NUMBER_POINT_OR_COMMA.match(first) or _LOOKS_LIKE_COORDINATE.match(first):
        raise PositionError(f"{TOGETHER} No se pudo leer '{first[:30]}'.")
    else:
        return None, 0
    latitude, longitude = position
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise PositionError("Coordenadas fuera de rango: latitud -90 a 90, longitud -180 a 180.")
    return position, used
