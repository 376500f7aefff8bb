"""Stored evaluations: their rows, scores and rank intervals (the SQL of the evaluation stage lives here).

Every value reaches SQL as a bound parameter; frames are inserted through a
registered relation.  Ids are assigned inside the transaction that commits.
An evaluation is stored whole or not at all: its row, scores, rank intervals
and audit row are written in one transaction (docs/reliability.md).
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
from gaoxin.store.db import atomic
from gaoxin.store.sql import ident


class EvaluationNotFound(LookupError):
    pass


@dataclass(frozen=True)
class EvaluationRecord:
    """What is stored about one evaluation besides its scores."""

    framework: str  # framework id or file it was loaded from (provenance; re-runs use the content)
    framework_hash: str  # sha256 of framework_toml's UTF-8 bytes ("in-memory" without a file)
    year: int
    snapshot: int
    config: list[dict[str, Any]]
    config_hash: str
    log: dict[str, Any]
    framework_id: str | None = None
    framework_version: str | None = None
    framework_toml: str | None = None  # the framework file's full text: what a re-run parses
    config_name: str | None = None  # packaged configuration name (robust, official-2021), None for a file


_TABLES = ("evaluation_score", "evaluation_uncertainty", "evaluation_comparison")
COMPARISON_COLUMNS = ["zone_id", "rank", "companion_rank", "shift", "score", "companion_score"]
UNCERTAINTY_COLUMNS = ["zone_id", "nominal_rank", "median_rank", "rank_p05", "rank_p95", "mean_abs_shift"]


@dataclass(frozen=True)
class Intervals:
    """Monte Carlo rank intervals to store: ``summary`` has UNCERTAINTY_COLUMNS (zone_id a column)."""

    summary: pd.DataFrame
    runs: int
    seed: int

    def rows(self, eid: int) -> pd.DataFrame:
        s = self.summary[UNCERTAINTY_COLUMNS].copy()
        s.insert(0, "evaluation_id", int(eid))
        s.insert(2, "runs", int(self.runs))
        s.insert(3, "seed", int(self.seed))
        return s


@dataclass(frozen=True)
class Companion:
    """An evaluation's companion to store with it: its own record and scores, and the comparison
    (COMPARISON_COLUMNS, one row per zone) with Spearman's rho."""

    record: EvaluationRecord
    scores: pd.DataFrame
    comparison: pd.DataFrame
    spearman: float

    def comparison_rows(self, eid: int) -> pd.DataFrame:
        c = self.comparison[COMPARISON_COLUMNS].copy()
        c.insert(0, "evaluation_id", int(eid))
        return c


def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, df: pd.DataFrame, name: str) -> None:
    con.register(name, df)
    try:
        con.execute(f"INSERT INTO {ident(table, _TABLES)} SELECT * FROM {ident(name, ('_scores', '_unc', '_cmp'))}")
    finally:
        con.unregister(name)


def _insert_evaluation(con: duckdb.DuckDBPyConnection, eid: int, rec: EvaluationRecord, scores: pd.DataFrame,
                       user: str, companion_of: int | None = None) -> None:
    con.execute(
        "INSERT INTO evaluation (id, created_at, framework, framework_hash, year, snapshot_id, config, "
        "config_hash, log, gaoxin_version, created_by, framework_id, framework_version, framework_toml, "
        "config_name, companion_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [eid, dt.datetime.now(), rec.framework, rec.framework_hash, rec.year, rec.snapshot,
         json.dumps(rec.config, ensure_ascii=False), rec.config_hash,
         json.dumps(rec.log, ensure_ascii=False, default=str), gaoxin.__version__, user,
         rec.framework_id, rec.framework_version, rec.framework_toml, rec.config_name, companion_of],
    )
    rows = scores.copy()
    rows.insert(0, "evaluation_id", int(eid))
    _insert_frame(con, "evaluation_score", rows, "_scores")


def save(con: duckdb.DuckDBPyConnection, rec: EvaluationRecord, scores: pd.DataFrame, user: str,
         intervals: Intervals | None = None, companion: Companion | None = None) -> int:
    """Store one evaluation, its long score table, (optionally) its rank intervals and its companion
    (a second evaluation row, its scores and the comparison) in one transaction.

    Everything is computed before this is called, so a failure or a kill at any point leaves no trace.
    """
    with atomic(con):  # a full disk anywhere, COMMIT included, is one DiskFull with nothing stored
        eid = con.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluation").fetchall()[0][0]
        _insert_evaluation(con, eid, rec, scores, user)
        detail: dict[str, Any] = {"framework": rec.framework_id or rec.framework, "year": rec.year,
                                  "snapshot": rec.snapshot}
        if intervals is not None:
            _insert_frame(con, "evaluation_uncertainty", intervals.rows(int(eid)), "_unc")
            detail |= {"runs": intervals.runs, "seed": intervals.seed}
        if companion is not None:
            cid = eid + 1
            _insert_evaluation(con, cid, companion.record, companion.scores, user, companion_of=eid)
            shift = companion.comparison["shift"].astype("float64").abs().mean()
            con.execute("INSERT INTO evaluation_companion VALUES (?, ?, ?, ?)",
                        [eid, cid, _finite(companion.spearman), _finite(shift)])
            _insert_frame(con, "evaluation_comparison", companion.comparison_rows(eid), "_cmp")
            detail |= {"companion": int(cid), "companion_config": companion.record.config_name}
        audit.record(con, "evaluate", f"evaluation {eid}", **detail)
    return int(eid)


def _finite(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def companion(con: duckdb.DuckDBPyConnection, eid: int) -> dict[str, Any] | None:
    """The companion of ``eid`` (companion_id, spearman, mean_abs_shift, config_name), or None."""
    rows = con.execute(
        "SELECT c.companion_id, c.spearman, c.mean_abs_shift, e.config_name FROM evaluation_companion c "
        "JOIN evaluation e ON e.id = c.companion_id WHERE c.evaluation_id = ?", [int(eid)]).fetchall()
    if not rows:
        return None
    cid, rho, shift, name = rows[0]
    return {"companion_id": int(cid), "spearman": rho, "mean_abs_shift": shift, "config_name": name}


def comparison(con: duckdb.DuckDBPyConnection, eid: int) -> pd.DataFrame:
    """The stored per-zone comparison of ``eid`` with its companion (empty when it has none)."""
    return con.execute(
        "SELECT zone_id, rank, companion_rank, shift, score, companion_score FROM evaluation_comparison "
        "WHERE evaluation_id = ? ORDER BY rank, zone_id", [int(eid)]).df()


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


def previous(con: duckdb.DuckDBPyConnection, framework_hash: str, framework_id: str, config_hash: str, year: int,
             snapshot: int) -> int | None:
    """The newest stored evaluation of ``year`` with the same framework (content and id), config and snapshot.

    Matching on the content's hash, not on a path, finds it wherever the file was loaded from; rows
    stored before schema 4 have no id and match on the hash alone.
    """
    rows = con.execute(
        "SELECT id FROM evaluation WHERE framework_hash = ? AND coalesce(framework_id, ?) = ? AND config_hash = ? "
        "AND year = ? AND snapshot_id = ? ORDER BY id DESC LIMIT 1",
        [framework_hash, framework_id, framework_id, config_hash, int(year), int(snapshot)]).fetchall()
    return int(rows[0][0]) if rows else None


def listing(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per evaluation; ``framework_id`` is NULL for rows stored before schema 4."""
    return con.execute(
        "SELECT e.id, e.created_at, e.framework, e.framework_id, e.year, e.snapshot_id, e.config_name, "
        "e.config_hash, e.companion_of, c.companion_id, c.spearman, e.created_by "
        "FROM evaluation e LEFT JOIN evaluation_companion c ON c.evaluation_id = e.id ORDER BY e.id").df()


def save_uncertainty(con: duckdb.DuckDBPyConnection, eid: int, summary: pd.DataFrame, runs: int,
                     seed: int) -> None:
    """Replace the stored rank intervals of ``eid`` (``summary`` has UNCERTAINTY_COLUMNS), atomically."""
    with atomic(con):
        con.execute("DELETE FROM evaluation_uncertainty WHERE evaluation_id = ?", [int(eid)])
        _insert_frame(con, "evaluation_uncertainty", Intervals(summary, runs, seed).rows(eid), "_unc")
        audit.record(con, "uncertainty", f"evaluation {eid}", runs=runs, seed=seed)


def uncertainty(con: duckdb.DuckDBPyConnection, eid: int) -> pd.DataFrame:
    """Stored rank intervals of ``eid``, indexed by zone (empty when none were computed)."""
    return con.execute("SELECT zone_id, runs, rank_p05, median_rank, rank_p95 FROM evaluation_uncertainty "
                       "WHERE evaluation_id = ?", [int(eid)]).df().set_index("zone_id")
