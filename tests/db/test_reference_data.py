from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ews.models import (
    ActionType,
    Community,
    Contact,
    FactsheetItem,
    IndicatorRule,
    Institution,
    RoutingRule,
)
from ews.reference.loader import FixtureError, load_reference_data
from indicators import CATALOG
from indicators.geometry import area_ha
from tests.support.paths import FIXTURES_DIR

DESIGN_INSTITUTIONS = {
    "DEVIDA",
    "APCI",
    "EU_DELEGATION",
    "PE_MISSION_EU",
    "OPD",
    "DILA_PNP",
    "MINJUS",
    "DP",
    "MINAM",
    "MPFN",
    "UIF",
    "SBS",
    "LG_CORONEL_PORTILLO",
    "LG_LIMA_PERIURBAN",
}


def test_every_institution_of_the_design_is_loaded_with_its_parent(db: Session) -> None:
    codes = set(db.execute(select(Institution.code)).scalars())
    assert codes >= DESIGN_INSTITUTIONS
    assert db.get(Institution, "OPD").parent_code == "DEVIDA"
    assert db.get(Institution, "UIF").parent_code == "SBS"
    assert db.get(Institution, "DEVIDA").parent_code == "PCM"
    assert db.get(Institution, "DEVIDA").role == "focal_point"
    assert db.get(Institution, "MINJUS").role == "collaborating"


def test_mandates_follow_the_routing_matrix(db: Session) -> None:
    for rule in db.execute(select(RoutingRule).where(RoutingRule.role != "national")).scalars():
        assert rule.category in db.get(Institution, rule.institution_code).mandates


def test_national_escalation_is_data(db: Session) -> None:
    national = db.execute(select(RoutingRule).where(RoutingRule.role == "national")).scalars()
    assert {(rule.category, rule.institution_code) for rule in national} == {
        ("*", "MINJUS"),
        ("*", "DP"),
    }


def test_working_groups_carry_the_fact_sheet_country_counts(db: Session) -> None:
    counts = (
        db.execute(
            select(FactsheetItem.country_count)
            .where(FactsheetItem.kind == "working_group")
            .order_by(FactsheetItem.position)
        )
        .scalars()
        .all()
    )
    assert counts == [28, 26, 21, 17, 22, 17, 13]


def test_four_prototype_blocks_and_the_national_actions(db: Session) -> None:
    kinds = dict(
        db.execute(select(FactsheetItem.kind, func.count()).group_by(FactsheetItem.kind)).all()
    )
    assert kinds["prototype_block"] == 4
    assert kinds["national_action"] >= 3
    assert kinds["regional_initiative"] >= 3


def test_flor_de_ucayali_has_its_illustrative_boundary_and_a_5_km_ring(db: Session) -> None:
    community = db.get(Community, "flor-de-ucayali")
    assert community.boundary_source == "illustrative"
    assert community.ubigeo == "250101"
    territory = shape(community.boundary)
    ring = shape(community.buffer)
    assert territory.bounds == pytest.approx((-74.15, -8.39, -74.01, -8.26))
    assert 20_000 < area_ha(community.boundary) < 23_500  # "about 21,000 ha"
    assert not ring.intersects(territory.buffer(-1e-6))  # the ring excludes the territory
    # 4 km east of the eastern edge is in the ring; 6 km east is outside it.
    assert ring.contains(Point(-74.01 + 4 / 110.0, -8.33))
    assert not ring.contains(Point(-74.01 + 6 / 110.0, -8.33))


def test_demo_contacts_use_the_reserved_domain(db: Session) -> None:
    contacts = db.execute(select(Contact)).scalars().all()
    by_institution = {(c.institution_code, c.scope): c.address for c in contacts if c.active}
    assert all(c.channel == "email" for c in contacts if c.active)
    for code in ("MINJUS", "DP", "MINAM", "DEVIDA"):
        assert by_institution[(code, "regional")] == f"alertas@{code.lower()}.example.org"
        assert by_institution[(code, "national")] == f"nacional@{code.lower()}.example.org"
    assert all(c.region_ubigeo == "25" for c in contacts if c.scope == "regional")


def test_indicator_thresholds_are_data(db: Session) -> None:
    rule = db.get(IndicatorRule, "deforestation_ha")
    assert (rule.window_days, rule.warning, rule.high, rule.critical) == (30, 5, 20, 50)
    assert rule.params["confidence_weights"] == {"highest": 1.0, "high": 0.8, "nominal": 0.5}
    assert db.execute(select(func.count()).select_from(IndicatorRule)).scalar_one() == len(CATALOG)


def test_loading_twice_changes_nothing(db: Session) -> None:
    report = load_reference_data(db, FIXTURES_DIR)
    assert report.changed == 0
    assert sum(report.unchanged.values()) > 50


def test_an_edited_fixture_updates_its_rows(db: Session, tmp_path: Path) -> None:
    edited = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, edited)
    rules = yaml.safe_load((edited / "indicators.yaml").read_text())
    rules["indicators"][1]["warning"] = 7
    (edited / "indicators.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True))
    contacts = yaml.safe_load((edited / "contacts.yaml").read_text())
    contacts["contacts"] = [c for c in contacts["contacts"] if c["code"] != "minam-national-email"]
    (edited / "contacts.yaml").write_text(yaml.safe_dump(contacts, allow_unicode=True))

    report = load_reference_data(db, edited)

    assert report.updated == {"indicator_rule": 1}
    assert report.removed == {"contact": 1}
    assert db.get(IndicatorRule, "deforestation_ha").warning == 7
    removed = db.execute(select(Contact).where(Contact.code == "minam-national-email")).scalar_one()
    assert removed.active is False


def test_a_broken_fixture_names_the_file_and_entry(db: Session, tmp_path: Path) -> None:
    broken = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, broken)
    data = yaml.safe_load((broken / "communities.yaml").read_text())
    del data["communities"][0]["ubigeo"]
    (broken / "communities.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(FixtureError, match=r"communities.yaml: flor-de-ucayali.*ubigeo"):
        load_reference_data(db, broken)


def test_the_action_catalog_is_data_per_routed_institution(db: Session) -> None:
    types = db.execute(select(ActionType).where(ActionType.active)).scalars().all()
    by_institution: dict[str, set[str]] = {}
    for row in types:
        by_institution.setdefault(row.institution_code, set()).add(row.code)
    assert {"protection_measures_requested", "protection_measures_granted"} <= by_institution[
        "MINJUS"
    ]
    assert {"field_visit", "official_letter"} <= by_institution["DP"]
    assert {"joint_patrol", "inspection"} <= by_institution["MINAM"]
    assert {
        "eradication_coordination",
        "alternative_development_coordination",
    } <= by_institution["DEVIDA"]
    # PNP and MPFN receive no alerts: their actions are recorded by the routed institution.
    filed = next(
        r for r in types if r.institution_code == "MINJUS" and r.code == "mpfn_complaint_filed"
    )
    assert (filed.about_code, filed.label_es) == ("MPFN", "Denuncia ante el MPFN presentada")
    routed = set(db.execute(select(RoutingRule.institution_code)).scalars())
    assert set(by_institution) <= routed


def test_an_action_taken_out_of_the_catalog_stays_readable_but_inactive(
    db: Session, tmp_path: Path
) -> None:
    edited = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, edited)
    data = yaml.safe_load((edited / "actions.yaml").read_text())
    data["institutions"][1]["actions"] = data["institutions"][1]["actions"][1:]  # DP's field_visit
    (edited / "actions.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))

    report = load_reference_data(db, edited)

    assert report.removed == {"action_type": 1}
    visit = db.execute(
        select(ActionType).where(
            ActionType.institution_code == "DP", ActionType.code == "field_visit"
        )
    ).scalar_one()
    assert (visit.active, visit.label_es) == (False, "Visita a la comunidad")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["institutions"][0].update(institution="NOPE"),
            r"actions.yaml: NOPE.*unknown institution",
        ),
        (
            lambda d: d["institutions"][0]["actions"][0].pop("label_en"),
            r"actions.yaml: MINJUS -> protection_measures_requested.*label_en",
        ),
        (
            lambda d: d["institutions"][0]["actions"].append(d["institutions"][0]["actions"][0]),
            r"actions.yaml: MINJUS -> protection_measures_requested.*duplicate code",
        ),
        (
            lambda d: d["institutions"][0]["actions"][0].update(about="XX"),
            r"'about' names an unknown institution 'XX'",
        ),
    ],
)
def test_a_broken_action_catalog_names_the_entry(
    db: Session, tmp_path: Path, edit: Any, message: str
) -> None:
    broken = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, broken)
    data = yaml.safe_load((broken / "actions.yaml").read_text())
    edit(data)
    (broken / "actions.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(FixtureError, match=message):
        load_reference_data(db, broken)
