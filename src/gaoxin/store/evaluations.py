"""Stored evaluations: their rows, scores and rank intervals (the SQL of the evaluation stage lives here).

Every value reaches SQL as a bound parameter; frames are inserted through a
registered relation.  Ids are assigned inside the transaction that commits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

import gaoxin
from gaoxin.store import audit
from gaoxin.store.sql import ident


class EvaluationNotFound(LookupError):
    pass


@dataclass(frozen=True)
class EvaluationRecord:
    """What is stored about one evaluation besides its scores."""

    framework: str  # framework id or file it was loaded from
    framework_hash: str
    year: int
    snapshot: int
    config: list[dict[str, Any]]
    config_hash: str
    log: dict[str, Any]


_TABLES = ("evaluation_score", "evaluation_uncertainty")


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, name: str) -> None:
    con.register(name, df)
    try:
        con.execute(f"INSERT INTO {ident(table, _TABLES)} SELECT * FROM {ident(name, ('_scores', '_unc'))}")
    finally:
        con.unregister(name)


def save(con: duckdb.DuckDBPyConnection, rec: EvaluationRecord, scores: pd.DataFrame, user: str) -> int:
    """Store one evaluation and its long score table (``evaluation_id`` column filled here) atomically."""
    con.execute("BEGIN TRANSACTION")
    try:
        eid = con.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluation").fetchall()[0][0]
        con.execute(
            "INSERT INTO evaluation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [eid, dt.datetime.now(), rec.framework, rec.framework_hash, rec.year, rec.snapshot,
             json.dumps(rec.config, ensure_ascii=False), rec.config_hash,
             json.dumps(rec.log, ensure_ascii=False, default=str), gaoxin.__version__, user],
        )
        rows = scores.copy()
        rows.insert(0, "evaluation_id", int(eid))
        _insert_frame(con, "evaluation_score", rows, "_scores")
        audit.record(con, "evaluate", f"evaluation {eid}", framework=rec.framework, year=rec.year,
                     snapshot=rec.snapshot)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(eid)


def load(con: duckdb.DuckDBPyConnection, eid: int) -> dict[str, Any]:
    """The evaluation row as a dict (config and log still JSON text)."""
    rows = con.execute("SELECT * FROM evaluation WHERE id = ?", [int(eid)]).df()
    if rows.empty:
        raise EvaluationNotFound(f"评价不存在 / evaluation not found: {eid}")
    return rows.iloc[0].to_dict()


def scores(con: duckdb.DuckDBPyConnection, eid: int, *, level: int | None = None,
           code: str | None = None) -> pd.DataFrame:
    """Stored scores of ``eid`` (optionally of one level or one code)."""
    return con.execute(
        "SELECT zone_id, level, code, value, score, rank, rank_in_region FROM evaluation_score "
        "WHERE evaluation_id = ? AND (? IS NULL OR level = ?) AND (? IS NULL OR code = ?) ORDER BY zone_id, code",
        [int(eid), level, level, code, code]).df()


def previous(con: duckdb.DuckDBPyConnection, framework: str, config_hash: str, year: int,
             snapshot: int) -> int | None:
    """The newest stored evaluation of ``year`` with the same framework, config and snapshot."""
    rows = con.execute(
        "SELECT id FROM evaluation WHERE framework = ? AND config_hash = ? AND year = ? AND snapshot_id = ? "
        "ORDER BY id DESC LIMIT 1", [framework, config_hash, int(year), int(snapshot)]).fetchall()
    return int(rows[0][0]) if rows else None


def listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT id, created_at, framework, year, snapshot_id, config_hash, created_by FROM evaluation ORDER BY id"
    ).df()


UNCERTAINTY_COLUMNS = ["zone_id", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "mean_abs_shift"]


def save_uncertainty(con: duckdb.DuckDBPyConnection, eid: int, summary: pd.DataFrame, runs: int,
                     seed: int) -> None:
    """Replace the stored rank intervals of ``eid`` (``summary`` has UNCERTAINTY_COLUMNS)."""
    s = summary[UNCERTAINTY_COLUMNS].copy()
    s.insert(0, "evaluation_id", int(eid))
    s.insert(2, "runs", int(runs))
    s.insert(3, "seed", int(seed))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM evaluation_uncertainty WHERE evaluation_id = ?", [int(eid)])
        _insert_frame(con, "evaluation_uncertainty", s, "_unc")
        audit.record(con, "uncertainty", f"evaluation {eid}", runs=runs, seed=seed)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def uncertainty(con: duckdb.DuckDBPyConnection, eid: int) -> pd.DataFrame:
    """Stored rank intervals of ``eid``, indexed by zone (empty when none were computed)."""
    return con.execute("SELECT zone_id, runs, rank_p05, median_rank, rank_p95 FROM evaluation_uncertainty "
                       "WHERE evaluation_id = ?", [int(eid)]).df().set_index("zone_id")
