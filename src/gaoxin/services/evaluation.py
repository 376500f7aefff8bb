"""Evaluations: run, store, re-run, list; rank intervals and sensitivity; dynamic-management lists.

Orchestration only: indicators come from the indicator stage, the methods
from the evaluation stage, persistence from ``gaoxin.store.evaluations``.
Storing is explicit (``save=True``); ``dynamic_management`` never stores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gaoxin.services.errors import InputError
from gaoxin.store import audit
from gaoxin.store import evaluations as stored
from gaoxin.store import snapshots as store_snapshots
from gaoxin.store.db import Store

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.evaluation.evaluate import Evaluation
    from gaoxin.evaluation.uncertainty import LeaveOneOutResult, RankSensitivityResult, UncertaintyResult
    from gaoxin.indicators.framework import Framework


@dataclass
class EvaluationRun:
    evaluation: Evaluation
    table: pd.DataFrame  # one row per zone: ranks, score, grade, type, intervals, changes, pillars
    config_hash: str
    saved: bool

    @property
    def id(self) -> int:
        return self.evaluation.id

    def sheets(self) -> dict[str, pd.DataFrame]:
        return self.evaluation.sheets(self.table)


@dataclass(frozen=True)
class Rerun:
    evaluation_id: int
    max_score_difference: float

    @property
    def identical(self) -> bool:
        return self.max_score_difference == 0.0


def _framework(ref: str | Framework) -> Framework:
    from gaoxin.indicators.framework import load_framework

    return load_framework(ref)


def zone_data(store: Store, fw: Framework, year: int, snapshot: int) -> pd.DataFrame:
    """One year's indicator values per zone with region and level, from ``snapshot``."""
    from gaoxin.evaluation.evaluate import zone_data as assemble
    from gaoxin.indicators.compute import compute_indicators

    wide = compute_indicators(store.con, fw, (year, year), snapshot)
    return assemble(fw, wide, store_snapshots.zones(store.con, snapshot), year)


def steps_from(config: Path | None) -> list | None:
    """Pipeline steps of a ``pipeline.toml`` (validated), or None for the default."""
    if config is None:
        return None
    from gaoxin.evaluation.pipeline import load_config

    return load_config(config)


def check_runs(runs: int, *, allow_zero: bool) -> None:
    """Monte Carlo replications: a positive count (0 = none, where allowed); memory does not grow with it."""
    if runs < 0 or (runs == 0 and not allow_zero):
        least = "≥ 0" if allow_zero else "≥ 1"
        raise InputError(f"模拟次数应为 {least} 的整数，而不是 {runs} / --runs must be an integer {least}, not {runs}")


def evaluate(store: Store, framework: str | Framework = "national-2021", year: int | None = None,
             snapshot: str | int | None = None, steps: list | None = None, *, save: bool = True,
             runs: int = 0, seed: int = 42) -> EvaluationRun:
    """Evaluate zones for ``year`` (default: latest year of the snapshot); store it when ``save``.

    With ``runs`` > 0 the Monte Carlo rank intervals are computed too.  Everything is computed
    first; then one transaction stores the evaluation with its framework text, scores and
    intervals, so a failure or a kill leaves either the whole evaluation or nothing.
    """
    from gaoxin.evaluation.evaluate import EvaluationError, evaluate_data, run_log, scores_frame
    from gaoxin.evaluation.pipeline import config_hash
    from gaoxin.evaluation.provenance import framework_source
    from gaoxin.services.errors import check_year_values

    check_year_values(year)
    if save:
        store.require_write()
    check_runs(runs, allow_zero=True)
    src = framework_source(_framework(framework))
    fw = src.framework
    sid = store_snapshots.resolve(store.con, snapshot)
    if year is None:
        year = store_snapshots.last_year(store.con, sid)
        if year is None:
            raise EvaluationError(f"快照{sid}没有企业数据 / snapshot {sid} holds no enterprise rows")
    ev, steps = evaluate_data(fw, zone_data(store, fw, year, sid), year, sid, steps)
    chash = config_hash(steps)
    scores = scores_frame(ev)
    config = [s.to_dict() for s in steps]
    unc = _uncertainty({"data": ev.data, "meta": ev.meta, "steps": config}, runs, seed) if runs else None
    if save:
        rec = stored.EvaluationRecord(fw.path or fw.id, src.hash, year, sid, config, chash, run_log(ev),
                                      fw.id, str(fw.meta.version), src.text)
        intervals = stored.Intervals(unc.summary.reset_index(names="zone_id"), runs, seed) if unc else None
        ev.id = stored.save(store.con, rec, scores, audit.current_user(), intervals)
    prev_id = stored.previous(store.con, src.hash, fw.id, chash, year - 1, sid)
    prev = stored.scores(store.con, prev_id, code=fw.meta.index_code).set_index("zone_id") if prev_id else None
    return EvaluationRun(ev, ev.table(prev, unc.summary if unc else None), chash, save)


def _stored_framework(row: dict, eid: int) -> Framework:
    """The framework an evaluation was computed from: its stored text (schema ≥ 4), else the file it names."""
    from gaoxin.evaluation.evaluate import EvaluationError, file_hash
    from gaoxin.evaluation.provenance import framework_from_text

    text = row.get("framework_toml")
    if isinstance(text, str):
        return framework_from_text(text, row["framework_hash"], f"evaluation {eid}")
    fw = _framework(row["framework"])  # stored before schema 4: by id or path
    if file_hash(fw) != row["framework_hash"]:
        raise EvaluationError(f"framework file changed since evaluation {eid} / 指标体系文件已修改: {row['framework']}")
    return fw


def rerun(store: Store, eid: int) -> Rerun:
    """Recompute stored evaluation ``eid`` from its snapshot, stored framework and log; compare every score."""
    from gaoxin.evaluation.evaluate import max_score_difference, rerun_data, scores_frame

    row = stored.load(store.con, eid)
    fw = _stored_framework(row, eid)
    year, sid = int(row["year"]), int(row["snapshot_id"])
    ev = rerun_data(fw, zone_data(store, fw, year, sid), year, sid, json.loads(row["log"])["steps"], eid)
    return Rerun(eid, max_score_difference(stored.scores(store.con, eid), scores_frame(ev)))


def list_evaluations(store: Store) -> pd.DataFrame:
    """Stored evaluations (id, time, framework id, year, snapshot, config hash, user)."""
    df = stored.listing(store.con)
    old = df["framework"].map(lambda p: Path(p).stem)  # rows stored before schema 4 have no framework_id
    df["framework"] = df.pop("framework_id").where(lambda s: s.notna(), old)
    return df


def _uncertainty(inputs: dict, runs: int, seed: int) -> UncertaintyResult:
    """Rank intervals by the evaluation's own pipeline (the nominal replication is its published ranking)."""
    from gaoxin.evaluation.uncertainty import uncertainty_analysis

    # only the summary is used: stream the replications, memory independent of runs (docs/reliability.md)
    return uncertainty_analysis(inputs["data"], inputs["meta"], inputs["steps"], n=runs, seed=seed,
                                keep_draws=False)


def _stored_inputs(store: Store, eid: int) -> dict:
    """What the engine needs to replay stored evaluation ``eid`` (mc_inputs: data, meta, steps)."""
    from gaoxin.evaluation.mc_inputs import mc_inputs

    row = stored.load(store.con, eid)
    zones = store_snapshots.zones(store.con, int(row["snapshot_id"]))
    return mc_inputs(_stored_framework(row, eid), stored.scores(store.con, eid, level=1), zones,
                     json.loads(row["config"]))


def uncertainty(store: Store, eid: int, runs: int = 1000, seed: int = 42, *, save: bool = False) -> UncertaintyResult:
    """Monte Carlo rank intervals of stored evaluation ``eid``; stored (replacing earlier ones) when ``save``."""
    if save:
        store.require_write()
    check_runs(runs, allow_zero=False)
    res = _uncertainty(_stored_inputs(store, eid), runs, seed)
    if save:
        stored.save_uncertainty(store.con, eid, res.summary.reset_index(names="zone_id"), runs, seed)
    return res


def sensitivity(store: Store, eid: int, n: int = 512, seed: int = 42) -> RankSensitivityResult:
    """Sobol indices of each uncertain choice on the mean absolute rank shift, and leave-one-pillar-out."""
    from gaoxin.evaluation.uncertainty import rank_sensitivity

    a = _stored_inputs(store, eid)
    return rank_sensitivity(a["data"], a["meta"], a["steps"], n=n, seed=seed)


def parse_leave_out(target: str | int | None) -> int | str | None:
    """``--leave-one-out LEVEL|CODE``: digits are a tree level (1 = indicators), anything else an element code."""
    if target is None or isinstance(target, int):
        return target
    t = str(target).strip()
    if not t:
        raise InputError("--leave-one-out 需要层级或指标代码 / --leave-one-out needs a LEVEL (1 = indicators) "
                         "or a CODE")
    return int(t) if t.isdigit() else t


def leave_one_out(store: Store, eid: int, target: str | int | None = None) -> LeaveOneOutResult:
    """Ranks of stored evaluation ``eid`` with each element of a level (or one element) dropped and its
    siblings re-weighted within its parent (= its weight set to 0 in the evaluation's own pipeline)."""
    from gaoxin.evaluation.uncertainty import leave_one_out as loo

    a = _stored_inputs(store, eid)
    return loo(a["data"], a["meta"], a["steps"], parse_leave_out(target))


def build_index(data: Path, meta: Path, config: Path | None, out: Path,
                leave_out: str | int | None = None) -> pd.DataFrame:
    """A composite index from COINr-format iData/iMeta files (no store), written to ``out`` with its log.

    With ``leave_out`` (a level or an element code) the element(s) are dropped as COINr ``remove_elements``
    does, each in turn; the table then carries one ``Rank_without_<code>`` column per dropped element.
    """
    from gaoxin.evaluation.coin import build_index as build

    return build(data, meta, config, out=out, leave_out=parse_leave_out(leave_out))


@dataclass
class Management:
    lists: pd.DataFrame  # one row per zone: status, reasons, history
    panel: pd.DataFrame  # zone × year: score, rank (the evaluations behind the lists, not stored)


def check_years(years: range) -> None:
    """A year range with at least one year, first ≤ last (a reversed ``--years 2025-2020`` is empty)."""
    if not isinstance(years, range) or len(years) == 0 or years.step != 1:
        shown = f"{years.start}-{years.stop - 1}" if isinstance(years, range) else repr(years)
        raise InputError(f"年份范围无效：{shown}（应为 起始-结束，起始 ≤ 结束）/ invalid year range {shown}: "
                         "give FIRST-LAST with FIRST ≤ LAST, e.g. 2021-2025")


def evaluation_panel(store: Store, framework: str | Framework, years: range, snapshot: str | int | None = None,
                     steps: list | None = None) -> pd.DataFrame:
    """Index score and rank per zone and year (one unsaved evaluation per year): the input of ``manage``."""
    import pandas as pd

    check_years(years)
    fw = _framework(framework)
    parts = []
    for y in years:
        run = evaluate(store, fw, y, snapshot, steps, save=False)
        t = run.table[["zone_id", "region", "rank", "score"]].copy()
        t.insert(1, "year", y)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def dynamic_management(store: Store, framework: str | Framework, years: range, snapshot: str | int | None = None,
                       rules_file: Path | None = None, steps: list | None = None) -> Management:
    """Praise, warning, notice and exit lists over ``years``, with the reasons; nothing is stored."""
    from gaoxin.evaluation.manage import load_rules, manage

    check_years(years)
    rules = load_rules(rules_file)
    panel = evaluation_panel(store, framework, years, snapshot, steps)
    return Management(manage(panel, rules), panel)
