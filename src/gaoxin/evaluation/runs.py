"""Store-facing runs of the evaluation methods: uncertainty of a stored evaluation,
dynamic management over several years, plan-monitoring actuals.

The methods themselves (uncertainty, manage, monitor) work on frames; this
module only fetches their inputs from the store and saves their outputs.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from gaoxin.evaluation.evaluate import evaluate, framework_meta, load_evaluation
from gaoxin.evaluation.manage import manage
from gaoxin.evaluation.monitor import TargetSet
from gaoxin.evaluation.uncertainty import (
    RankSensitivityResult,
    UncertaintyResult,
    UncertaintySpec,
    rank_sensitivity,
    uncertainty_analysis,
)
from gaoxin.indicators.compute import compute_indicators
from gaoxin.indicators.framework import FrameworkError, list_frameworks, load_framework, parse_framework
from gaoxin.store import audit
from gaoxin.store.snapshots import resolve


def _flat_tree(meta: pd.DataFrame, root: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(indicator weight within its top pillar, indicator → top pillar, top-pillar weight) for a tree of any depth."""
    m = meta.set_index("iCode")
    share = m["Weight"] / m.groupby("Parent")["Weight"].transform("sum")
    inds = m.index[m["Type"] == "Indicator"]
    group, weight = {}, {}
    for code in inds:
        w, cur = 1.0, code
        while m.loc[cur, "Parent"] != root:
            w *= share[cur]
            cur = m.loc[cur, "Parent"]
        group[code], weight[code] = cur, w
    tops = m.index[m["Parent"] == root]
    return pd.Series(weight), pd.Series(group), share[tops]


def _mc_inputs(con: duckdb.DuckDBPyConnection, eid: int) -> dict:
    """Raw indicator values, directions and the flattened weight tree of stored evaluation ``eid``."""
    row = load_evaluation(con, eid)
    fw = load_framework(row["framework"])
    raw = con.execute("SELECT zone_id, code, value FROM evaluation_score WHERE evaluation_id = ? AND level = 1",
                      [int(eid)]).df()
    x = raw.pivot(index="zone_id", columns="code", values="value").sort_index()
    meta = framework_meta(fw)
    meta = meta[meta["iCode"].isin(x.columns) | (meta["Type"] == "Aggregate")]
    meta = meta[(meta["Type"] == "Indicator") | meta["iCode"].isin(_ancestors(meta, list(x.columns)))]
    weights, groups, pillar_w = _flat_tree(meta, fw.meta.index_code)
    x = x[list(weights.index)]
    directions = meta.set_index("iCode")["Direction"].reindex(x.columns)
    return {"x": x, "directions": directions, "weights": weights, "groups": groups, "pillar_weights": pillar_w,
            "spec": spec_for(json.loads(row["config"]))}


def _first(options: tuple, nominal) -> tuple:
    return (nominal, *[o for o in options if o != nominal]) if nominal in options else options


def spec_for(steps: list[dict]) -> UncertaintySpec:
    """Monte Carlo choices whose nominal (first) options match the evaluation's own pipeline.

    Region-group imputation maps to its plain statistic and the COINr treatment
    to the quantile winsoriser (the vectorised stand-ins, docs/uncertainty.md),
    so the nominal replication is close to — not identical with — the
    evaluation's ranking.
    """
    d = UncertaintySpec()
    by = {s["name"]: s for s in steps}
    norm = by.get("normalise", {}).get("method", "minmax")
    agg = by.get("aggregate", {}).get("method", "arithmetic")
    imp = by.get("impute", {}).get("method", "none").removeprefix("group_")
    return UncertaintySpec(normalisations=_first(d.normalisations, norm), aggregations=_first(d.aggregations, agg),
                           imputations=_first(d.imputations, imp), treatments=_first(d.treatments, "treat" in by))


def run_sensitivity(con: duckdb.DuckDBPyConnection, eid: int, n: int = 512, seed: int = 42) -> RankSensitivityResult:
    """Sobol indices of each uncertain choice on the mean absolute rank shift, and leave-one-pillar-out."""
    a = _mc_inputs(con, eid)
    return rank_sensitivity(a.pop("x"), a.pop("directions"), a.pop("weights"), n=n, seed=seed, **a)


def run_uncertainty(con: duckdb.DuckDBPyConnection, eid: int, runs: int = 1000, seed: int = 42,
                    save: bool = True) -> UncertaintyResult:
    """Monte Carlo rank intervals for stored evaluation ``eid`` (inputs: its raw indicator values)."""
    a = _mc_inputs(con, eid)
    res = uncertainty_analysis(a.pop("x"), a.pop("directions"), a.pop("weights"), n=runs, seed=seed, **a)
    if save:
        s = res.summary.reset_index().rename(columns={"index": "zone_id"})
        s.insert(0, "evaluation_id", int(eid))
        s.insert(2, "runs", runs)
        s.insert(3, "seed", seed)
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM evaluation_uncertainty WHERE evaluation_id = ?", [int(eid)])
        con.register("_unc", s[["evaluation_id", "zone_id", "runs", "seed", "nominal_rank", "median_rank",
                               "rank_p05", "rank_p95", "mean_abs_shift"]])
        con.execute("INSERT INTO evaluation_uncertainty SELECT * FROM _unc")
        con.unregister("_unc")
        audit.record(con, "uncertainty", f"evaluation {eid}", runs=runs, seed=seed)
        con.execute("COMMIT")
    return res


def _ancestors(meta: pd.DataFrame, codes: list[str]) -> set[str]:
    parent = meta.set_index("iCode")["Parent"]
    out: set[str] = set()
    for c in codes:
        while c in parent.index and pd.notna(parent[c]):
            c = parent[c]
            out.add(c)
    return out


def evaluation_panel(con: duckdb.DuckDBPyConnection, framework: str, years: range, snapshot=None,
                     steps=None) -> pd.DataFrame:
    """Index score and rank per zone and year (one evaluation per year, stored): the input of ``manage``."""
    fw = load_framework(framework)
    parts = []
    for y in years:
        ev = evaluate(con, fw, y, snapshot, steps)
        t = ev.table()[["zone_id", "region", "rank", "score"]]
        t.insert(1, "year", y)
        t["evaluation_id"] = ev.id
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def dynamic_management(con: duckdb.DuckDBPyConnection, framework: str, years: range, snapshot=None,
                       rules=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = evaluation_panel(con, framework, years, snapshot)
    return manage(panel, rules), panel


# --- plan monitoring actuals -----------------------------------------------------------------------------

ZONE_COUNT = "national_zone_count"


def _formula_of(code: str, given) -> str:
    if isinstance(given, str) and given.strip():
        return given
    for entry in list_frameworks():
        if entry["error"]:
            continue
        for ind in load_framework(entry["path"]).indicators:
            if ind.code == code:
                return ind.formula
    raise FrameworkError(f"no formula for target indicator '{code}': add `formula = \"...\"` to the target "
                         f"/ 目标指标'{code}'没有计算公式")


def actuals(con: duckdb.DuckDBPyConnection, targets: TargetSet, year: int, snapshot=None) -> pd.DataFrame:
    """Actual values (indicator, scope, scope_id, year, value) for every target, baseline year to ``year``.

    ``national_zone_count`` counts national zones approved by each year (nation
    or province scope); any other indicator is computed for its zone with the
    target's ``formula`` or the formula of the same code in a framework.
    Province/nation scopes of non-count indicators are not derived (they are
    not sums of zone values); supply them as zone facts of a framework instead.
    """
    sid = resolve(con, snapshot)
    t = targets.targets
    y0 = int(t["baseline_year"].min())
    out = []
    for _, tg in t.iterrows():
        if tg["indicator"] == ZONE_COUNT:
            where = "" if tg["scope"] == "nation" else f"AND province_code = '{tg['scope_id']}'"
            df = con.execute(
                f"""SELECT y.year, count(z.zone_id) AS value FROM range({y0}, {year} + 1) y(year)
                    LEFT JOIN zones_at({sid}) z ON z.level = 'national' AND coalesce(z.approved_year, 0) <= y.year
                    {where} GROUP BY y.year ORDER BY y.year""").df()
        elif tg["scope"] == "zone":
            fw = parse_framework({
                "framework": {"id": "targets", "name_zh": "监测目标", "name_en": "targets", "version": "1",
                              "source": "targets file"},
                "pillar": [{"code": "p", "name_zh": "目标", "name_en": "targets"}],
                "indicator": [{"code": "v", "name_zh": str(tg.get("label_zh", tg["indicator"])),
                               "name_en": str(tg["indicator"]), "parent": "p", "source": "targets file",
                               "formula": _formula_of(tg["indicator"], tg.get("formula"))}]})
            wide = compute_indicators(con, fw, (int(tg["baseline_year"]), year), sid)
            df = wide[wide["zone_id"] == tg["scope_id"]][["year", "v"]].rename(columns={"v": "value"})
        else:
            continue
        df = df.assign(indicator=tg["indicator"], scope=tg["scope"], scope_id=str(tg["scope_id"]))
        out.append(df)
    cols = ["indicator", "scope", "scope_id", "year", "value"]
    return pd.concat(out, ignore_index=True)[cols] if out else pd.DataFrame(columns=cols)

