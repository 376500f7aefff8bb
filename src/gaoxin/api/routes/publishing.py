"""Publications: ``/api/v1/publications`` — list, publish, revoke (issue #10 §3, docs/api.md).

Publishing and revoking are for ``admin``, ``national`` and ``province`` (its provinces' zones only, checked
by the service); every signed-in user may list what is published. Both acts are audited with the user and
the client's address.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from gaoxin.api import deps
from gaoxin.api.errors import ApiError, forbidden

router = APIRouter(prefix="/api/v1/publications", tags=["publications"])
PUBLISHERS = ("admin", "national", "province")


class PublishBody(BaseModel):
    kind: Literal["evaluation", "points", "aggregate"]
    key: str = Field(min_length=1, max_length=200)


def _split(message: str) -> tuple[str, str]:
    """The services' "中文 / English" message as its two halves."""
    zh, sep, en = message.partition(" / ")
    return (zh, en) if sep else (message, message)


def _call(fn, *args):
    from gaoxin.services import publishing as pub
    from gaoxin.services.errors import InputError

    try:
        return fn(*args)
    except pub.NotAllowed as e:
        zh, en = _split(str(e))
        raise ApiError(403, "forbidden", zh, en) from None
    except pub.PublicationNotFound as e:
        zh, en = _split(str(e))
        raise ApiError(404, "not_found", zh, en) from None
    except InputError as e:
        zh, en = _split(str(e))
        raise ApiError(400, "bad_request", zh, en) from None


@router.get("")
def publications(kind: Literal["evaluation", "points", "aggregate"] | None = None, include_revoked: bool = False,
                 access=Depends(deps.access), store=Depends(deps.store)) -> list[dict]:
    """Published results (oldest first); ``include_revoked`` (publishers only) adds the revoked history."""
    from gaoxin.services import publishing as pub

    if include_revoked and access.role not in PUBLISHERS:
        raise forbidden()
    rows = pub.publications(store, kind) if include_revoked else pub.published(store, kind)
    return [p.to_dict() for p in rows]


@router.post("", status_code=201)
def publish(body: PublishBody, request: Request, response: Response, access=Depends(deps.require(*PUBLISHERS)),
            store=Depends(deps.store)) -> dict:
    """Publish (kind, key); 201 with the new publication, 200 with the existing one if already published."""
    from gaoxin.services import audit
    from gaoxin.services import publishing as pub

    before = {p.id for p in pub.published(store, body.kind)}
    with audit.acting(access.user, deps.address(request)):
        p = _call(pub.publish, store, access, body.kind, body.key)
    if p.id in before:
        response.status_code = 200
    return p.to_dict()


@router.delete("/{publication_id}")
def revoke(publication_id: int, request: Request, access=Depends(deps.require(*PUBLISHERS)),
           store=Depends(deps.store)) -> dict:
    """Revoke a publication (its row stays, with who revoked it and when)."""
    from gaoxin.services import audit
    from gaoxin.services import publishing as pub

    with audit.acting(access.user, deps.address(request)):
        return _call(pub.revoke, store, access, publication_id).to_dict()
