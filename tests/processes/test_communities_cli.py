"""``ews communities synthetic`` and ``ews communities import`` as a user runs them (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

from ews.settings import Settings
from tests.support.boundary_files import standard_features, write_features
from tests.support.processes import ews_env, run_ews


def test_the_synthetic_set_imports_once_and_a_second_import_changes_nothing(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    env = ews_env(fresh_settings.database_url)
    out = tmp_path / "nacional.gpkg"
    run_ews("communities", "synthetic", "--count", "30", "--out", str(out), env=env, check=True)
    assert out.exists()

    first = run_ews("communities", "import", str(out), env=env, check=True)
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["added"] == 30
    assert summary["rejected"] == 0
    assert summary["source"].startswith("nacional.gpkg · capa comunidades_sinteticas · ")
    assert "añadidas / added" in first.stderr

    second = run_ews("communities", "import", str(out), env=env, check=True)
    again = json.loads(second.stdout.strip().splitlines()[-1])
    assert (again["added"], again["unchanged"], again["geometry_changed"]) == (0, 30, 0)


def test_a_bad_feature_is_listed_while_the_others_load(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    env = ews_env(fresh_settings.database_url)
    path = write_features(tmp_path / "oficial.shp.zip", standard_features())
    result = run_ews(
        "communities", "import", str(path), "--source", "MINCUL 2026", env=env, check=True
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["added"], summary["repaired"], summary["rejected"]) == (3, 1, 1)
    assert summary["errors"] == [
        {"index": 3, "code": None, "reason": "no_code", "error": "sin código / no code"}
    ]
    assert "índice / index 3" in " ".join(result.stderr.split())


def test_a_file_that_cannot_be_read_or_mapped_stops_with_one_line(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    env = ews_env(fresh_settings.database_url)
    text = tmp_path / "notas.geojson"
    text.write_text("no es un archivo de límites", encoding="utf-8")
    broken = run_ews("communities", "import", str(text), env=env)
    assert broken.returncode == 2
    assert "notas.geojson" in broken.stderr
    assert "Traceback" not in broken.stderr

    good = write_features(tmp_path / "a.geojson", standard_features())
    unmapped = run_ews("communities", "import", str(good), "--code-field", "cod_cn", env=env)
    assert unmapped.returncode == 2
    assert "cod_cn" in unmapped.stderr
    assert "Traceback" not in unmapped.stderr
