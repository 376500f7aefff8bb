"""Stored enterprise-tier results: one JSON document per snapshot, rule-file hash, year and zone.

Values reach SQL as bound parameters only; a save replaces the same key's document with its audit row in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb

import gaoxin
from gaoxin.store import audit


def save(con: duckdb.DuckDBPyConnection, snapshot: int, rules_sha256: str, rules_id: str, year: int,
         zone: str | None, payload: dict[str, Any]) -> None:
    key = [int(snapshot), str(rules_sha256), int(year), zone or ""]
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM tier_result WHERE snapshot_id = ? AND rules_sha256 = ? AND year = ? "
                    "AND zone_key = ?", key)
        con.execute("INSERT INTO tier_result (snapshot_id, rules_sha256, year, zone_key, rules_id, created_at, "
                    "gaoxin_version, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [*key, str(rules_id), dt.datetime.now(), gaoxin.__version__, text])
        audit.record(con, "tiers", f"snapshot {int(snapshot)} year {int(year)}", rules=rules_sha256[:12],
                     zone=zone or "all")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load(con: duckdb.DuckDBPyConnection, snapshot: int, rules_sha256: str, year: int,
         zone: str | None) -> dict[str, Any] | None:
    rows = con.execute("SELECT payload FROM tier_result WHERE snapshot_id = ? AND rules_sha256 = ? AND year = ? "
                       "AND zone_key = ?", [int(snapshot), str(rules_sha256), int(year), zone or ""]).fetchall()
    return json.loads(rows[0][0]) if rows else None
