"""Report downloads (issue #11): one stored evaluation as PDF, Word or Excel, for the signed-in user's role.

The audience is the caller, never a parameter: an admin or national user gets every zone's detail, a province
user its provinces', a zone user its own zones' enterprise detail, viewer and bank the public report (published
evaluations only, disclosure control applied) — what a role may not see never enters the content, so it
cannot leak through any format.  Built synchronously (a zone or province report takes seconds; a national
PDF of ~180 zone pages is bounded by the report benchmark, ≤ 60 s): one build at a time per server, a second
request waits up to ``report_wait_seconds`` (Settings.extra, default 30) and then gets 429 (decision 0037).
Every download is audited as an ``export`` with the user, role, address, scope, format and content hash.
"""

from __future__ import annotations

import re
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gaoxin.api.deps import access, address
from gaoxin.api.errors import ApiError, not_found
from gaoxin.api.routes._read import call, check_zone, view

if TYPE_CHECKING:
    from gaoxin.services import Store
    from gaoxin.services.access import Access
    from gaoxin.services.report_model import ReportContent

router = APIRouter(prefix="/api/v1/evaluations", tags=["reports"])
MEDIA = {"pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
SCOPE = re.compile(r"^(national|province:\d{2}(\d{4})?|zone:[A-Za-z0-9_.-]{1,40})$")
_BUILDING = threading.BoundedSemaphore(1)
WAIT_SECONDS = 30.0


def audience_of(a: Access) -> str:
    """The report audience of a signed-in user (``services.report`` parses it back into an Access)."""
    if a.role in ("admin", "national"):
        return a.role
    if a.role == "province" and a.provinces:
        return "province:" + ",".join(sorted(a.provinces))
    if a.role == "zone" and a.zones:
        return "zone:" + ",".join(sorted(a.zones))
    return "public"  # viewer, bank (and an account without zones): published results only, disclosure control


def filename(content: ReportContent, fmt: str) -> tuple[str, str]:
    """(ASCII fallback, UTF-8 name) of the download: ``高新区监测报告_2024_全国_评价7.pdf``."""
    m = content.meta
    kind, _, key = m.scope.partition(":")
    ascii_name = f"gaoxin-report_{m.year}_{kind}{'-' + key if key else ''}_evaluation-{m.evaluation_id}.{fmt}"
    label = {"national": "全国", "province": f"省份{key}", "zone": f"园区{key}"}.get(kind, kind)
    zh = f"高新区监测报告_{m.year}_{label}_评价{m.evaluation_id}.{fmt}" if m.lang == "zh" else ascii_name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", ascii_name), zh


def disposition(content: ReportContent, fmt: str) -> str:
    """RFC 6266 / 5987: an ASCII ``filename`` for old clients, the Chinese name as ``filename*``."""
    plain, utf8 = filename(content, fmt)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(utf8, safe='')}"


@router.get("/{evaluation_id}/report", summary="年度监测报告下载 / annual monitoring report download",
            response_class=Response,
            responses={200: {"content": {m: {} for m in MEDIA.values()}, "description": "the report file"}})
def report(evaluation_id: int, request: Request,
           scope: str = Query("national", max_length=60, description="national | province:CODE | zone:ID"),
           format: Literal["pdf", "xlsx", "docx"] = Query("pdf"),
           lang: Literal["zh", "en"] = Query("zh"),
           s: Store = Depends(view), a: Access = Depends(access)) -> Response:
    from gaoxin.services import overview

    if not SCOPE.match(scope):
        raise ApiError(422, "invalid_parameters",
                       f"报告范围无效：{scope}（应为 national、province:代码 或 zone:园区代码）",
                       f"invalid scope {scope!r}: national, province:CODE or zone:ID")
    call(overview.check_visible, s, evaluation_id, a.published_only)
    kind, _, key = scope.partition(":")
    if kind == "zone":
        check_zone(s, key)
    elif kind == "province" and key[:2] not in {str(z["province_code"])[:2] for z in overview.zones(s)}:
        raise not_found(f"省份 {key}", f"province {key}")
    audience = audience_of(a)
    wait = float(request.app.state.settings.extra.get("report_wait_seconds", WAIT_SECONDS))
    if not _BUILDING.acquire(timeout=wait):
        raise ApiError(429, "rate_limited", "另一份报告正在生成，请稍后再试",
                       "another report is being built; try again shortly")
    try:
        content = _build(s, evaluation_id, scope, audience, lang)
        data = _render(content, format)
    finally:
        _BUILDING.release()
    from gaoxin.services import audit

    plain, _ = filename(content, format)
    audit.record(s, "export", plain, user=a.user, address=address(request), role=a.role, via="api",
                 kind="report", evaluation=evaluation_id, scope=scope, format=format, lang=lang, audience=audience,
                 content_hash=content.content_hash(), bytes=len(data))
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": disposition(content, format),
                                                              "Cache-Control": "no-store"})


def _build(s: Store, eid: int, scope: str, audience: str, lang: str) -> ReportContent:
    try:
        from gaoxin.services.report import build_report
    except ImportError:
        raise ApiError(400, "bad_request", "报告内容生成尚不可用", "report building is not available yet") from None
    return call(build_report, s, eid, scope, audience, lang)


def _render(content: ReportContent, fmt: str) -> bytes:
    """The file's bytes, written by the format's renderer into a private temporary folder.  The one place the
    API reaches the report surface (tests/test_architecture.py LAUNCHERS, decision 0037)."""
    try:
        if fmt == "xlsx":
            from gaoxin.report.xlsx import write_xlsx as write
        elif fmt == "docx":
            from gaoxin.report.docx import write_docx as write
        else:
            from gaoxin.report.pdf import write_pdf as write
    except ImportError:
        raise ApiError(400, "bad_request", f"{fmt.upper()} 格式尚不可用",
                       f"the {fmt} format is not available yet") from None
    with tempfile.TemporaryDirectory(prefix="gaoxin-report-") as d:
        path = Path(d) / f"report.{fmt}"
        write(content, path)
        return path.read_bytes()
