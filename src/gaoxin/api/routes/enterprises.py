"""Enterprise-level reads (scoped by ``services.access``): the list, one enterprise, near misses, the tier
funnel, innovation points (docs/api.md).  Out-of-scope rows answer 404 like missing ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from gaoxin.api.deps import access, require
from gaoxin.api.errors import forbidden
from gaoxin.api.routes._models import EnterprisePage, Page, doc
from gaoxin.api.routes._read import ENTERPRISE_ROLES, call, check_zone, json_response, no_published_only, view

if TYPE_CHECKING:
    from gaoxin.services import Store
    from gaoxin.services.access import Access

router = APIRouter(prefix="/api/v1", tags=["enterprises"])
YEAR = Query(None, ge=1949, le=2100)
CODE = r"^[0-9A-Za-z]{1,18}$"


@router.get("/enterprises", responses=doc(EnterprisePage), summary="企业列表（按权限）/ enterprises in scope")
def enterprises(zone: str | None = Query(None, max_length=40), q: str | None = Query(None, max_length=100),
                tier: str | None = Query(None, max_length=40), grade: str | None = Query(None, max_length=4),
                year: int | None = YEAR, sort: str = Query("revenue", max_length=40),
                order: Literal["asc", "desc"] = "desc", page: int = Query(1, ge=1, le=10**6),
                page_size: int = Query(50, ge=1, le=500), s: Store = Depends(view),
                a: Access = Depends(require(*ENTERPRISE_ROLES))) -> Response:
    from gaoxin.services import enterprises as en

    return json_response(call(en.list_enterprises, s, a, zone=zone, q=q, tier=tier, grade=grade, year=year,
                              sort=sort, order=order, page=page, page_size=page_size))


@router.get("/enterprises/{credit_code}", summary="企业详情与梯度依据 / one enterprise and its tier evidence")
def enterprise(credit_code: str, year: int | None = YEAR,
               years: str | None = Query(None, pattern=r"^(all|\d{4}(,\d{4}){0,29})$",
                                         description="all, or years 2022,2023: adds by_year (evidence per year)"),
               s: Store = Depends(view), a: Access = Depends(require(*ENTERPRISE_ROLES))) -> Response:
    from gaoxin.services import enterprises as en

    out = call(en.enterprise, s, a, credit_code, year)
    if years is not None:
        out = {**out, "by_year": by_year(s, a, credit_code, out, years)}
    return json_response(out)


def by_year(s: Store, a: Access, credit_code: str, first: dict, years: str) -> list[dict]:
    """The tier evidence of every requested year the firm has a row in (``all``: each of its years), oldest
    first, each with the tiers it met: one service call per year, scoped like the single year (decision 0035)."""
    from gaoxin.services import enterprises as en

    have = sorted({int(r["year"]) for r in first["years"] if r.get("year") is not None})
    want = have if years == "all" else [y for y in have if y in {int(x) for x in years.split(",")}]
    out = []
    for y in want:
        tiers = first["tiers"] if first["tiers"] and first["tiers"][0]["year"] == y else call(
            en.enterprise, s, a, credit_code, y)["tiers"]
        out.append({"year": y, "met": [t["tier"] for t in tiers if t["status"] == "pass"], "tiers": tiers})
    return out


@router.get("/zones/{zone}/near-miss", summary="差一项培育名单 / near-miss cultivation list")
def near_miss(zone: str, year: int | None = YEAR, tier: str | None = Query(None, max_length=40),
              s: Store = Depends(view), a: Access = Depends(require(*ENTERPRISE_ROLES))) -> Response:
    from gaoxin.services import enterprises as en

    return json_response(call(en.near_miss, s, a, zone, year, tier))


@router.get("/zones/{zone}/tiers", summary="梯度漏斗（计数经保密处理）/ tier funnel (counts protected)")
def tiers(zone: str, year: int | None = YEAR, s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import funnel

    no_published_only(a)
    check_zone(s, zone)
    return json_response(call(funnel.zone_tiers_for, s, a, zone, year))


@router.get("/points", responses=doc(Page),
            summary="创新积分名单 / innovation points (bank: published lists of its zones)")
def points(zone: str | None = Query(None, max_length=40), year: int | None = YEAR,
           page: int = Query(1, ge=1, le=10**6), page_size: int = Query(50, ge=1, le=500),
           s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import enterprises as en

    return json_response(call(en.points_list, s, a, zone, year, page, page_size, bank_zones=bank_zones(s, a)))


def bank_zones(s: Store, a: Access) -> frozenset[str] | None:
    """For a bank: its zones (the service keeps their published lists only); None for other roles.

    A viewer, and a bank with no zones, get 403: nothing at enterprise level is theirs."""
    if a.role == "viewer" or (a.role == "bank" and not a.zones):
        raise forbidden()
    return frozenset(a.zones) if a.role == "bank" else None
