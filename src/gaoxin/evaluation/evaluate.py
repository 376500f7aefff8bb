"""Evaluate zones: a frame of zone indicators → index pipeline → ranks, grades, types, strengths.

Pure functions over frames: fetching the indicators from a snapshot and
storing the result are the services' and the store's work
(``gaoxin.services.evaluation``, ``gaoxin.store.evaluations``).  An evaluation
is (framework, year, snapshot, pipeline steps); what is stored of it — the
framework's hash, the steps and their hash, the pipeline's step log — is what
:func:`rerun_data` needs to reproduce every number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gaoxin.evaluation.classify import classify, grade
from gaoxin.evaluation.methods.results import rank_scores, rank_within, strengths_weaknesses
from gaoxin.evaluation.pipeline import (
    IndexResult,
    PipelineError,
    Step,
    as_steps,
    default_config_name,
    for_year,
    packaged_config,
    rerun,
    run_pipeline,
)
from gaoxin.indicators.framework import Framework


class EvaluationError(ValueError):
    pass


def default_steps(framework_id: str | None = None) -> list[Step]:
    """The pipeline a framework is evaluated with by default (``configs/defaults.toml``): ``official-2021``
    for the national framework, ``robust`` (decision 0004) for the others."""
    return packaged_config(default_config_name(framework_id or ""))


def counts_missing_as_zero(steps: list[Step]) -> bool:
    """True when the pipeline scores a missing value 0 (``impute zero`` or a ``sum`` aggregation)."""
    return any((s.name == "impute" and s.params.get("method") == "zero")
               or (s.name == "aggregate" and s.params.get("method") == "sum") for s in steps)


def framework_meta(fw: Framework) -> pd.DataFrame:
    """The framework tree in COINr iMeta layout (iCode, Parent, Level, Weight, Direction, Type).

    Indicator weights are their weight, else their 赋权 multiplier, else 1;
    the pipeline renormalises them within each parent.
    """
    root = fw.meta.index_code
    rows = [{"iCode": i.code, "Parent": i.parent, "Type": "Indicator", "Level": 1,
             "Weight": i.weight if i.weight is not None else (i.multiplier or 1.0),
             "Multiplier": i.multiplier if i.multiplier is not None else (i.weight or 1.0),
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


def zone_data(fw: Framework, wide: pd.DataFrame, zones: pd.DataFrame, year: int) -> pd.DataFrame:
    """Units × indicators for one year (from the wide indicator table), with region and level as group columns."""
    wide = wide[wide["year"] == year].drop(columns="year").set_index("zone_id").sort_index()
    data = zones.set_index("zone_id")[["region", "level"]].join(wide, how="inner")
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


def _usable(meta: pd.DataFrame, data: pd.DataFrame, keep_empty: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Drop indicators with no value for any zone (e.g. a zone fact nobody supplied) and empty pillars.

    With ``keep_empty`` (a pipeline where missing counts 0) nothing is dropped: such an indicator scores
    0 for every zone and keeps its weight, as the official-style scoring does.
    """
    if keep_empty:
        return meta.reset_index(drop=True), []
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

    def table(self, previous: pd.DataFrame | None = None, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
        """One row per zone: rank (overall, in region, in zone type), score, grade, zone type, pillar scores.

        ``previous`` (zone_id → score, rank of the previous year's evaluation with the same framework,
        config and snapshot) adds the changes; ``intervals`` (zone_id → rank_p05, median_rank,
        rank_p95) adds the Monte Carlo rank intervals.  Without them those columns are missing values.
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
        if intervals is not None and not intervals.empty:
            for c in ("rank_p05", "median_rank", "rank_p95"):  # rank intervals go wherever the ranking goes
                t[c] = t["zone_id"].map(intervals[c])
        prev = previous if previous is not None and not previous.empty else None
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

    def sheets(self, table: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
        """The evaluation as workbook sheets: ranking, indicator values and scores, strengths, run log."""
        inds = [c for c in self.meta.loc[self.meta["Type"] == "Indicator", "iCode"]]
        values = self.data[inds].add_suffix(" 原值 value")
        scores = self.result.scores[[c for c in inds if c in self.result.scores.columns]].add_suffix(" 得分 score")
        log = pd.DataFrame([{"step": e["step"], "resolved": json.dumps(e["resolved"], ensure_ascii=False),
                             "shape_out": str(e["shape_out"]), "config_hash": e["config_hash"]}
                            for e in self.result.log])
        ranking = self.table() if table is None else table
        return {"排名 ranking": ranking, "指标 indicators": values.join(scores).reset_index(),
                "优势短板 strengths": self.strengths_weaknesses(), "运行日志 log": log}


def evaluate_data(fw: Framework, data: pd.DataFrame, year: int, snapshot: int,
                  steps: list | None = None) -> tuple[Evaluation, list[Step]]:
    """Run the pipeline on one year's zone data; returns the (unsaved, id 0) evaluation and its steps."""
    steps = for_year(steps if steps is not None else default_steps(fw.id), year)
    if not any(s.name == "aggregate" for s in steps):  # checked before anything is computed or stored
        raise PipelineError("评价流程缺少聚合步骤（[[step]] name = \"aggregate\"）/ the pipeline has no aggregate "
                            "step: an evaluation needs one to give each zone an index score")
    if data.empty:
        raise EvaluationError(f"no zone has data for {year} in snapshot {snapshot} / "
                              f"快照{snapshot}中{year}年无园区数据")
    meta, dropped = _usable(framework_meta(fw), data, counts_missing_as_zero(steps))
    result = run_pipeline(data, meta, steps)
    return Evaluation(0, fw, year, snapshot, result, data, meta, dropped), steps


def rerun_data(fw: Framework, data: pd.DataFrame, year: int, snapshot: int, log_steps: list[dict],
               eid: int) -> Evaluation:
    """Replay a stored step log on freshly computed zone data (the data hash must match)."""
    keep = counts_missing_as_zero(as_steps([Step(e["step"], e.get("params", {})) for e in log_steps]))
    meta, dropped = _usable(framework_meta(fw), data, keep)
    return Evaluation(eid, fw, year, snapshot, rerun(data, meta, log_steps), data, meta, dropped)


def missing_zero_indicators(ev: Evaluation) -> list[str]:
    """Indicators no zone has a value for that the pipeline scores 0 for everyone (said loudly)."""
    inds = ev.meta.loc[ev.meta["Type"] == "Indicator", "iCode"]
    return [c for c in inds if c in ev.data.columns and ev.data[c].notna().sum() == 0]


def compare_rankings(main: pd.Series, other: pd.Series) -> tuple[pd.DataFrame, float]:
    """Per zone the rank under each scoring and the shift (other − main; positive = worse under
    ``other``), and Spearman's rank correlation of the two score vectors.

    Ranks: 1 = best, ties share the best rank (the published tie rule). Spearman's ρ is the Pearson
    correlation of the average ranks (ties averaged), over the zones scored by both.
    """
    both = pd.concat([main.rename("score"), other.rename("companion_score")], axis=1)
    t = pd.DataFrame({"zone_id": both.index.astype(str),
                      "rank": rank_scores(both["score"]).to_numpy(),
                      "companion_rank": rank_scores(both["companion_score"]).to_numpy(),
                      "score": both["score"].to_numpy(), "companion_score": both["companion_score"].to_numpy()})
    t["shift"] = (t["companion_rank"] - t["rank"]).astype("Int64")
    return t.sort_values(["rank", "zone_id"]).reset_index(drop=True), spearman(both["score"], both["companion_score"])


def spearman(a: pd.Series, b: pd.Series) -> float:
    """Spearman's ρ: Pearson correlation of average ranks over the pairs where both are present."""
    ok = a.notna() & b.notna()
    if ok.sum() < 2:
        return float("nan")
    ra, rb = a[ok].rank(method="average").to_numpy(), b[ok].rank(method="average").to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def run_log(ev: Evaluation) -> dict:
    """What is stored as an evaluation's log besides its steps."""
    return {"steps": ev.result.log, "dropped_indicators": ev.dropped, "framework_id": ev.framework.id,
            "framework_version": ev.framework.meta.version, "scored_zero_indicators": missing_zero_indicators(ev)}


def scores_frame(ev: Evaluation) -> pd.DataFrame:
    """Long table of every level's scores and ranks, as stored in evaluation_score (without the id)."""
    r, meta = ev.result, ev.meta.set_index("iCode")
    region = ev.data.loc[r.scores.index, "region"]
    parts = []
    for code in r.scores.columns:
        if code not in meta.index:
            continue
        s = r.scores[code]
        rank = r.ranks[code] if code in r.ranks.columns else rank_scores(s)
        parts.append(pd.DataFrame({
            "zone_id": s.index.astype(str), "level": int(meta.loc[code, "Level"]),
            "code": code, "value": ev.data.loc[s.index, code].to_numpy() if code in ev.data.columns else np.nan,
            "score": s.to_numpy(), "rank": rank.to_numpy(),
            "rank_in_region": rank_within(s, region).to_numpy()}))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"level": "int32", "rank": "Int32", "rank_in_region": "Int32"})


def max_score_difference(old: pd.DataFrame, new: pd.DataFrame) -> float:
    """Largest |Δscore| between two long score tables (inf when missing values differ)."""
    a = old.set_index(["zone_id", "code"])["score"]
    b = new.set_index(["zone_id", "code"])["score"]
    both = pd.concat([a.rename("old"), b.rename("new")], axis=1)
    if not (both["old"].isna() == both["new"].isna()).all():
        return float("inf")
    diff = (both["old"] - both["new"]).abs().max(skipna=True)
    return float(0.0 if pd.isna(diff) else diff)
