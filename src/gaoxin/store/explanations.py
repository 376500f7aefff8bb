"""Stored explanations of score and rank changes (one JSON document per evaluation, baseline and zone).

The SQL of the explain service lives here: values reach it as bound parameters only. Explanations of one
evaluation against one baseline are replaced together in one transaction with their audit row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import duckdb
import pandas as pd

import gaoxin
from gaoxin.store import audit


def save(con: duckdb.DuckDBPyConnection, evaluation_id: int, base_key: str, base_evaluation_id: int | None,
         base_year: int, payloads: dict[str, dict[str, Any]]) -> None:
    """Store ``payloads`` (zone_id → explanation dict) of ``evaluation_id`` against ``base_key``, replacing
    those zones' earlier explanations against the same baseline, atomically."""
    now = dt.datetime.now()
    rows = [[int(evaluation_id), base_key, str(z), base_evaluation_id, int(base_year), now, gaoxin.__version__,
             json.dumps(p, ensure_ascii=False, allow_nan=False)] for z, p in sorted(payloads.items())]
    con.execute("BEGIN TRANSACTION")
    try:
        for r in rows:
            con.execute("DELETE FROM evaluation_explanation WHERE evaluation_id = ? AND base_key = ? AND zone_id = ?",
                        r[:3])
        con.executemany("INSERT INTO evaluation_explanation (evaluation_id, base_key, zone_id, base_evaluation_id, "
                        "base_year, created_at, gaoxin_version, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        audit.record(con, "explain", f"evaluation {int(evaluation_id)}", base=base_key, zones=len(rows))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load(con: duckdb.DuckDBPyConnection, evaluation_id: int, zone_id: str,
         base_key: str | None = None) -> dict[str, Any] | None:
    """The stored explanation of ``zone_id`` in ``evaluation_id`` (against ``base_key``, else the newest)."""
    rows = con.execute(
        "SELECT payload FROM evaluation_explanation WHERE evaluation_id = ? AND zone_id = ? "
        "AND (? IS NULL OR base_key = ?) ORDER BY created_at DESC LIMIT 1",
        [int(evaluation_id), str(zone_id), base_key, base_key]).fetchall()
    return json.loads(rows[0][0]) if rows else None


def listing(con: duckdb.DuckDBPyConnection, evaluation_id: int) -> pd.DataFrame:
    """Which explanations ``evaluation_id`` has: zone, baseline, when."""
    return con.execute(
        "SELECT zone_id, base_key, base_evaluation_id, base_year, created_at FROM evaluation_explanation "
        "WHERE evaluation_id = ? ORDER BY zone_id, base_key", [int(evaluation_id)]).df()


def enterprise_names(con: duckdb.DuckDBPyConnection, snapshot: int, year: int,
                     credit_codes: Iterable[str]) -> dict[str, str]:
    """Names of the given enterprises as reported in ``year`` of ``snapshot`` (credit code → name)."""
    codes = sorted({str(c) for c in credit_codes})
    if not codes:
        return {}
    rows = con.execute("SELECT credit_code, any_value(name ORDER BY year DESC) FROM enterprise_years_at(?) "
                       "WHERE year <= ? AND list_contains(?, credit_code) GROUP BY credit_code",
                       [int(snapshot), int(year), codes]).fetchall()
    return {str(c): str(n) for c, n in rows}
