"""Helpers shared by the read routes (zones, enterprises, analytics, exports): errors, defaults, scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Request
from fastapi.responses import Response

from gaoxin.api.errors import ApiError, forbidden, not_found

if TYPE_CHECKING:
    from gaoxin.services import Store
    from gaoxin.services.access import Access

T = TypeVar("T")
ENTERPRISE_ROLES = ("admin", "national", "province", "zone")


def call(fn: Callable[..., T], *args: Any, **kw: Any) -> T:
    """Run a service; its ``NotFound`` becomes the API's 404 (also for rows outside the caller's scope)."""
    from gaoxin.services.errors import user_errors
    from gaoxin.services.overview import NotFound

    try:
        return fn(*args, **kw)
    except NotFound as e:
        zh, en = _split(str(e))
        raise ApiError(404, "not_found", zh, en) from None
    except user_errors() as e:
        zh, en = _split(str(e))
        raise ApiError(400, "bad_request", zh, en) from None


def _split(msg: str) -> tuple[str, str]:
    """"中文 / English" → the two halves (the whole text twice when it has no separator)."""
    zh, sep, en = msg.partition(" / ")
    return (zh, en) if sep else (msg, msg)


def evaluation_id(store: Store, a: Access, evaluation: int | None) -> int:
    """The requested evaluation if the caller may see it (viewer, bank: published only), else the newest."""
    from gaoxin.services import overview

    if evaluation is None:
        eid = overview.latest_evaluation(store, published_only=a.published_only)
        if eid is None:
            raise not_found("评价", "evaluation")
        return eid
    call(overview.check_visible, store, evaluation, a.published_only)
    return evaluation


def no_published_only(a: Access) -> None:
    """viewer and bank see published results only: zone-level analytics are not published objects (yet)."""
    if a.published_only:
        raise forbidden()


def check_zone(store: Store, zone: str) -> None:
    from gaoxin.services import overview

    if zone not in {z["zone_id"] for z in overview.zones(store)}:
        raise not_found(f"园区 {zone}", f"zone {zone}")


def sees_zone(store: Store, a: Access, zone: str) -> bool:
    from gaoxin.services.access import may_read_zone

    return may_read_zone(store, a, zone)


def json_response(obj: Any) -> Response:
    """``obj`` (already JSON-ready: services return plain values, missing → None) serialised once with the
    standard library: FastAPI's generic encoder walks every value again and costs ~5× more on a profile."""
    import json

    return Response(json.dumps(obj, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")),
                    media_type="application/json")


async def view(request: Request) -> Store:
    """A per-request view (own cursor) of the server's Store, as ``deps.store`` gives, but as a plain
    dependency: a generator dependency costs two thread-pool hops per request (enter and exit), which under
    load is most of a cached read's time.  The cursor closes when the view is freed, at the end of the
    request (CPython frees it as its last reference goes).  ``async`` (it awaits nothing) so that FastAPI calls
    it on the event loop instead of hopping to its thread pool (decision 0033)."""
    return request.app.state.store.view()
