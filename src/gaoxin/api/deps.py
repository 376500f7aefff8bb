"""Request dependencies: the server's Store and the signed-in user's :class:`Access`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi import Request

from gaoxin.api.errors import forbidden, unauthenticated

if TYPE_CHECKING:
    from gaoxin.services import Store
    from gaoxin.services.access import Access, Role


def store(request: Request) -> Iterator[Store]:
    """A view (own cursor) of the one Store the server owns, for this request; closed after it."""
    view = request.app.state.store.view()
    try:
        yield view
    finally:
        view.close()


def _signed_in(request: Request) -> Access:
    a = getattr(request.state, "access", None)
    if a is None:
        raise unauthenticated()
    return a


async def access(request: Request) -> Access:
    """The signed-in user, set on ``request.state.access`` by the session middleware; 401 otherwise.

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in its thread pool, a hop
    per request that costs more than this attribute lookup (decision 0033)."""
    return _signed_in(request)


def require(*roles: Role):
    """A dependency allowing only ``roles``: ``Depends(require("admin"))``."""

    async def check(request: Request) -> Access:  # async: no thread-pool hop (see ``access``)
        a = _signed_in(request)
        if a.role not in roles:
            raise forbidden()
        return a

    return check


def address(request: Request) -> str | None:
    """The client's address as the server sees it (behind a proxy: uvicorn's ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else None
