"""Ready-to-send bytes of the hot read routes (issue #10 §5: 500 requests/s with p95 ≤ 50 ms; decision 0033).

The services behind the ranking, the zone profile and the enterprise list already keep their results in
memory (``services.readcache``), but every request still paid FastAPI's routing, dependency solving, two
to three thread-pool hops and a fresh ``json.dumps`` of up to 90 kB: 2–5 ms of CPU for an answer that is
the same as the last one.  This pure ASGI middleware keeps the finished response (status line headers and
body bytes) and sends it again for the same request of the same user as long as the store has not moved on.

The key is (store version token, path, query string, the caller's :class:`~gaoxin.services.access.Access`).
- The version token is ``readcache.token``: newest snapshot and evaluation, explanations, publications — the
  same invalidation, and the same ≤ 0.25 s delay, as the service caches these routes read from.  When it
  changes every entry is dropped.
- The whole ``Access`` (user name, role, zones, provinces) is part of the key, so one user's answer is never
  another's, whatever a service may do with its caller; an account change ends the sessions anyway.
- It runs *inside* the session/CSRF middleware: a request without a live session never reaches it, and only
  200 ``application/json`` answers without ``Set-Cookie`` are kept.  None of these routes writes audit rows.

Bounded by entries and bytes (LRU).  Only GET; only the routes of :data:`ROUTES`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

ROUTES = (re.compile(r"/api/v1/evaluations/\d+/ranking"), re.compile(r"/api/v1/zones/[^/]+/profile"),
          re.compile(r"/api/v1/enterprises"))
MAX_ENTRIES = 4096
MAX_BYTES = 128 << 20


def cacheable(method: str, path: str) -> bool:
    return method == "GET" and any(r.fullmatch(path) for r in ROUTES)


class ResponseCache:
    """See the module docstring; ``app.state.store`` is the server's Store (set by the lifespan)."""

    def __init__(self, app, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.app, self.max_entries, self.max_bytes = app, max_entries, max_bytes
        self._entries: OrderedDict[tuple, tuple[list, bytes]] = OrderedDict()
        self._bytes = 0
        self._token: Any = None
        self._store = self._view = None  # the server's Store and this cache's own cursor (event loop only)
        self.hits = self.misses = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not cacheable(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        access = scope.get("state", {}).get("access")
        if access is None:  # not signed in: the route answers 401 itself
            await self.app(scope, receive, send)
            return
        token = self._current_token(scope)
        key = (token, scope["path"], scope.get("query_string", b""), access)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
            headers, body = found
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._keep(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _current_token(self, scope) -> Any:
        from gaoxin.services import readcache

        state = scope["app"].state
        state.response_cache = self  # for the tests and the load benchmark: hits and misses
        if self._store is not state.store:  # first request, or the app was started again over a new Store
            self._store, self._view = state.store, state.store.view()
            self.clear()
        token = readcache.token(self._view)
        if token != self._token:  # a new snapshot, evaluation or publication: nothing kept is current
            self.clear()
            self._token = token
        return token

    def _keep(self, key: tuple, start: dict, body: bytes) -> None:
        headers = list(start.get("headers", []))
        names = {k.lower() for k, _ in headers}
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        if (start.get("status") != 200 or b"set-cookie" in names or not content_type.startswith(b"application/json")
                or len(body) > self.max_bytes // 8 or key[0] != self._token):
            return
        self._entries[key] = (headers, body)
        self._bytes += len(body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, old) = self._entries.popitem(last=False)
            self._bytes -= len(old)

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
