"""``GET /api/v1/jobs/{id}``: a background job's state, progress and result (its owner and admins)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from gaoxin.api import deps
from gaoxin.api.errors import not_found

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/jobs/{job_id}")
def job(job_id: str, request: Request, access=Depends(deps.access)) -> dict:
    j = request.app.state.jobs.get(job_id)
    if j is None or (j.owner != access.user and access.role != "admin"):
        raise not_found("该任务", "job")  # another user's job is not revealed
    return j.to_dict()
