"""Stored innovation points (one row per snapshot, year, rule-file hash and enterprise).

The SQL of the points service lives here; values reach it as bound parameters only. One save replaces that
snapshot's, year's and rule's rows in one transaction with its audit row.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import duckdb
import pandas as pd

import gaoxin
from gaoxin.store import audit
from gaoxin.store.explanations import enterprise_names

__all__ = ["enterprise_names", "load", "save"]


def _num(v: Any) -> float | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else float(v)


def _text(v: Any) -> str | None:
    """A text cell or None (a missing string comes back from the engine as NaN in pandas 3)."""
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)


def save(con: duckdb.DuckDBPyConnection, snapshot: int, year: int, rules_hash: str, rule_id: str,
         frame: pd.DataFrame) -> int:
    """Replace the stored points of (snapshot, year, rules_hash) by ``frame`` (the service's frame); rows written."""
    now = dt.datetime.now()
    pts_cols = [c for c in frame.columns if c.startswith("pts_")]
    rows = []
    for r in frame.to_dict("records"):
        payload = {c.removeprefix("pts_"): _num(r[c]) for c in pts_cols}
        payload.update(bonus=_num(r["bonus"]), negative=_num(r["negative"]))
        rank = r["rank"]
        rows.append([int(snapshot), int(year), rules_hash, rule_id, str(r["credit_code"]), str(r["zone_id"]),
                     _text(r["band"]), _num(r["points"]),
                     None if rank is pd.NA or rank is None else int(rank),
                     None if r["peer_size"] is pd.NA else int(r["peer_size"]), str(r["top_band"]),
                     json.dumps(payload, ensure_ascii=False, allow_nan=False), now, gaoxin.__version__])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM innovation_points WHERE snapshot_id = ? AND year = ? AND rules_hash = ?",
                    [int(snapshot), int(year), rules_hash])
        if rows:
            con.executemany("INSERT INTO innovation_points (snapshot_id, year, rules_hash, rule_id, credit_code, "
                            "zone_id, band, points, peer_rank, peer_size, top_band, payload, created_at, "
                            "gaoxin_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        audit.record(con, "points", f"snapshot {int(snapshot)} year {int(year)}", rules=rules_hash[:12],
                     enterprises=len(rows))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def load(con: duckdb.DuckDBPyConnection, snapshot: int, year: int, rules_hash: str) -> pd.DataFrame:
    """The stored rows of (snapshot, year, rules_hash), ordered by zone, band and rank."""
    return con.execute(
        "SELECT credit_code, zone_id, band, points, peer_rank, peer_size, top_band, payload FROM innovation_points "
        "WHERE snapshot_id = ? AND year = ? AND rules_hash = ? ORDER BY zone_id, band, peer_rank, credit_code",
        [int(snapshot), int(year), rules_hash]).df()
