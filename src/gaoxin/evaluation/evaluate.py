"""Evaluate zones on the store: framework indicators → index pipeline → stored, re-runnable results.

An evaluation is (framework file, year, snapshot, pipeline steps).  Its row in
the ``evaluation`` table keeps the framework file's hash, the steps and their
hash, and the pipeline's step log, so ``rerun_evaluation`` recomputes the
indicators from the same snapshot, replays the log and checks that every
stored number comes out identical.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import gaoxin
from gaoxin.evaluation.classify import classify, grade
from gaoxin.evaluation.methods.results import rank_within, strengths_weaknesses
from gaoxin.evaluation.pipeline import IndexResult, Step, as_steps, config_hash, rerun, run_pipeline
from gaoxin.indicators.compute import compute_indicators
from gaoxin.indicators.framework import Framework, load_framework
from gaoxin.store import audit
from gaoxin.store.snapshots import resolve


class EvaluationError(ValueError):
    pass


def default_steps() -> list[Step]:
    """The default zone pipeline (``configs/default.toml``; rationale in docs/decisions/0004)."""
    text = resources.files("gaoxin.evaluation").joinpath("configs", "default.toml").read_text("utf-8")
    return as_steps(tomllib.loads(text)["step"])


def framework_meta(fw: Framework) -> pd.DataFrame:
    """The framework tree in COINr iMeta layout (iCode, Parent, Level, Weight, Direction, Type).

    Indicator weights are their weight, else their 赋权 multiplier, else 1;
    the pipeline renormalises them within each parent.
    """
    root = fw.meta.index_code
    rows = [{"iCode": i.code, "Parent": i.parent, "Type": "Indicator", "Level": 1,
             "Weight": i.weight if i.weight is not None else (i.multiplier or 1.0),
             "Direction": -1.0 if i.direction == "cost" else 1.0, "iName": i.name_zh} for i in fw.indicators]
    level: dict[str, int] = {}

    def depth(code: str) -> int:  # 1 + the deepest child's level
        if code not in level:
            kids = [p.code for p in fw.children(code)]
            level[code] = 1 + max([depth(k) for k in kids] + [1 if fw.indicators_of(code) else 0])
        return level[code]

    for p in fw.pillars:
        rows.append({"iCode": p.code, "Parent": p.parent or root, "Type": "Aggregate", "Level": depth(p.code),
                     "Weight": p.weight if p.weight is not None else 1.0, "Direction": 1.0, "iName": p.name_zh})
    top = max((r["Level"] for r in rows), default=1) + 1
    rows.append({"iCode": root, "Parent": None, "Type": "Aggregate", "Level": top, "Weight": 1.0,
                 "Direction": 1.0, "iName": fw.meta.name_zh})
    return pd.DataFrame(rows)


def file_hash(fw: Framework) -> str:
    return hashlib.sha256(Path(fw.path).read_bytes()).hexdigest() if fw.path else "in-memory"


def zone_data(con: duckdb.DuckDBPyConnection, fw: Framework, year: int, snapshot: int) -> pd.DataFrame:
    """Units × indicators for one year, with the zones' region and level as group columns."""
    wide = compute_indicators(con, fw, (year, year), snapshot)
    wide = wide[wide["year"] == year].drop(columns="year").set_index("zone_id").sort_index()
    zones = con.execute(f"SELECT zone_id, region, level FROM zones_at({int(snapshot)})").df().set_index("zone_id")
    data = zones.join(wide, how="inner")
    codes = [i.code for i in fw.indicators]
    data[codes] = stable(data[codes].astype(float).replace([np.inf, -np.inf], np.nan))
    return data


def stable(x: pd.DataFrame, digits: int = 12) -> pd.DataFrame:
    """Round to ``digits`` significant digits.

    DuckDB adds floating-point partial sums from parallel threads in no fixed
    order, so the last bits of an aggregate can differ between two runs on the
    same snapshot. Rounding far below any meaningful precision makes the
    pipeline's input — and so every score and the logged data hash — identical.
    """
    a = x.to_numpy(dtype=float, copy=True)
    nz = np.isfinite(a) & (a != 0)
    scale = np.ones_like(a)
    scale[nz] = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(a[nz]))))
    a[nz] = np.round(a[nz] * scale[nz]) / scale[nz]
    return pd.DataFrame(a, index=x.index, columns=x.columns)


def _usable(meta: pd.DataFrame, data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drop indicators with no value for any zone (e.g. a zone fact nobody supplied) and empty pillars."""
    ind = meta[meta["Type"] == "Indicator"]
    empty = [c for c in ind["iCode"] if data[c].notna().sum() == 0]
    m = meta[~meta["iCode"].isin(empty)]
    while True:  # prune aggregates left without children
        parents = set(m["Parent"].dropna())
        dead = m[(m["Type"] == "Aggregate") & ~m["iCode"].isin(parents) & m["Parent"].notna()]
        if dead.empty:
            return m.reset_index(drop=True), empty
        m = m[~m["iCode"].isin(dead["iCode"])]


@dataclass
class Evaluation:
    id: int
    framework: Framework
    year: int
    snapshot: int
    result: IndexResult
    data: pd.DataFrame
    meta: pd.DataFrame
    dropped: list[str]

    def table(self, con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
        """One row per zone: rank (overall, in region, in zone type), score, grade, zone type, pillar scores.

        With ``con``, also the change against the stored evaluation of the previous year made with the
        same framework file, pipeline config and snapshot (NaN when there is none).
        """
        root = self.framework.meta.index_code
        r = self.result
        zones = r.scores.index
        region = self.data.loc[zones, "region"]
        t = pd.DataFrame({"zone_id": zones, "region": region.to_numpy(), "rank": r.ranks[root].to_numpy(),
                          "score": r.scores[root].to_numpy()})
        t["rank_in_region"] = rank_within(r.scores[root], region).to_numpy()
        t = classify(t)
        t = grade(t, by="region").drop(columns=["rank_pct_in_region"], errors="ignore")
        t["rank_in_type"] = rank_within(t.set_index("zone_id")["score"], t.set_index("zone_id")["zone_type"]).to_numpy()
        if con is not None:
            unc = con.execute("SELECT zone_id, rank_p05, median_rank, rank_p95 FROM evaluation_uncertainty "
                              "WHERE evaluation_id = ?", [self.id]).df().set_index("zone_id")
            for c in unc.columns:  # rank intervals go wherever the ranking goes
                t[c] = t["zone_id"].map(unc[c])
            prev = _previous(con, self)
            t["score_change"] = t["score"] - t["zone_id"].map(prev["score"]) if prev is not None else np.nan
            t["rank_change"] = t["zone_id"].map(prev["rank"]) - t["rank"] if prev is not None else np.nan
        for p in (p.code for p in self.framework.pillars if p.parent is None):
            if p in r.scores.columns:
                t[p] = r.scores[p].to_numpy()
        keep = [c for c in t.columns if c not in ("rank_pct", "type_rule", "type_assumption", "zone_type_en")]
        t = t.astype({c: "Int64" for c in ("rank", "rank_in_region", "rank_in_type")})
        return t[keep].sort_values(["rank", "zone_id"]).reset_index(drop=True)

    def strengths_weaknesses(self, threshold: float = 0.25, top_n: int | None = 3) -> pd.DataFrame:
        """Per zone, indicators ranked far better (优势) or worse (短板) than the zone's overall rank."""
        r = self.result
        inds = [c for c in self.meta.loc[self.meta["Type"] == "Indicator", "iCode"] if c in r.scores.columns]
        sw = strengths_weaknesses(r.scores[inds], r.scores[self.framework.meta.index_code], threshold, top_n)
        names = {i.code: i.name_zh for i in self.framework.indicators}
        sw.insert(2, "name_zh", sw["iCode"].map(names))
        sw.insert(3, "kind_zh", sw["kind"].map({"strength": "优势", "weakness": "短板"}))
        return sw.rename(columns={"unit": "zone_id"})

    def sheets(self, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, pd.DataFrame]:
        """The evaluation as workbook sheets: ranking, indicator values and scores, strengths, run log."""
        inds = [c for c in self.meta.loc[self.meta["Type"] == "Indicator", "iCode"]]
        values = self.data[inds].add_suffix(" 原值 value")
        scores = self.result.scores[[c for c in inds if c in self.result.scores.columns]].add_suffix(" 得分 score")
        log = pd.DataFrame([{"step": e["step"], "resolved": json.dumps(e["resolved"], ensure_ascii=False),
                             "shape_out": str(e["shape_out"]), "config_hash": e["config_hash"]}
                            for e in self.result.log])
        return {"排名 ranking": self.table(con), "指标 indicators": values.join(scores).reset_index(),
                "优势短板 strengths": self.strengths_weaknesses(), "运行日志 log": log}


def _previous(con: duckdb.DuckDBPyConnection, ev: Evaluation) -> pd.DataFrame | None:
    rows = con.execute(
        """SELECT id FROM evaluation WHERE framework = ? AND config_hash = ? AND year = ? AND snapshot_id = ?
           ORDER BY id DESC LIMIT 1""",
        [ev.framework.path or ev.framework.id, ev.result.config_hash, ev.year - 1, ev.snapshot]).fetchall()
    if not rows:
        return None
    return con.execute("SELECT zone_id, score, rank FROM evaluation_score WHERE evaluation_id = ? AND code = ?",
                       [rows[0][0], ev.framework.meta.index_code]).df().set_index("zone_id")


def evaluate(con: duckdb.DuckDBPyConnection, framework: str | Framework, year: int, snapshot: int | str | None = None,
             steps: list | None = None, *, save: bool = True) -> Evaluation:
    """Run one evaluation and (by default) store it; returns it with its id."""
    fw = load_framework(framework)
    sid = resolve(con, snapshot)
    steps = as_steps(steps) if steps is not None else default_steps()
    data = zone_data(con, fw, year, sid)
    if data.empty:
        raise EvaluationError(f"no zone has data for {year} in snapshot {sid} / 快照{sid}中{year}年无园区数据")
    meta, dropped = _usable(framework_meta(fw), data)
    result = run_pipeline(data, meta, steps)
    ev = Evaluation(0, fw, year, sid, result, data, meta, dropped)
    if save:
        ev.id = _save(con, ev, steps)
    return ev


def _save(con: duckdb.DuckDBPyConnection, ev: Evaluation, steps: list[Step]) -> int:
    r, fw = ev.result, ev.framework
    con.execute("BEGIN TRANSACTION")
    try:
        eid = con.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluation").fetchall()[0][0]
        log = {"steps": r.log, "dropped_indicators": ev.dropped, "framework_id": fw.id,
               "framework_version": fw.meta.version}
        con.execute(
            "INSERT INTO evaluation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [eid, dt.datetime.now(), fw.path or fw.id, file_hash(fw), ev.year, ev.snapshot,
             json.dumps([s.to_dict() for s in steps], ensure_ascii=False), config_hash(steps),
             json.dumps(log, ensure_ascii=False, default=str), gaoxin.__version__, audit.current_user()],
        )
        con.register("_scores", scores_frame(ev, eid))
        con.execute("INSERT INTO evaluation_score SELECT * FROM _scores")
        con.unregister("_scores")
        audit.record(con, "evaluate", f"evaluation {eid}", framework=fw.id, year=ev.year, snapshot=ev.snapshot)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return eid


def scores_frame(ev: Evaluation, eid: int) -> pd.DataFrame:
    """Long table of every level's scores and ranks, as stored in evaluation_score."""
    r, meta = ev.result, ev.meta.set_index("iCode")
    region = ev.data.loc[r.scores.index, "region"]
    parts = []
    for code in r.scores.columns:
        if code not in meta.index:
            continue
        s = r.scores[code]
        rank = r.ranks[code] if code in r.ranks.columns else s.rank(ascending=False, method="min")
        parts.append(pd.DataFrame({
            "evaluation_id": eid, "zone_id": s.index.astype(str), "level": int(meta.loc[code, "Level"]),
            "code": code, "value": ev.data.loc[s.index, code].to_numpy() if code in ev.data.columns else np.nan,
            "score": s.to_numpy(), "rank": rank.to_numpy(),
            "rank_in_region": rank_within(s, region).to_numpy()}))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"level": "int32", "rank": "Int32", "rank_in_region": "Int32"})


def load_evaluation(con: duckdb.DuckDBPyConnection, eid: int) -> dict:
    rows = con.execute("SELECT * FROM evaluation WHERE id = ?", [int(eid)]).df()
    if rows.empty:
        raise EvaluationError(f"评价不存在 / evaluation not found: {eid}")
    return rows.iloc[0].to_dict()


def rerun_evaluation(con: duckdb.DuckDBPyConnection, eid: int) -> tuple[Evaluation, float]:
    """Recompute evaluation ``eid`` from its snapshot and log; returns it and the largest score difference."""
    row = load_evaluation(con, eid)
    fw = load_framework(row["framework"])
    if file_hash(fw) != row["framework_hash"]:
        raise EvaluationError(f"framework file changed since evaluation {eid} / 指标体系文件已修改: {row['framework']}")
    log = json.loads(row["log"])
    data = zone_data(con, fw, int(row["year"]), int(row["snapshot_id"]))
    meta, dropped = _usable(framework_meta(fw), data)
    result = rerun(data, meta, log["steps"])
    ev = Evaluation(eid, fw, int(row["year"]), int(row["snapshot_id"]), result, data, meta, dropped)
    new = scores_frame(ev, eid).set_index(["zone_id", "code"])["score"]
    old = con.execute("SELECT zone_id, code, score FROM evaluation_score WHERE evaluation_id = ?",
                      [int(eid)]).df().set_index(["zone_id", "code"])["score"]
    both = pd.concat([old.rename("old"), new.rename("new")], axis=1)
    same_nan = both["old"].isna() == both["new"].isna()
    diff = (both["old"] - both["new"]).abs().max(skipna=True)
    return ev, float("inf") if not same_nan.all() else float(0.0 if pd.isna(diff) else diff)


def list_evaluations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT id, created_at, framework, year, snapshot_id, config_hash FROM evaluation ORDER BY id").df()
