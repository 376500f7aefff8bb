"""Serving the built dashboard (``src/gaoxin/web/static``, built by ``make web``) from the API app.

An ASGI middleware rather than a route, so the API's route table (which the authorisation-matrix test enumerates)
stays exactly the API: GET/HEAD requests outside ``/api`` get the file they name under the static root, or
``index.html`` for any other path (history-mode routing: ``/zones/GX001`` is a page of the single-page app).
Everything else passes to the API untouched.  Hashed assets are cached for a year; ``index.html`` never, so a new
build shows at the next load.  Files are served only from inside the root (no ``..``, no symlinks out).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

ROOT = Path(__file__).resolve().parent.parent / "web" / "static"

# the page's own scripts and styles only: no CDN, no inline script (Element Plus sets inline style attributes)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "X-Frame-Options": "DENY"}

NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>gaoxin</title>
<p>仪表盘尚未构建：请运行 <code>make web</code>（需要 Node.js 和 npm）。
接口仍可使用：<a href="/api/v1/docs">/api/v1/docs</a>。</p>
<p>The dashboard is not built: run <code>make web</code> (needs Node.js and npm). The API works:
<a href="/api/v1/docs">/api/v1/docs</a>.</p></html>"""

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")


def resolve(root: Path, url_path: str) -> Path | None:
    """The file ``url_path`` names inside ``root``, or None (missing, a directory, or outside the root)."""
    rel = url_path.lstrip("/")
    if not rel or "\x00" in rel:
        return None
    try:
        candidate = (root / rel).resolve()
        candidate.relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return candidate if candidate.is_file() else None


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class SpaFiles:
    """ASGI middleware: the built single-page app for GET/HEAD outside ``/api``; the API for everything else."""

    def __init__(self, app: ASGIApp, root: Path = ROOT) -> None:
        self.app, self.root = app, root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        await self.response(scope["path"])(scope, receive, send)

    def response(self, path: str) -> Response:
        index = self.root / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=503, headers=HEADERS)
        found = resolve(self.root, path)
        if found is not None and found.name != "index.html":
            cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
            return FileResponse(found, headers={**HEADERS, "Cache-Control": cache})
        if found is None and Path(path).suffix and "/assets/" in path:
            # a missing hashed asset (an old page after a new build): 404, not the HTML page with a JS type
            return Response(status_code=404, headers=HEADERS)
        return FileResponse(index, media_type="text/html; charset=utf-8",
                            headers={**HEADERS, "Cache-Control": "no-cache"})


def mount(app: Starlette, root: Path = ROOT) -> None:
    """Serve the dashboard from ``app`` (the one line in ``create_app``)."""
    app.add_middleware(SpaFiles, root=root)
