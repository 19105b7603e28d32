"""Small helpers shared by tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The OASIS CAP 1.2 schema, kept in the repository (standards/README.md has its licence note).
CAP_XSD = REPO / "standards" / "CAP-v1.2.xsd"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
