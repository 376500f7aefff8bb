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
    from gaoxin.indicators.coverage import Coverage
    from gaoxin.indicators.framework import Framework


@dataclass
class EvaluationRun:
    evaluation: Evaluation
    table: pd.DataFrame  # one row per zone: ranks, score, grade, type, intervals, changes, pillars
    config_hash: str
    saved: bool
    coverage: Coverage | None = None  # which indicators the data computed (also in the stored log)
    config_name: str | None = None  # packaged configuration (robust, official-2021); None for a file
    companion: Evaluation | None = None  # the same data under the other scoring (--compare)
    companion_config: str | None = None
    comparison: pd.DataFrame | None = None  # zone_id, rank, companion_rank, shift, score, companion_score
    spearman: float | None = None
    base_year: int | None = None  # fixed-base index: benchmarks of this year

    @property
    def companion_id(self) -> int | None:
        return self.companion.id if self.companion is not None and self.saved else None

    @property
    def scored_zero(self) -> list[str]:
        """Indicators no zone has data for that the pipeline scores 0 for everyone (to be said loudly)."""
        from gaoxin.evaluation.evaluate import missing_zero_indicators

        return missing_zero_indicators(self.evaluation)

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


def steps_from(config: str | Path | None) -> list | None:
    """Pipeline steps of a packaged name (``robust``, ``official-2021``) or a ``pipeline.toml`` (validated),
    or None for the framework's default."""
    return None if config is None else pipeline_config(config)[0]


def other_scoring(framework_id: str) -> str:
    """The packaged scoring to show beside a framework's default: robust beside official-2021 and vice versa."""
    from gaoxin.evaluation.pipeline import default_config_name

    return "robust" if default_config_name(framework_id) == "official-2021" else "official-2021"


def pipeline_config(config: str | Path | list | None, framework_id: str | None = None) -> tuple[list, str | None]:
    """(steps, name): a packaged configuration by name, a file, given steps (name None), or — for None —
    the framework's default (``evaluation/configs/defaults.toml``)."""
    from gaoxin.evaluation.pipeline import CONFIG_NAMES, as_steps, default_config_name, load_config, packaged_config

    if config is None:
        name = default_config_name(framework_id or "")
        return packaged_config(name), name
    if isinstance(config, list | tuple):
        return as_steps(config), None
    if str(config) in CONFIG_NAMES:
        return packaged_config(str(config)), str(config)
    path = Path(config)
    if not path.is_file():
        raise InputError(f"评价配置不存在：{config}（内置配置：{'、'.join(CONFIG_NAMES)}）/ pipeline config not found: "
                         f"{config} (packaged: {', '.join(CONFIG_NAMES)})")
    return load_config(path), None


def check_runs(runs: int, *, allow_zero: bool) -> None:
    """Monte Carlo replications: a positive count (0 = none, where allowed); memory does not grow with it."""
    if runs < 0 or (runs == 0 and not allow_zero):
        least = "≥ 0" if allow_zero else "≥ 1"
        raise InputError(f"模拟次数应为 {least} 的整数，而不是 {runs} / --runs must be an integer {least}, not {runs}")


def _base_steps(store: Store, fw: Framework, steps: list, base_year: int, sid: int) -> list:
    """``steps`` fixed to the benchmarks that ``base_year``'s evaluation resolves (a fixed-base index)."""
    from gaoxin.evaluation.evaluate import evaluate_data
    from gaoxin.evaluation.pipeline import fixed_base

    base, base_steps = evaluate_data(fw, zone_data(store, fw, base_year, sid), base_year, sid, steps)
    return fixed_base(base_steps, base.result.log, base_year)


def evaluate(store: Store, framework: str | Framework = "national-2021", year: int | None = None,
             snapshot: str | int | None = None, steps: list | None = None, *, save: bool = True,
             runs: int = 0, seed: int = 42, config: str | Path | None = None, compare: str | Path | None = None,
             base_year: int | None = None) -> EvaluationRun:
    """Evaluate zones for ``year`` (default: latest year of the snapshot); store it when ``save``.

    The pipeline: ``steps``, else ``config`` (a packaged name or a file), else the framework's default
    (``official-2021`` for national-2021, ``robust`` otherwise). ``compare`` (a name or a file) scores the
    same data with a second pipeline, the companion, and compares the ranks. ``base_year`` fixes the
    benchmarks to that year's (a fixed-base index, comparable across years). With ``runs`` > 0 the Monte
    Carlo rank intervals are computed too. Everything is computed first; then one transaction stores
    the evaluation with its framework text, scores, intervals and companion, so a failure or a kill
    leaves either the whole evaluation or nothing.
    """
    from gaoxin.evaluation.evaluate import EvaluationError, compare_rankings, evaluate_data, run_log, scores_frame
    from gaoxin.evaluation.pipeline import config_hash
    from gaoxin.evaluation.provenance import criteria_of, framework_source
    from gaoxin.services.errors import check_year_values

    check_year_values(year, base_year)
    if save:
        store.require_write()
    check_runs(runs, allow_zero=True)
    src = framework_source(_framework(framework))
    fw = src.framework
    steps, name = pipeline_config(steps if steps is not None else config, fw.id)
    other = pipeline_config(compare, fw.id) if compare is not None else None
    sid = store_snapshots.resolve(store.con, snapshot)
    if year is None:
        year = store_snapshots.last_year(store.con, sid)
        if year is None:
            raise EvaluationError(f"快照{sid}没有企业数据 / snapshot {sid} holds no enterprise rows")
    if base_year is not None:
        steps = _base_steps(store, fw, steps, base_year, sid)
    data = zone_data(store, fw, year, sid)
    ev, steps = evaluate_data(fw, data, year, sid, steps)
    chash = config_hash(steps)
    scores = scores_frame(ev)
    config_dicts = [s.to_dict() for s in steps]
    cov = _coverage(store, fw, year, sid, ev.data, config_dicts)
    unc = _uncertainty({"data": ev.data, "meta": ev.meta, "steps": config_dicts}, runs, seed) if runs else None
    comp = cmp = rho = None
    if other is not None:
        comp, other_steps = evaluate_data(fw, data, year, sid, other[0])
        root = fw.meta.index_code
        cmp, rho = compare_rankings(ev.result.scores[root], comp.result.scores[root])
    if save:
        crit = {"criteria": c} if (c := criteria_of(fw)) else {}  # gazelle() by content (decision 0028)
        rec = stored.EvaluationRecord(fw.path or fw.id, src.hash, year, sid, config_dicts, chash,
                                      {**run_log(ev), "coverage": cov.to_log(), **crit}, fw.id,
                                      str(fw.meta.version), src.text, name)
        intervals = stored.Intervals(unc.summary.reset_index(names="zone_id"), runs, seed) if unc else None
        companion = None
        if comp is not None and other is not None and cmp is not None and rho is not None:
            oc = [s.to_dict() for s in other_steps]
            crec = stored.EvaluationRecord(fw.path or fw.id, src.hash, year, sid, oc, config_hash(other_steps),
                                           {**run_log(comp), **crit}, fw.id, str(fw.meta.version), src.text,
                                           other[1])
            companion = stored.Companion(crec, scores_frame(comp), cmp, rho)
        ev.id = stored.save(store.con, rec, scores, audit.current_user(), intervals, companion)
        if comp is not None:
            comp.id = ev.id + 1
    prev_id = stored.previous(store.con, src.hash, fw.id, chash, year - 1, sid)
    prev = stored.scores(store.con, prev_id, code=fw.meta.index_code).set_index("zone_id") if prev_id else None
    table = ev.table(prev, unc.summary if unc else None)
    if cmp is not None:
        by_zone = cmp.set_index("zone_id")
        table["companion_rank"] = table["zone_id"].map(by_zone["companion_rank"]).astype("Int64")
        table["rank_shift"] = table["zone_id"].map(by_zone["shift"]).astype("Int64")
        table["companion_score"] = table["zone_id"].map(by_zone["companion_score"])
    other_name = (other[1] or Path(str(compare)).name) if other else None
    return EvaluationRun(ev, table, chash, save, coverage=cov, config_name=name, companion=comp,
                         companion_config=other_name, comparison=cmp, spearman=rho, base_year=base_year)


def _coverage(store: Store, fw: Framework, year: int, sid: int, data: pd.DataFrame, config: list[dict]) -> Coverage:
    """The coverage report of the evaluated year (indicator values as the pipeline received them)."""
    from gaoxin.indicators.coverage import scores_missing_as_zero
    from gaoxin.services.indicators import coverage_of

    values = data[[i.code for i in fw.indicators]]
    return coverage_of(store, fw, year, sid, values, missing_as_zero=scores_missing_as_zero(config))


def _stored_framework(row: dict, eid: int) -> Framework:
    """The framework an evaluation was computed from: its stored text (schema ≥ 4), else the file it names;
    with the criteria (gazelle rule) it stored applied in place of the packaged ones."""
    from gaoxin.evaluation.evaluate import EvaluationError, file_hash
    from gaoxin.evaluation.provenance import framework_from_text, with_criteria

    text = row.get("framework_toml")
    if isinstance(text, str):
        fw = framework_from_text(text, row["framework_hash"], f"evaluation {eid}")
        return with_criteria(fw, json.loads(row["log"]).get("criteria"), f"evaluation {eid}")
    fw = _framework(row["framework"])  # stored before schema 4: by id or path
    if file_hash(fw) != row["framework_hash"]:
        raise EvaluationError(f"framework file changed since evaluation {eid} / 指标体系文件已修改: {row['framework']}")
    return with_criteria(fw, json.loads(row["log"]).get("criteria"), f"evaluation {eid}")


def rerun(store: Store, eid: int) -> Rerun:
    """Recompute stored evaluation ``eid`` from its snapshot, stored framework and log; compare every score."""
    from gaoxin.evaluation.evaluate import max_score_difference, rerun_data, scores_frame

    row = stored.load(store.con, eid)
    fw = _stored_framework(row, eid)
    year, sid = int(row["year"]), int(row["snapshot_id"])
    ev = rerun_data(fw, zone_data(store, fw, year, sid), year, sid, json.loads(row["log"])["steps"], eid)
    return Rerun(eid, max_score_difference(stored.scores(store.con, eid), scores_frame(ev)))


def list_evaluations(store: Store) -> pd.DataFrame:
    """Stored evaluations (id, time, framework id, year, snapshot, config name and hash, companion, user).

    ``companion_of``: the evaluation a companion row accompanies; ``companion_id`` and ``spearman``: an
    evaluation's companion and the rank correlation of the two scorings."""
    df = stored.listing(store.con)
    old = df["framework"].map(lambda p: Path(p).stem)  # rows stored before schema 4 have no framework_id
    df["framework"] = df.pop("framework_id").where(lambda s: s.notna(), old)
    return df


@dataclass
class Comparison:
    evaluation_id: int
    snapshot: int
    companion_id: int | None
    config_name: str | None
    companion_config: str | None
    spearman: float | None
    mean_abs_shift: float | None
    table: pd.DataFrame  # zone_id, rank, companion_rank, shift, score, companion_score


def comparison(store: Store, eid: int) -> Comparison:
    """The stored comparison of evaluation ``eid`` with its companion (an empty table when it has none)."""
    row = stored.load(store.con, eid)
    comp = stored.companion(store.con, eid) or {}
    return Comparison(eid, int(row["snapshot_id"]), comp.get("companion_id"), row.get("config_name"),
                      comp.get("config_name"), comp.get("spearman"), comp.get("mean_abs_shift"),
                      stored.comparison(store.con, eid))


@dataclass
class Trend:
    panel: pd.DataFrame  # zone_id, region, year, score, rank
    table: pd.DataFrame  # one row per zone: region, the index of every year, change over the period
    base_year: int
    config_name: str | None


def trend(store: Store, framework: str | Framework = "national-2021", years: range | None = None,
          base_year: int | None = None, snapshot: str | int | None = None,
          config: str | Path | None = None) -> Trend:
    """Fixed-base index (中关村指数 style) of every zone over ``years``: each year scored against the base
    year's benchmarks (default: the first year), so a zone's index is comparable from year to year."""
    import pandas as pd

    if years is None:
        raise InputError("请给出年份范围 / give a year range, e.g. 2021-2025")
    check_years(years)
    base = years.start if base_year is None else base_year
    from gaoxin.services.errors import check_year_values

    check_year_values(base, years.start, years.stop - 1)
    fw = _framework(framework)
    steps, name = pipeline_config(config, fw.id)
    sid = store_snapshots.resolve(store.con, snapshot)
    fixed = _base_steps(store, fw, steps, base, sid)
    parts = []
    for y in years:
        run = evaluate(store, fw, y, sid, fixed, save=False)
        t = run.table[["zone_id", "region", "score", "rank"]].copy()
        t.insert(1, "year", y)
        parts.append(t)
    panel = pd.concat(parts, ignore_index=True)
    wide = panel.pivot(index="zone_id", columns="year", values="score")
    wide.columns = [str(c) for c in wide.columns]
    first, last = str(years.start), str(years.stop - 1)
    table = panel.drop_duplicates("zone_id").set_index("zone_id")[["region"]].join(wide)
    table["change"] = table[last] - table[first]
    table = table.sort_values(last, ascending=False, na_position="last").reset_index()
    return Trend(panel, table, base, name)


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
                     steps: list | None = None, *, config: str | Path | None = None, runs: int = 0,
                     seed: int = 42) -> pd.DataFrame:
    """Index score and rank per zone and year (one unsaved evaluation per year): the input of ``manage``.

    With ``runs`` > 0 the last year's rows also carry its Monte Carlo rank interval (rank_p05, rank_p95).
    """
    import pandas as pd

    check_years(years)
    fw = _framework(framework)
    parts = []
    for y in years:
        last = y == years.stop - 1
        run = evaluate(store, fw, y, snapshot, steps, save=False, config=config, runs=runs if last else 0, seed=seed)
        cols = ["zone_id", "region", "rank", "score", *(["rank_p05", "rank_p95"] if last and runs else [])]
        t = run.table[cols].copy()
        t.insert(1, "year", y)
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def dynamic_management(store: Store, framework: str | Framework, years: range, snapshot: str | int | None = None,
                       rules_file: Path | None = None, steps: list | None = None, *,
                       config: str | Path | None = None, runs: int = 0, seed: int = 42) -> Management:
    """Praise, warning, notice and exit lists over ``years``, with the reasons; nothing is stored.

    ``config``: the pipeline (a packaged name or a file; default the framework's). With ``runs`` > 0 each
    listed zone is marked *certain* (确定) when its whole 5–95 % rank interval lies in its list's band,
    *uncertain* (不确定) otherwise (JRC practice; ``gaoxin.evaluation.manage.certainty``).
    """
    from gaoxin.evaluation.manage import certainty, load_rules, manage

    check_years(years)
    check_runs(runs, allow_zero=True)
    rules = load_rules(rules_file)
    panel = evaluation_panel(store, framework, years, snapshot, steps, config=config, runs=runs, seed=seed)
    lists = manage(panel.drop(columns=["rank_p05", "rank_p95"], errors="ignore"), rules)
    if runs:
        last = panel[panel["year"] == years.stop - 1].set_index("zone_id")
        lists = certainty(lists, last[["rank_p05", "rank_p95"]], rules)
    return Management(lists, panel)
