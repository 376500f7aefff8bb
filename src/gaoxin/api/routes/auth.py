"""Sign in and out: ``/api/v1/auth/{login,logout,me}`` (decision 0029).

Login answers the same 401 for an unknown name, a wrong password and a disabled account, after the
same Argon2 work; failures count against the account and the address (429 ``rate_limited`` beyond
``Settings.login_attempts`` per ``login_window_seconds``).  Every attempt is audited with its address.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from gaoxin.api import deps
from gaoxin.api.errors import ApiError
from gaoxin.api.security import COOKIE

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _user(access) -> dict:
    return {"name": access.user, "role": access.role, "zones": sorted(access.zones),
            "provinces": sorted(access.provinces)}


@router.post("/login")
def login(body: Login, request: Request, response: Response, store=Depends(deps.store)) -> dict:
    from gaoxin.services import audit
    from gaoxin.services.accounts import access_of, authenticate

    address = deps.address(request)
    limiter = request.app.state.limiter
    keys = (f"user:{body.username.lower()}", f"addr:{address}")
    wait = limiter.retry_after(*keys)
    if wait is not None:
        audit.record(store, "login failed", body.username, user=body.username, address=address,
                     reason="rate_limited")
        raise ApiError(429, "rate_limited", f"登录失败次数过多，请 {math.ceil(wait)} 秒后再试",
                       f"too many failed sign-ins: try again in {math.ceil(wait)} s",
                       {"retry_after": math.ceil(wait)})
    row = authenticate(store, body.username, body.password)
    if row is None:
        limiter.failed(*keys)
        audit.record(store, "login failed", body.username, user=body.username, address=address,
                     reason="bad_credentials")
        raise ApiError(401, "login_failed", "用户名或密码错误，或账户已停用",
                       "wrong user name or password, or the account is disabled")
    sessions = request.app.state.sessions
    old = getattr(request.state, "session_token", None)
    if old:  # a new session for every sign-in: no fixation of a token someone planted
        sessions.end(old)
    sessions.refresh(row.name)
    token, session = sessions.open(row.name, row.epoch)
    audit.record(store, "login", row.name, user=row.name, address=address)
    settings = request.app.state.settings
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies,
                        path="/")
    return {"user": _user(access_of(row)), "csrf_token": session.csrf}


@router.post("/logout")
def logout(request: Request, response: Response, access=Depends(deps.access), store=Depends(deps.store)) -> dict:
    from gaoxin.services import audit

    request.app.state.sessions.end(request.state.session_token)
    audit.record(store, "logout", access.user, user=access.user, address=deps.address(request))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.app.state.settings.secure_cookies)
    return {}


@router.get("/me")
async def me(request: Request, access=Depends(deps.access)) -> dict:  # async: no thread-pool hop (decision 0033)
    return {"user": _user(access), "csrf_token": request.state.session.csrf}
