"""Stored 亩均 evaluations: one JSON document per snapshot, year, rule-file hash and zone selection.

Values reach the SQL as bound parameters only; a save replaces the same key in one transaction with its audit row.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pandas as pd

import gaoxin
from gaoxin.store import audit


def save(con: duckdb.DuckDBPyConnection, snapshot: int, year: int, rules_hash: str, zone_key: str,
         rules_id: str, payload: dict[str, Any]) -> None:
    row = [int(snapshot), int(year), rules_hash, zone_key, rules_id, dt.datetime.now(), gaoxin.__version__,
           json.dumps(payload, ensure_ascii=False, allow_nan=False)]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM mujun_result WHERE snapshot_id = ? AND year = ? AND rules_hash = ? AND zone_key = ?",
                    row[:4])
        con.execute("INSERT INTO mujun_result (snapshot_id, year, rules_hash, zone_key, rules_id, created_at, "
                    "gaoxin_version, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        audit.record(con, "mujun", f"snapshot {int(snapshot)} year {int(year)}", rules=rules_id,
                     rules_hash=rules_hash, zones=zone_key)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load(con: duckdb.DuckDBPyConnection, snapshot: int, year: int, rules_hash: str,
         zone_key: str) -> dict[str, Any] | None:
    rows = con.execute("SELECT payload FROM mujun_result WHERE snapshot_id = ? AND year = ? AND rules_hash = ? "
                       "AND zone_key = ?", [int(snapshot), int(year), rules_hash, zone_key]).fetchall()
    return json.loads(rows[0][0]) if rows else None


def listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT snapshot_id, year, rules_id, rules_hash, zone_key, created_at FROM mujun_result "
                       "ORDER BY snapshot_id, year, rules_id, zone_key").df()
