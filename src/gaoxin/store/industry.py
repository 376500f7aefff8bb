"""Stored industry-structure and chain-gap results (one JSON document per kind, snapshot, rule hash and key).

The SQL of the industry and chain services lives here; values reach it as bound parameters only.  Saving
replaces an earlier result of the same key in one transaction with its audit row.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

import gaoxin
from gaoxin.store import audit
from gaoxin.store.db import atomic


def save(con: duckdb.DuckDBPyConnection, kind: str, snapshot: int, rule_hash: str, key: str,
         payload: dict[str, Any]) -> None:
    """Store ``payload`` under (kind, snapshot, rule_hash, key), replacing an earlier one, atomically."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    ident = [kind, int(snapshot), rule_hash, key]
    with atomic(con):
        con.execute("DELETE FROM industry_result WHERE kind = ? AND snapshot_id = ? AND rule_hash = ? AND key = ?",
                    ident)
        con.execute("INSERT INTO industry_result (kind, snapshot_id, rule_hash, key, created_at, gaoxin_version, "
                    "payload) VALUES (?, ?, ?, ?, ?, ?, ?)", [*ident, dt.datetime.now(), gaoxin.__version__, text])
        audit.record(con, f"save {kind}", f"snapshot {int(snapshot)}", key=key, rule_hash=rule_hash)


def load(con: duckdb.DuckDBPyConnection, kind: str, snapshot: int, rule_hash: str, key: str) -> dict[str, Any] | None:
    """The stored result of that key, or None."""
    rows = con.execute("SELECT payload FROM industry_result WHERE kind = ? AND snapshot_id = ? AND rule_hash = ? "
                       "AND key = ?", [kind, int(snapshot), rule_hash, key]).fetchall()
    return json.loads(rows[0][0]) if rows else None


def listing(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """(kind, snapshot, rule hash, key, created) of every stored result."""
    return con.execute("SELECT kind, snapshot_id, rule_hash, key, created_at FROM industry_result "
                       "ORDER BY kind, snapshot_id, key").fetchall()
