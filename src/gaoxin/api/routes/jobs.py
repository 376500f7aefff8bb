"""``GET /api/v1/jobs`` and ``/jobs/{id}``: background jobs' state, progress and result (their owner, admins)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from gaoxin.api import deps
from gaoxin.api.errors import not_found

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/jobs")
def jobs(request: Request, access=Depends(deps.access)) -> list[dict]:
    """The caller's jobs (an admin's: everyone's), newest first, without their results."""
    owner = None if access.role == "admin" else access.user
    return [{k: v for k, v in j.to_dict().items() if k != "result"} for j in request.app.state.jobs.listing(owner)]


@router.get("/jobs/{job_id}")
def job(job_id: str, request: Request, access=Depends(deps.access)) -> dict:
    j = request.app.state.jobs.get(job_id)
    if j is None or (j.owner != access.user and access.role != "admin"):
        raise not_found("该任务", "job")  # another user's job is not revealed
    return j.to_dict()
