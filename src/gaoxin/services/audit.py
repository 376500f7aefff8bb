"""The audit log as surfaces use it: record an action, act for a signed-in user, page through the log."""

from __future__ import annotations

import datetime as dt

from gaoxin.store import audit as rows
from gaoxin.store.db import Store

acting = rows.acting  # ``with acting(user, address):`` — every audit row written inside names them


def record(store: Store, action: str, target: str | None = None, *, user: str | None = None,
           address: str | None = None, **detail) -> None:
    """One audit row now (its own statement, committed at once)."""
    rows.record(store.con, action, target, user=user, address=address, **detail)


def page(store: Store, *, action: str | None = None, user: str | None = None, since: dt.datetime | None = None,
         until: dt.datetime | None = None, page: int = 1, page_size: int = 50) -> dict:
    """``{total, page, page_size, rows}``, newest first (the admin's audit page)."""
    total, out = rows.query(store.con, action=action, user=user, since=since, until=until, limit=page_size,
                            offset=(page - 1) * page_size)
    return {"total": total, "page": page, "page_size": page_size, "rows": out}
