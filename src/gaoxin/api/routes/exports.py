"""Downloads: ranking, enterprise list and points list as CSV or XLSX, written by ``services.export`` (formula
cells neutralised) and audited with the signed-in user (docs/api.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gaoxin.api.deps import access, require
from gaoxin.api.routes._read import ENTERPRISE_ROLES, call, evaluation_id, view
from gaoxin.api.routes.enterprises import bank_zones

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.services import Store
    from gaoxin.services.access import Access

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
YEAR = Query(None, ge=1949, le=2100)
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _file(s: Store, a: Access, request: Request, df: pd.DataFrame, name: str, fmt: str, **detail: object) -> Response:
    from gaoxin.services.export import write_frame

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{name}.{fmt}"
        write_frame(df, path, s, user=a.user, role=a.role, address=request.client.host if request.client else None,
                    via="api", **detail)
        data = path.read_bytes()
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/ranking.{fmt}", summary="排名导出 / ranking download")
def ranking(fmt: Literal["csv", "xlsx"], request: Request, evaluation: int | None = None,
            s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    eid = evaluation_id(s, a, evaluation)
    df = call(overview.ranking_export, s, eid)
    return _file(s, a, request, df, f"ranking-{eid}", fmt, evaluation=eid)


@router.get("/enterprises.{fmt}", summary="企业名单导出（按权限）/ enterprise list download (scoped)")
def enterprises(fmt: Literal["csv", "xlsx"], request: Request, zone: str | None = Query(None, max_length=40),
                year: int | None = YEAR, s: Store = Depends(view),
                a: Access = Depends(require(*ENTERPRISE_ROLES))) -> Response:
    from gaoxin.services import enterprises as en

    df = call(en.enterprises_frame, s, a, zone, year)
    return _file(s, a, request, df, "enterprises", fmt, zone=zone, year=year)


@router.get("/points.{fmt}", summary="积分贷名单导出 / innovation-points list download")
def points(fmt: Literal["csv", "xlsx"], request: Request, zone: str | None = Query(None, max_length=40),
           year: int | None = YEAR, s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import enterprises as en

    df = call(en.points_frame, s, a, zone, year, bank_zones=bank_zones(s, a))
    return _file(s, a, request, df, "points", fmt, zone=zone, year=year)
