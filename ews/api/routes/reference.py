"""Reference data of the fact sheet: institutions, communities (GeoJSON) and the fact sheet."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select

from ews.api.deps import SessionDep, get_principal
from ews.models import ActionType, Community, FactsheetItem, Institution

router = APIRouter(
    prefix="/api/v1/reference", tags=["reference"], dependencies=[Depends(get_principal)]
)


class InstitutionOut(BaseModel):
    code: str
    acronym: str
    name_es: str
    name_en: str
    role: str
    role_es: str
    role_en: str
    parent_code: str | None
    mandates: list[str]
    mandate_es: str | None
    mandate_en: str | None


class InstitutionPage(BaseModel):
    items: list[InstitutionOut]
    next: str | None = None


class Feature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class FactsheetItemOut(BaseModel):
    code: str
    area: str | None
    title_es: str
    title_en: str
    summary_es: str | None
    summary_en: str | None
    institutions: list[str]
    country_count: int | None
    extra: dict[str, Any]


class Factsheet(BaseModel):
    source: str
    policy: list[FactsheetItemOut]
    national_actions: list[FactsheetItemOut]
    regional_initiatives: list[FactsheetItemOut]
    working_groups: list[FactsheetItemOut]
    prototype_blocks: list[FactsheetItemOut]


@router.get(
    "/institutions",
    response_model=InstitutionPage,
    summary="Instituciones de la ficha país / Institutions of the fact sheet",
)
def list_institutions(session: SessionDep) -> InstitutionPage:
    rows = session.execute(select(Institution).order_by(Institution.code)).scalars()
    return InstitutionPage(
        items=[InstitutionOut.model_validate(row, from_attributes=True) for row in rows]
    )


def community_features(community: Community) -> list[Feature]:
    """The territory and its buffer ring as two GeoJSON features."""
    common = {
        "code": community.code,
        "name": community.name,
        "people": community.people,
        "region": community.region,
        "province": community.province,
        "district": community.district,
        "ubigeo": community.ubigeo,
        "boundary_source": community.boundary_source,
        "synthetic": community.synthetic,
    }
    return [
        Feature(
            id=f"{community.code}:territory",
            geometry=community.boundary,
            properties={**common, "zone": "territory", "titled_area_ha": community.titled_area_ha},
        ),
        Feature(
            id=f"{community.code}:buffer",
            geometry=community.buffer,
            properties={**common, "zone": "buffer", "buffer_m": community.buffer_m},
        ),
    ]


@router.get(
    "/communities",
    response_model=FeatureCollection,
    summary="Territorios y zonas de amortiguamiento (GeoJSON) / Territories and buffers (GeoJSON)",
)
def list_communities(session: SessionDep) -> FeatureCollection:
    rows = session.execute(select(Community).order_by(Community.code)).scalars()
    return FeatureCollection(
        features=[feature for row in rows for feature in community_features(row)]
    )


_SECTIONS = {
    "policy": "policy",
    "national_action": "national_actions",
    "regional_initiative": "regional_initiatives",
    "working_group": "working_groups",
    "prototype_block": "prototype_blocks",
}


@router.get(
    "/factsheet", response_model=Factsheet, summary="Ficha país COPOLAD / COPOLAD fact sheet"
)
def factsheet(session: SessionDep) -> Factsheet:
    sections: dict[str, list[FactsheetItemOut]] = {name: [] for name in _SECTIONS.values()}
    rows = session.execute(select(FactsheetItem).order_by(FactsheetItem.position)).scalars()
    for row in rows:
        section = _SECTIONS.get(row.kind)
        if section is None:
            continue
        sections[section].append(
            FactsheetItemOut(
                code=row.code,
                area=row.area,
                title_es=row.title_es,
                title_en=row.title_en,
                summary_es=row.summary_es,
                summary_en=row.summary_en,
                institutions=row.institution_codes,
                country_count=row.country_count,
                extra=row.extra,
            )
        )
    return Factsheet(source="COPOLAD country fact sheet: Peru", **sections)


class ActionTypeOut(BaseModel):
    institution: str  # who records it
    code: str
    label_es: str
    label_en: str
    about: str | None  # the institution that carries it out, when another one (PNP, MPFN)


class ActionTypePage(BaseModel):
    items: list[ActionTypeOut]
    next: str | None = None


@router.get(
    "/actions",
    response_model=ActionTypePage,
    summary="Catálogo de acciones por institución / Action catalog per institution",
)
def list_action_types(session: SessionDep, institution: str | None = None) -> ActionTypePage:
    """The action types each institution may record on alerts routed to it
    (``fixtures/actions.yaml``); ``institution`` narrows to one."""
    query = select(ActionType).where(ActionType.active)
    if institution is not None:
        query = query.where(ActionType.institution_code == institution)
    rows = session.execute(
        query.order_by(ActionType.institution_code, ActionType.position)
    ).scalars()
    return ActionTypePage(
        items=[
            ActionTypeOut(
                institution=r.institution_code,
                code=r.code,
                label_es=r.label_es,
                label_en=r.label_en,
                about=r.about_code,
            )
            for r in rows
        ]
    )
