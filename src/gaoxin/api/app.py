"""The FastAPI application: owns one Store for its lifetime, includes the routers, renders errors as JSON."""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gaoxin.api.errors import ApiError
from gaoxin.api.routes import MODULES


@dataclass
class Settings:
    """Server settings (defaults documented in docs/deployment.md)."""

    db: Path | None = None
    max_upload_mb: int = 200
    session_idle_minutes: int = 30
    login_attempts: int = 5  # per account and per address, per window
    login_window_seconds: int = 300
    secure_cookies: bool = False  # True behind HTTPS
    max_evaluation_runs: int = 2000  # Monte Carlo runs a POST /evaluations may ask for
    upload_dir: Path | None = None  # uploaded files and rejection reports; default <db>.uploads
    warm_caches: bool = False  # fill the read caches at start and after each job (``gaoxin serve``: on)
    extra: dict = field(default_factory=dict)

    def uploads(self) -> Path:
        from gaoxin.services import db_path

        return self.upload_dir or db_path(self.db).with_name(db_path(self.db).name + ".uploads")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; the Store is opened when the app starts (lifespan) and closed when it stops."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from gaoxin.services import Store
        from gaoxin.services.jobs import Jobs

        app.state.store = Store(settings.db, "write")
        app.state.warmed = threading.Event()  # set after each warm-up (tests wait on it)
        warm = _warm(app) if settings.warm_caches else None
        app.state.jobs = Jobs(app.state.store, after=warm)
        if warm is not None:
            app.state.jobs.background(warm)
        try:
            yield
        finally:
            app.state.jobs.stop()
            app.state.store.close()

    app = FastAPI(title="gaoxin API", version="1", lifespan=lifespan, openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    app.state.settings = settings
    _security(app, settings)
    _error_handlers(app)
    for name in MODULES:
        app.include_router(importlib.import_module(f"gaoxin.api.routes.{name}").router)
    importlib.import_module("gaoxin.api.static").mount(app)  # the built dashboard outside /api (docs/dashboard.md)
    return app


def _warm(app: FastAPI):
    """Work for the job thread: the read caches of the newest evaluation and enterprise year
    (``services.overview.warm``), so the first visitor after a start or an upload does not wait the
    6–28 s that tiers, points and 亩均 of every firm take (decision 0033)."""

    def warm(view) -> None:
        import time

        from gaoxin.services import overview, readcache

        time.sleep(readcache.TOKEN_TTL_S)  # the version token is memoised this long: key on the new one
        overview.warm(view)
        app.state.warmed.set()

    return warm


def _security(app: FastAPI, settings: Settings) -> None:
    """Sessions (with the account cache), the login rate limiter, the session / CSRF middleware and, inside
    it, the response cache of the hot read routes (``api/respcache.py``, decision 0033)."""
    from gaoxin.api.respcache import ResponseCache
    from gaoxin.api.security import RateLimiter, SecurityMiddleware
    from gaoxin.services.sessions import Sessions, load_account

    def load(name: str):
        view = app.state.store.view()
        try:
            return load_account(view, name)
        finally:
            view.close()

    app.state.sessions = Sessions(settings.session_idle_minutes * 60, load)
    app.state.limiter = RateLimiter(settings.login_attempts, settings.login_window_seconds)
    app.add_middleware(ResponseCache)  # added first = inner: it sees only requests the session layer let through
    app.add_middleware(SecurityMiddleware)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, e: ApiError) -> JSONResponse:
        return JSONResponse(e.body(), status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        detail = [{"loc": [str(x) for x in err.get("loc", ())], "msg": err.get("msg")} for err in e.errors()]
        return JSONResponse(ApiError(422, "invalid_parameters", "参数无效", "invalid parameters", detail).body(),
                            status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        if isinstance(getattr(e, "api_error", None), ApiError):
            return JSONResponse(e.api_error.body(), status_code=e.api_error.status)  # type: ignore[attr-defined]
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}.get(
            e.status_code, "http_error")
        return JSONResponse(ApiError(e.status_code, code, "请求无效", str(e.detail)).body(), status_code=e.status_code)

    async def user_error(request: Request, e: Exception) -> JSONResponse:
        zh, en = split_message(str(e))
        return JSONResponse(ApiError(400, "bad_request", zh, en).body(), status_code=400)

    from gaoxin.services.errors import user_errors

    for cls in user_errors():  # handled inside the app (a 4xx), not by the server-error layer
        app.add_exception_handler(cls, user_error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception) -> JSONResponse:
        if isinstance(e, user_errors()):
            return await user_error(request, e)
        return JSONResponse(ApiError(500, "internal", "服务器内部错误", "internal server error").body(),
                            status_code=500)


def split_message(text: str) -> tuple[str, str]:
    """A service's "中文 / English" (or "中文\nEnglish") message as (zh, en); the whole text for both otherwise."""
    for sep in ("\n", " / "):
        if sep in text:
            zh, en = text.split(sep, 1)
            return zh.strip(), en.strip()
    return text, text
