"""Inputs of the Monte Carlo and sensitivity analyses of one evaluation: raw values, directions, flat weights.

The uncertainty engine (``uncertainty.py``) works on a flat indicator → pillar
→ index tree; a framework may be deeper.  These pure functions flatten the
stored evaluation's tree and pick nominal options that match its pipeline.
"""

from __future__ import annotations

import pandas as pd

from gaoxin.evaluation.evaluate import framework_meta
from gaoxin.evaluation.uncertainty import UncertaintySpec
from gaoxin.indicators.framework import Framework


def flat_tree(meta: pd.DataFrame, root: str) -> tuple[pd.Series, pd.Series, pd.Series]:
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


def _ancestors(meta: pd.DataFrame, codes: list[str]) -> set[str]:
    parent = meta.set_index("iCode")["Parent"]
    out: set[str] = set()
    for c in codes:
        while c in parent.index and pd.notna(parent[c]):
            c = parent[c]
            out.add(c)
    return out


def _first(options: tuple, nominal) -> tuple:
    return (nominal, *[o for o in options if o != nominal]) if nominal in options else options


def spec_for(steps: list[dict]) -> UncertaintySpec:
    """Monte Carlo choices whose nominal (first) options match the evaluation's own pipeline.

    ``steps`` are stored, validated steps (``{"name", "params"}`` with every default filled in).
    Region-group imputation maps to its plain statistic and the COINr treatment
    to the quantile winsoriser (the vectorised stand-ins, docs/uncertainty.md),
    so the nominal replication is close to — not identical with — the
    evaluation's ranking.
    """
    d = UncertaintySpec()
    by = {s["name"]: s["params"] for s in steps}
    norm = by["normalise"]["method"] if "normalise" in by else "minmax"
    agg = by["aggregate"]["method"] if "aggregate" in by else "arithmetic"
    imp = (by["impute"]["method"] if "impute" in by else "none").removeprefix("group_")
    return UncertaintySpec(normalisations=_first(d.normalisations, norm), aggregations=_first(d.aggregations, agg),
                           imputations=_first(d.imputations, imp), treatments=_first(d.treatments, "treat" in by))


def mc_inputs(fw: Framework, raw: pd.DataFrame, steps: list[dict]) -> dict:
    """Arguments of ``uncertainty_analysis`` / ``rank_sensitivity`` from an evaluation's raw indicator values.

    ``raw`` is the long table (zone_id, code, value) of its level-1 rows.
    """
    x = raw.pivot(index="zone_id", columns="code", values="value").sort_index()
    meta = framework_meta(fw)
    meta = meta[meta["iCode"].isin(x.columns) | (meta["Type"] == "Aggregate")]
    meta = meta[(meta["Type"] == "Indicator") | meta["iCode"].isin(_ancestors(meta, list(x.columns)))]
    weights, groups, pillar_w = flat_tree(meta, fw.meta.index_code)
    x = x[list(weights.index)]
    directions = meta.set_index("iCode")["Direction"].reindex(x.columns)
    return {"x": x, "directions": directions, "weights": weights, "groups": groups, "pillar_weights": pillar_w,
            "spec": spec_for(steps)}
