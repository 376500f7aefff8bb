"""Session, CSRF and body-size middleware and the login rate limiter (decision 0029).

One pure ASGI middleware, so it runs before routing for every request without buffering bodies:

- the ``gaoxin_session`` cookie is resolved to a live session; ``request.state.access`` (an
  :class:`~gaoxin.services.access.Access`) and ``request.state.session`` are set for signed-in requests;
- every POST / PUT / PATCH / DELETE of a signed-in request but login must carry the session's CSRF token
  in ``X-CSRF-Token`` (403 ``csrf`` otherwise) — a cross-site page can send the cookie (if SameSite
  failed) but cannot read the token;
- a body longer than its limit (uploads: ``Settings.max_upload_mb``; anything else 1 MB) is cut off
  with 413 ``too_large``, by ``Content-Length`` at once and by counting when it is streamed.
"""

from __future__ import annotations

import collections
import hmac
import json
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie

from starlette.exceptions import HTTPException

from gaoxin.api.errors import ApiError

COOKIE = "gaoxin_session"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_PATH = "/api/v1/auth/login"
UPLOAD_PATH = "/api/v1/uploads"
BODY_LIMIT = 1 << 20  # JSON bodies


def too_large(limit: int) -> ApiError:
    mb = limit / 2**20
    return ApiError(413, "too_large", f"请求内容超过上限 {mb:g} MB", f"the request body exceeds the {mb:g} MB limit")


class BodyTooLarge(HTTPException):
    """A streamed body over its limit: an HTTPException (FastAPI passes those through its body parsing)
    carrying the :class:`ApiError` the app's handler renders."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.status, error.message_en)
        self.api_error = error


def csrf_error() -> ApiError:
    return ApiError(403, "csrf", "缺少或错误的 CSRF 令牌（X-CSRF-Token），请刷新页面后重试",
                    "missing or wrong CSRF token (X-CSRF-Token): reload the page and try again")


def client_address(scope: dict) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


class SecurityMiddleware:
    """See the module docstring; ``app.state.sessions`` and ``app.state.settings`` come from create_app."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = _cookie(headers.get("cookie"))
        resolved = state.sessions.resolve(token)
        req_state = scope.setdefault("state", {})
        if resolved is not None:
            session, access = resolved
            req_state.update(access=access, session=session, session_token=token)
        method, path = scope["method"], scope["path"]
        if method in UNSAFE and resolved is not None and path != LOGIN_PATH and not hmac.compare_digest(
                headers.get(CSRF_HEADER, "").encode(), resolved[0].csrf.encode()):
            await _respond(send, csrf_error())
            return
        limit = state.settings.max_upload_mb * 2**20 if path == UPLOAD_PATH else BODY_LIMIT
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _respond(send, too_large(limit))
            return
        await self.app(scope, _counting(receive, limit), send)


def _counting(receive, limit: int):
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(too_large(limit))  # inside the route's body read; FastAPI re-raises HTTPExceptions
        return message

    return wrapped


def _cookie(header: str | None) -> str | None:
    if not header:
        return None
    try:
        jar = SimpleCookie()
        jar.load(header)
    except Exception:  # a malformed cookie header is no session, not an error
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


async def _respond(send, error: ApiError) -> None:
    body = json.dumps(error.body(), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": error.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """At most ``attempts`` failed logins per key (an account, an address) in a sliding ``window`` seconds."""

    MAX_KEYS = 100_000  # a flood of distinct keys cannot grow memory without bound

    def __init__(self, attempts: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self._clock = attempts, window, clock
        self._failures: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float | None:
        """Seconds until a key may try again, or None when none of ``keys`` is blocked."""
        now = self._clock()
        worst = None
        with self._lock:
            for k in keys:
                q = self._failures.get(k)
                if q is None:
                    continue
                while q and now - q[0] > self.window:
                    q.popleft()
                if len(q) >= self.attempts:
                    wait = self.window - (now - q[0])
                    worst = wait if worst is None else max(worst, wait)
        return worst

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) > self.MAX_KEYS:
                self._failures = {k: q for k, q in self._failures.items() if q and now - q[-1] <= self.window}
            for k in keys:
                self._failures.setdefault(k, collections.deque()).append(now)
