"""Admin: users (``/api/v1/users``; never a hash) and the audit log (``/api/v1/audit``).

User changes go through :mod:`gaoxin.services.accounts` like ``gaoxin users`` does; the session table
is refreshed after each, so a password, role or scope change or disabling ends the account's sessions
at once.  Every change is audited under the admin's name and address.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gaoxin.api import deps

router = APIRouter(prefix="/api/v1", tags=["admin"])
admin = deps.require("admin")


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: str
    zones: list[str] = Field(default_factory=list, max_length=1000)
    provinces: list[str] = Field(default_factory=list, max_length=40)
    password: str | None = Field(default=None, max_length=1024, description="omitted: one is generated and "
                                 "returned once")


class UserChange(BaseModel):
    role: str | None = None
    zones: list[str] | None = Field(default=None, max_length=1000)
    provinces: list[str] | None = Field(default=None, max_length=40)
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=1024)


@router.get("/users")
def users(access=Depends(admin), store=Depends(deps.store)) -> list[dict]:
    from gaoxin.services.accounts import list_users

    return list_users(store)


@router.post("/users", status_code=201)
def add_user(body: NewUser, request: Request, access=Depends(admin), store=Depends(deps.store)) -> JSONResponse:
    from gaoxin.services import accounts, audit

    password = body.password or accounts.generate_password()
    with audit.acting(access.user, deps.address(request)):
        user = accounts.add_user(store, body.name, body.role, password, body.zones, body.provinces)
    request.app.state.sessions.refresh(body.name)
    out: dict = {"user": user}
    if body.password is None:
        out["password"] = password  # shown once; only its hash is kept
    return JSONResponse(out, status_code=201)


@router.patch("/users/{name}")
def change_user(name: str, body: UserChange, request: Request, access=Depends(admin),
                store=Depends(deps.store)) -> dict:
    from gaoxin.services import accounts, audit

    with audit.acting(access.user, deps.address(request)):
        user = accounts.change_user(store, name, role=body.role, zones=body.zones, provinces=body.provinces,
                                    disabled=body.disabled, password=body.password)
    request.app.state.sessions.refresh(name)
    return user


@router.get("/audit")
def audit_log(access=Depends(admin), store=Depends(deps.store), action: str | None = Query(None, max_length=100),
              user: str | None = Query(None, max_length=64), since: dt.datetime | None = None,
              until: dt.datetime | None = None, page: int = Query(1, ge=1, le=1_000_000),
              page_size: int = Query(50, ge=1, le=500)) -> dict:
    from gaoxin.services import audit

    return audit.page(store, action=action, user=user, since=since, until=until, page=page, page_size=page_size)
