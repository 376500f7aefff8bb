"""The data page's routes: snapshots and their diffs, uploads through ingest (a job), the rejection
report, warning notes, and starting an evaluation (a job).  Writes run in the one job worker
(:mod:`gaoxin.services.jobs`); each request answers at once."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from gaoxin.api import deps
from gaoxin.api.errors import ApiError, not_found

router = APIRouter(prefix="/api/v1", tags=["data"])
data_roles = deps.require("admin", "national", "province", "zone")
evaluators = deps.require("admin", "national", "province")
CHUNK = 1 << 20


@router.get("/snapshots")
def snapshots(access=Depends(data_roles), store=Depends(deps.store)) -> list[dict]:
    from gaoxin.services.snapshots import list_snapshots

    return [s.to_dict() for s in list_snapshots(store)]


@router.get("/snapshots/diff")
def snapshot_diff(a: str = Query(max_length=100), b: str = Query(max_length=100), access=Depends(data_roles),
                  store=Depends(deps.store)) -> dict:
    from gaoxin.services.snapshots import diff_snapshots

    return diff_snapshots(store, a, b).to_dict()


@router.get("/snapshots/{snapshot}/warnings")
def snapshot_warnings(snapshot: int, limit: int = Query(1000, ge=1, le=10_000), access=Depends(data_roles),
                      store=Depends(deps.store)) -> dict:
    from gaoxin.services.uploads import warnings

    return warnings(store, snapshot, limit)


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


@router.post("/snapshots/{snapshot}/warnings/{issue}/note")
def note(snapshot: int, issue: int, body: Note, request: Request, access=Depends(data_roles),
         store=Depends(deps.store)) -> dict:
    from gaoxin.services import audit
    from gaoxin.services.uploads import note_warning

    with audit.acting(access.user, deps.address(request)):
        note_warning(store, snapshot, issue, body.text)
    return {}


@router.post("/uploads", status_code=202, openapi_extra={"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}, "snapshot_name": {"type": "string"}}}}}}})
async def upload(request: Request, access=Depends(data_roles)) -> JSONResponse:
    """A CSV or XLSX file (multipart field ``file``) ingested as one batch by a job; 202 with its id."""
    from gaoxin.services.access import enterprise_zones
    from gaoxin.services.uploads import UnsupportedUpload, ingest_upload, upload_name

    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise _unsupported("multipart/form-data")
    form = await request.form(max_files=1, max_fields=5)
    file = form.get("file")
    if file is None or isinstance(file, str):
        raise ApiError(422, "invalid_parameters", "缺少文件字段 file", "the multipart field 'file' is missing")
    try:
        shown = upload_name(file.filename, file.content_type)
    except UnsupportedUpload as e:
        raise ApiError(415, "unsupported_media_type", str(e), str(e)) from None
    name = form.get("snapshot_name")
    folder = request.app.state.settings.uploads() / secrets.token_hex(8)
    folder.mkdir(parents=True)
    path = folder / shown
    with open(path, "wb") as out:
        while chunk := await file.read(CHUNK):
            out.write(chunk)
    report = folder / "rejections.xlsx"
    snapshot_name = name if isinstance(name, str) and name.strip() else None

    def work(view, job):
        allowed = enterprise_zones(view, access)  # the one scoping function decides what a user may write too
        return ingest_upload(view, job, path, shown, report, snapshot_name, allowed)

    job = request.app.state.jobs.submit("upload", access.user, deps.address(request), work, report=report)
    _audit(request, access, "upload", shown, job=job.id, bytes=path.stat().st_size)
    return JSONResponse({"job_id": job.id}, status_code=202)


@router.get("/uploads/{job_id}/rejections.xlsx", response_class=FileResponse)
def rejections(job_id: str, request: Request, access=Depends(data_roles)) -> FileResponse:
    job = request.app.state.jobs.get(job_id)
    if job is None or job.kind != "upload" or (job.owner != access.user and access.role != "admin"):
        raise not_found("该上传", "upload")
    report = job.files.get("report")
    if job.state != "done" or report is None or not report.exists():
        raise not_found("问题报告（任务未完成或没有报告）", "rejection report (job not done, or no report)")
    _audit(request, access, "download", "rejection report", job=job.id)
    return FileResponse(report, filename="rejections.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class EvaluationRequest(BaseModel):
    framework: str = Field("national-2021", max_length=100)
    year: int | None = Field(None, ge=1900, le=2100)
    config: str | None = Field(None, max_length=100)
    compare: str | None = Field(None, max_length=100)
    runs: int = Field(0, ge=0)
    snapshot: int | None = Field(None, ge=1)


@router.post("/evaluations", status_code=202)
def start_evaluation(body: EvaluationRequest, request: Request, access=Depends(evaluators)) -> JSONResponse:
    """An evaluation (with ``runs`` Monte Carlo runs for rank intervals) run and stored by a job."""
    from gaoxin.services.uploads import check_evaluation, run_evaluation

    settings = request.app.state.settings
    check_evaluation(body.framework, body.config, body.compare, body.runs, settings.max_evaluation_runs)
    job = request.app.state.jobs.submit(
        "evaluation", access.user, deps.address(request),
        lambda view, job: run_evaluation(view, job, body.framework, body.year, body.config, body.compare, body.runs,
                                         body.snapshot))
    _audit(request, access, "evaluation run", body.framework, job=job.id, **body.model_dump())
    return JSONResponse({"job_id": job.id}, status_code=202)


def _audit(request: Request, access, action: str, target: str, **detail) -> None:
    from gaoxin.services import audit

    view = request.app.state.store.view()
    try:
        audit.record(view, action, target, user=access.user, address=deps.address(request), **detail)
    finally:
        view.close()


def _unsupported(expected: str) -> ApiError:
    return ApiError(415, "unsupported_media_type", f"请求类型应为 {expected}", f"the request must be {expected}")


