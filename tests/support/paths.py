"""Where things are in the repository."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES_DIR = REPO / "fixtures"
# The OASIS CAP 1.2 schema, kept in the repository (standards/README.md has its licence note).
CAP_XSD = REPO / "standards" / "CAP-v1.2.xsd"
