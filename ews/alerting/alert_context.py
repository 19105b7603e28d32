"""The fact-sheet context an alert carries: its category, the institutions it is routed to, and the
prototype block the category serves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ews.models import CategoryContext, FactsheetItem, Institution


class ContextBuilder:
    """The fact-sheet context of an alert: the category, the routed institutions with their role
    and mandate, and the prototype block the category serves. Reads each row once."""

    def __init__(self, session: Session) -> None:
        self.categories = {
            c.category: c for c in session.execute(select(CategoryContext)).scalars()
        }
        self.institutions = {i.code: i for i in session.execute(select(Institution)).scalars()}
        self.blocks = {
            b.code: b
            for b in session.execute(
                select(FactsheetItem).where(FactsheetItem.kind == "prototype_block")
            ).scalars()
        }
        self._cache: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}

    def build(self, category: str, institutions: Sequence[str]) -> dict[str, Any]:
        key = (category, tuple(institutions))
        if key not in self._cache:
            self._cache[key] = self._build(category, institutions)
        return self._cache[key]

    def _build(self, category: str, institutions: Sequence[str]) -> dict[str, Any]:
        context: dict[str, Any] = {"category": {"code": category}}
        row = self.categories.get(category)
        if row is not None:
            context["category"] = {
                "code": category,
                "name_es": row.name_es,
                "name_en": row.name_en,
                "action_es": row.action_es,
                "action_en": row.action_en,
            }
            block = self.blocks.get(row.prototype_block)
            context["prototype_block"] = {
                "code": row.prototype_block,
                "title_es": block.title_es if block else None,
                "title_en": block.title_en if block else None,
                "summary_es": block.summary_es if block else None,
                "summary_en": block.summary_en if block else None,
            }
        context["institutions"] = [
            {
                "code": code,
                "acronym": inst.acronym,
                "name_es": inst.name_es,
                "name_en": inst.name_en,
                "role_es": inst.role_es,
                "role_en": inst.role_en,
                "mandate_es": inst.mandate_es,
                "mandate_en": inst.mandate_en,
            }
            for code in institutions
            if (inst := self.institutions.get(code)) is not None
        ]
        return context
