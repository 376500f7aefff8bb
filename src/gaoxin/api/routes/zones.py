"""Zones and evaluations: meta, zone list, stored evaluations, rankings, the overview page, a zone's profile
and the explanation of its rank change (docs/api.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from gaoxin.api.deps import access
from gaoxin.api.routes._models import Overview, Profile, Ranking, doc
from gaoxin.api.routes._read import call, check_zone, evaluation_id, json_response, sees_zone, view

if TYPE_CHECKING:
    from gaoxin.services import Store
    from gaoxin.services.access import Access

router = APIRouter(prefix="/api/v1", tags=["zones"])


@router.get("/meta", summary="版本、年份、指标体系、最新评价 / version, years, frameworks, latest evaluations")
def meta(s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    return json_response(overview.meta(s, published_only=a.published_only))


@router.get("/zones", summary="园区列表 / zones")
def zones(s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    return json_response(overview.zones(s))


@router.get("/evaluations", summary="已存评价 / stored evaluations")
def evaluations(s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    return json_response(overview.evaluations(s, published_only=a.published_only))


@router.get("/evaluations/{eid}/ranking", responses=doc(Ranking), summary="排名 / ranking of an evaluation")
def ranking(eid: int, region: str | None = Query(None, max_length=20),
            province: str | None = Query(None, pattern=r"^\d{2}(\d{4})?$"),
            type: str | None = Query(None, max_length=40),
            s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    eid = evaluation_id(s, a, eid)
    return json_response(call(overview.ranking, s, eid, region=region, province=province, zone_type=type))


@router.get("/overview", responses=doc(Overview),
            summary="总览：关键指标、省份方格图、区域 / key figures, province tiles, regions")
def overview_page(evaluation: int | None = None, s: Store = Depends(view),
                  a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    return json_response(call(overview.overview, s, evaluation_id(s, a, evaluation), published_only=a.published_only,
                              access=a))


@router.get("/zones/{zone}/profile", responses=doc(Profile), summary="园区画像 / zone profile")
def profile(zone: str, evaluation: int | None = None, s: Store = Depends(view),
            a: Access = Depends(access)) -> Response:
    from gaoxin.services import profile as p

    eid = evaluation_id(s, a, evaluation)
    out = call(p.profile_for, s, a, eid, zone)
    return json_response({**out, "plan": p.plan(s, out["evaluation"]["year"], zone, out["evaluation"]["snapshot"])})


@router.get("/zones/{zone}/explanation", summary="排名变化解释 / why the rank changed")
def explanation(zone: str, evaluation: int | None = None, s: Store = Depends(view),
                a: Access = Depends(access)) -> Response:
    from gaoxin.services import profile as p

    check_zone(s, zone)
    eid = evaluation_id(s, a, evaluation)
    return json_response(call(p.explanation, s, eid, zone, with_firms=sees_zone(s, a, zone),
                              sees_all=a.sees_all_enterprises))
