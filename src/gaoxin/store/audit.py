"""Audit log: every write and export is recorded with time, user, what it touched and from which address.

The user defaults to the process's login name; a surface acting for someone else (the web server's
request threads and jobs) wraps the work in :func:`acting`, so every row written meanwhile — also by
ingest and evaluation, which know nothing of the web — names the signed-in user and their address.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import getpass
import json
from collections.abc import Iterator

import duckdb

_ACTOR: contextvars.ContextVar[tuple[str, str | None] | None] = contextvars.ContextVar("gaoxin_actor",
                                                                                       default=None)


def login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def current_user() -> str:
    """The user acting now: the one set by :func:`acting`, else the process's login name."""
    actor = _ACTOR.get()
    return actor[0] if actor else login_name()


def current_address() -> str | None:
    actor = _ACTOR.get()
    return actor[1] if actor else None


@contextlib.contextmanager
def acting(user: str, address: str | None = None) -> Iterator[None]:
    """Audit rows written inside this block (in this thread / context) name ``user`` and ``address``."""
    token = _ACTOR.set((user, address))
    try:
        yield
    finally:
        _ACTOR.reset(token)


def record(con: duckdb.DuckDBPyConnection, action: str, target: str | None = None, *, user: str | None = None,
           address: str | None = None, **detail) -> None:
    """Append one audit row (inside the caller's transaction, if any); user and address default as above."""
    con.execute(
        'INSERT INTO audit_log ("at", user_name, action, target, detail, address) VALUES (?, ?, ?, ?, ?, ?)',
        [dt.datetime.now(), user or current_user(), action, target,
         json.dumps(detail, ensure_ascii=False, default=str), address or current_address()],
    )


def query(con: duckdb.DuckDBPyConnection, *, action: str | None = None, user: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None, limit: int = 50,
          offset: int = 0) -> tuple[int, list[dict]]:
    """(total matching, one page of rows newest first): the admin's audit page."""
    where, params = ["1 = 1"], []
    for clause, value in (("action = ?", action), ("user_name = ?", user), ('"at" >= ?', since),
                          ('"at" < ?', until)):
        if value is not None:
            where.append(clause)
            params.append(value)
    cond = " AND ".join(where)  # fixed clauses only; every value is a bound parameter
    total = con.execute(f"SELECT count(*) FROM audit_log WHERE {cond}", params).fetchall()[0][0]
    rows = con.execute(f'SELECT "at", user_name, action, target, address, detail FROM audit_log WHERE {cond} '
                       'ORDER BY "at" DESC LIMIT ? OFFSET ?', [*params, int(limit), int(offset)]).fetchall()
    out = []
    for at, who, act, target, address, detail in rows:
        try:
            parsed = json.loads(detail) if detail else {}
        except ValueError:
            parsed = {"text": detail}
        out.append({"at": at.isoformat(timespec="seconds"), "user": who, "action": act, "target": target,
                    "address": address, "detail": parsed})
    return int(total), out
