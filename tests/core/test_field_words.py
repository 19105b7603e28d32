"""The words a person reads for a field that fails its type (``ews.fields.field_errors``)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationError

from ews.fields import Text, field_errors


class _Verdict(BaseModel):
    note: Text | None = Field(default=None, max_length=5)
    photos: list[int] = Field(default_factory=list, max_length=2)


def _messages(**values: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        _Verdict.model_validate(values)
    return {e["field"]: e["message"] for e in field_errors(caught.value.errors())}


def test_a_text_too_long_says_text_and_its_limit_not_items() -> None:
    assert _messages(note="x" * 6) == {
        "note": "texto demasiado largo: como máximo 5 caracteres / text too long: at most 5 characters"
    }


def test_a_list_too_long_says_items() -> None:
    assert _messages(photos=[1, 2, 3]) == {"photos": "demasiados elementos / too many items"}


class _Contact(BaseModel):
    phone: Text = Field(min_length=6)
    codes: list[int] = Field(min_length=1)


def test_a_text_too_short_says_text_and_its_limit_not_items() -> None:
    with pytest.raises(ValidationError) as caught:
        _Contact.model_validate({"phone": "12", "codes": []})
    assert {e["field"]: e["message"] for e in field_errors(caught.value.errors())} == {
        "phone": "texto demasiado corto: al menos 6 caracteres / text too short: at least 6 characters",
        "codes": "faltan elementos / too few items",
    }
