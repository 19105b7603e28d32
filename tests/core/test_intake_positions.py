"""Positions in every shape senders write them (pure): read, or refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from ews.intake.positions import PositionError, read_geopoint, read_sms_position


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-8.31 -74.10 120.5 4.8", (-8.31, -74.10)),  # ODK geopoint: lat lon alt acc
        ("-8.31 -74.10", (-8.31, -74.10)),
        ("  -8.31   -74.10  ", (-8.31, -74.10)),
        ("-8.31,-74.10", (-8.31, -74.10)),
        ("-8.31, -74.10", (-8.31, -74.10)),
        ([-8.31, -74.10], (-8.31, -74.10)),  # Kobo _geolocation
        (["-8.31", "-74.10"], (-8.31, -74.10)),
        ([-8.31, -74.10, 120, 5], (-8.31, -74.10)),
        ({"lat": -8.31, "lon": -74.10}, (-8.31, -74.10)),
        ({"latitude": "-8.31", "longitude": "-74.10"}, (-8.31, -74.10)),
        ({"lat": -8.31, "lng": -74.10}, (-8.31, -74.10)),
        ({"type": "Point", "coordinates": [-74.10, -8.31, 120]}, (-8.31, -74.10)),  # GeoJSON
        (None, None),
        ("", None),
        ("   ", None),
        ([None, None], None),  # Kobo's _geolocation when the form has no geopoint
        ([], None),
        ({}, None),
    ],
)
def test_every_geopoint_shape_is_read(value: Any, expected: Any) -> None:
    assert read_geopoint(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([-8.3], "falta la longitud"),
        ("-8.3", "falta la longitud"),
        ([-8.3, None], "falta la longitud"),
        ({"lat": -8.3}, "se espera"),
        ({"x": 1, "y": 2}, "se espera"),
        ("-8.3 -74.1 0 0;-8.4 -74.2 0 0", "geotrace/geoshape"),
        ([[-8.3, -74.1], [-8.4, -74.2]], "lista de puntos"),
        ("norte del río", "no numérica"),
        ([True, False], "no numérica"),
        (["nan", "-74"], "no numérica"),
        ([95, -74], "fuera de rango"),
        ("-8.3 -190", "fuera de rango"),
        (42, "se espera"),
        ({"type": "Point", "coordinates": [-74.1]}, "Point sin"),
    ],
)
def test_an_unreadable_geopoint_says_why(value: Any, words: str) -> None:
    with pytest.raises(PositionError) as caught:
        read_geopoint(value)
    assert words in str(caught.value)
    assert " / " in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-8.31 -74.10 humo", ((-8.31, -74.10), 2)),
        ("-8,31 -74,10", ((-8.31, -74.10), 2)),
        ("-8.31,-74.10 humo", ((-8.31, -74.10), 1)),
        ("-8.31, -74.10 humo", ((-8.31, -74.10), 2)),
        ("8.31,74.10", ((8.31, 74.10), 1)),
        ("humo en la quebrada", (None, 0)),
        ("3km al norte", (None, 0)),
        ("", (None, 0)),
    ],
)
def test_sms_positions(text: str, expected: Any) -> None:
    assert read_sms_position(text.split()) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("-8.31", "juntas"),
        ("-8.31 humo", "juntas"),
        ("20 hombres", "juntas"),
        ("-8.31,-74.10humo", "No se pudo leer"),
        ("-8,31,-74,10", "No se pudo leer"),
        ("-98.3 -74.1", "fuera de rango"),
        ("-8.3,-200.1", "fuera de rango"),
    ],
)
def test_sms_position_corrections(text: str, words: str) -> None:
    with pytest.raises(PositionError) as caught:
        read_sms_position(text.split())
    assert words in str(caught.value)
