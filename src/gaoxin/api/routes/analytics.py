"""Zone analytics: industry structure, chains, 亩均 (with the price simulation), plan monitoring
(docs/api.md).  Enterprise rows inside these views (leads, firms) pass ``services.access``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gaoxin.api.deps import access, require
from gaoxin.api.errors import ApiError, not_found
from gaoxin.api.routes._read import (
    ENTERPRISE_ROLES,
    call,
    check_zone,
    json_response,
    no_published_only,
    sees_zone,
    view,
)

if TYPE_CHECKING:
    from gaoxin.services import Store
    from gaoxin.services.access import Access

router = APIRouter(prefix="/api/v1", tags=["analytics"])
YEAR = Query(None, ge=1949, le=2100)


def _year(s: Store, year: int | None) -> int:
    from gaoxin.services import overview

    if year is not None:
        return year
    y = overview.meta(s)["latest_year"]
    if y is None:
        raise not_found("企业数据", "enterprise data")
    return int(y)


@router.get("/zones/{zone}/industry", summary="产业结构、区位商、主导产业 / industry structure")
def industry(zone: str, year: int | None = YEAR, level: str = Query("division", pattern="^(section|division|group)$"),
             s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import analytics_view

    no_published_only(a)
    check_zone(s, zone)
    return json_response(analytics_view.industry(s, a, zone, _year(s, year), level))


@router.get("/chains", summary="产业链列表 / chains")
def chains(a: Access = Depends(access)) -> Response:
    from gaoxin.services.chains import list_chains

    return json_response([{"id": c["id"], "name_zh": c["name_zh"], "name_en": c["name_en"]} for c in list_chains()])


def viewer_of(a: Access, zone: str, zone_province: str | None) -> str | None:
    """The chains service's viewer for ``a`` looking at ``zone``; None when the role may not see it at all."""
    if a.role in ("admin", "national"):
        return "national"
    if a.role == "province" and a.provinces:
        own = zone_province[:2] if zone_province and zone_province[:2] in a.provinces else sorted(a.provinces)[0]
        return f"province:{own}"
    if a.role == "zone":
        return f"zone:{zone}" if zone in a.zones else None
    return None


@router.get("/zones/{zone}/chains/{chain}", summary="产业链补链强链与招商线索 / chain gaps and leads")
def chain(zone: str, chain: str, year: int | None = YEAR, s: Store = Depends(view),
          a: Access = Depends(access)) -> Response:
    from gaoxin.services import analytics_view, overview

    no_published_only(a)
    z = next((x for x in overview.zones(s) if x["zone_id"] == zone), None)
    if z is None:
        raise not_found(f"园区 {zone}", f"zone {zone}")
    v = viewer_of(a, zone, z["province_code"])
    if v is None:
        raise not_found(f"园区 {zone} 的产业链视图", f"the chain view of zone {zone}")
    return json_response(analytics_view.chain(s, a, chain, zone, _year(s, year), v, sees_zone(s, a, zone)))


@router.get("/zones/{zone}/mujun", summary="亩均效益 / land-use efficiency (firms scoped)")
def mujun(zone: str, year: int | None = YEAR, s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import enterprises as en

    no_published_only(a)
    check_zone(s, zone)
    return json_response(call(en.mujun_view, s, a, zone, year))


class Simulation(BaseModel):
    """A differentiated electricity surcharge by 亩均 grade, 元/kWh (e.g. {"A": 0, "B": 0.05, "C": 0.1, "D": 0.3})."""

    model_config = {"extra": "forbid"}
    schedule: dict[str, float] = Field(min_length=1, max_length=8)
    year: int | None = Field(None, ge=1949, le=2100)
    name: str = Field("API schedule", max_length=60)


@router.post("/zones/{zone}/mujun/simulate", summary="差别化电价模拟 / price-policy simulation")
def simulate(zone: str, body: Simulation, s: Store = Depends(view),
             a: Access = Depends(require(*ENTERPRISE_ROLES))) -> Response:
    from gaoxin.services import enterprises as en
    check_zone(s, zone)
    if not sees_zone(s, a, zone):
        raise not_found(f"园区 {zone} 的企业", f"the enterprises of zone {zone}")
    bad = [k for k in body.schedule if not (len(k) == 1 and k.isalpha() and k.isupper())]
    if bad:
        raise ApiError(400, "bad_request", f"等级应为 A–Z 单个大写字母：{bad}",
                       f"grades must be single capital letters: {bad}")
    return json_response(call(en.simulate, s, a, zone, body.schedule, body.year, body.name))


@router.get("/monitoring", summary="规划监测：进度、应达路径与预测 / plan targets, expected path, projection")
def monitoring(year: int | None = YEAR, s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import monitoring as m

    no_published_only(a)
    y = _year(s, year)
    return json_response({"year": y, "targets": call(m.plan_paths, s, y)})
