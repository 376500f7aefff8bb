"""Audit log: every write and export is recorded with time, user and what it touched."""

from __future__ import annotations

import datetime as dt
import getpass
import json

import duckdb


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def record(con: duckdb.DuckDBPyConnection, action: str, target: str | None = None, **detail) -> None:
    """Append one audit row (inside the caller's transaction, if any)."""
    con.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?)",
        [dt.datetime.now(), current_user(), action, target, json.dumps(detail, ensure_ascii=False, default=str)],
    )
