"""Stored publications (schema 13): who released which evaluation, points list or aggregate table, and when.

The SQL of :mod:`gaoxin.services.publishing` lives here; values reach it as bound parameters only. Every
publish and revoke writes its audit row in the same transaction, under the name of the user who acted
(not the operating-system user: on the web server they differ).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

from gaoxin.store import audit
from gaoxin.store.db import atomic

COLUMNS = "id, kind, pub_key, zones, published_by, published_at, revoked_by, revoked_at"


def insert(con: duckdb.DuckDBPyConnection, kind: str, key: str, zones: list[str] | None, user: str) -> int:
    """Add one publication row with its audit row; the new id."""
    with atomic(con):
        pid = int(con.execute("SELECT coalesce(max(id), 0) + 1 FROM publication").fetchall()[0][0])
        con.execute(f"INSERT INTO publication ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [pid, kind, key, None if zones is None else json.dumps(sorted(zones)), user, dt.datetime.now()])
        audit.record(con, "publish", f"publication {pid}", user=user, kind=kind, key=key)
    return pid


def revoke(con: duckdb.DuckDBPyConnection, pid: int, user: str) -> None:
    """Mark publication ``pid`` revoked (the row stays) with its audit row."""
    with atomic(con):
        con.execute("UPDATE publication SET revoked_by = ?, revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                    [user, dt.datetime.now(), int(pid)])
        audit.record(con, "revoke", f"publication {int(pid)}", user=user)


def get(con: duckdb.DuckDBPyConnection, pid: int) -> dict[str, Any] | None:
    rows = con.execute(f"SELECT {COLUMNS} FROM publication WHERE id = ?", [int(pid)]).df()
    return None if rows.empty else rows.to_dict("records")[0]


def active(con: duckdb.DuckDBPyConnection, kind: str, key: str) -> dict[str, Any] | None:
    """The unrevoked publication of (kind, key), if any."""
    rows = con.execute(f"SELECT {COLUMNS} FROM publication WHERE kind = ? AND pub_key = ? AND revoked_at IS NULL "
                       "ORDER BY id DESC LIMIT 1", [kind, key]).df()
    return None if rows.empty else rows.to_dict("records")[0]


def listing(con: duckdb.DuckDBPyConnection, kind: str | None = None, include_revoked: bool = True) -> pd.DataFrame:
    """Publications, oldest first; optionally of one kind and only the unrevoked ones."""
    where, params = ["TRUE"], []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if not include_revoked:
        where.append("revoked_at IS NULL")
    return con.execute(f"SELECT {COLUMNS} FROM publication WHERE {' AND '.join(where)} ORDER BY id", params).df()


def evaluation_zones(con: duckdb.DuckDBPyConnection, eid: int) -> list[str] | None:
    """The zones an evaluation ranks; None when the evaluation does not exist."""
    if not con.execute("SELECT count(*) FROM evaluation WHERE id = ?", [int(eid)]).fetchall()[0][0]:
        return None
    rows = con.execute("SELECT DISTINCT zone_id FROM evaluation_score WHERE evaluation_id = ? ORDER BY zone_id",
                       [int(eid)]).fetchall()
    return [str(r[0]) for r in rows]


def points_hashes(con: duckdb.DuckDBPyConnection, zone: str, year: int, hash_prefix: str) -> list[str]:
    """Rule hashes of stored points lists of (zone, year) starting with ``hash_prefix``."""
    rows = con.execute("SELECT DISTINCT rules_hash FROM innovation_points WHERE zone_id = ? AND year = ? "
                       "AND starts_with(rules_hash, ?) ORDER BY rules_hash", [zone, int(year), hash_prefix]).fetchall()
    return [str(r[0]) for r in rows]
