"""Why a zone's score and rank changed: pure decomposition functions (docs/explain.md, decision 0021).

Three layers, each exact where the aggregation allows it:

* **factors** — the change of a zone's composite score between a *before* and an *after* evaluation is split
  over the factors that differ: the zone's own data (``own``), the other zones' data (``peer``: they set the
  normalisation reference — min/max, mean/sd, benchmark —, the imputation medians, the winsorising bounds and
  data-driven weights) and the pipeline configuration (``method``). A *world* is one combination (each factor
  from before or after); :func:`shapley` averages over every order in which the factors can be switched, so
  the order does not matter and the parts add up to the change exactly.
* **indicators** — for the weighted arithmetic mean the composite is ``sum_j W_j s_j`` with ``W_j`` the
  effective weight (:func:`effective_weights`), so the indicator contributions ``W_j s_j (after) - W_j s_j
  (before)`` add up to the change exactly, factor by factor. Other aggregations use symmetric one-at-a-time
  swaps (:func:`swap_contributions`) and report the residual.
* **enterprises** — an indicator computed from enterprise sums and counts is a function of a few zone terms
  (``sum(rd_expense)``, ``sum(revenue)``); :func:`term_shapley` splits its change over the terms exactly and
  :func:`firm_contributions` gives each term's part to the firms in proportion to their change of that term,
  which for ``sum(a)/sum(b)`` is the 贡献值 ``(Δa_i − R̄ Δb_i)``-style split of public implementations.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from gaoxin.indicators.formula import parse

__all__ = [
    "ADDITIVE_METHODS",
    "FACTORS",
    "Terms",
    "additive_factor_contributions",
    "effective_weights",
    "eval_zone",
    "firm_contributions",
    "fmt_change",
    "fmt_number",
    "fmt_value",
    "formula_terms",
    "shapley",
    "swap_contributions",
    "term_shapley",
]

FACTORS = ("own", "peer", "method")
#: Aggregations that are a weighted sum of indicator scores (``sum``: weights over all children, missing = 0).
ADDITIVE_METHODS = frozenset({"arithmetic", "sum"})
#: Keys of a benchmark normalisation that hold reference data (published benchmarks), not method choices.
REFERENCE_KEYS = ("values", "worst", "source")


# --------------------------------------------------------------------------- Shapley over factors


def shapley(value: Callable[[frozenset[str]], np.ndarray], players: Sequence[str]) -> dict[str, np.ndarray]:
    """Shapley values of ``players`` for the game ``value`` (a coalition → a number or an array).

    ``value(S)`` is the outcome when the players in ``S`` are switched to their *after* state. The values add
    up to ``value(all) - value(none)`` exactly and do not depend on the order the players are listed in.
    """
    n = len(players)
    cache: dict[frozenset[str], np.ndarray] = {}

    def v(s: frozenset[str]) -> np.ndarray:
        if s not in cache:
            cache[s] = np.asarray(value(s), dtype=float)
        return cache[s]

    out: dict[str, np.ndarray] = {}
    for p in players:
        others = [q for q in players if q != p]
        total = np.zeros_like(v(frozenset()), dtype=float)
        for k in range(n):
            wk = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for s in combinations(others, k):
                fs = frozenset(s)
                total = total + wk * (v(fs | {p}) - v(fs))
        out[p] = total
    return out


# --------------------------------------------------------------------------- indicators


def effective_weights(meta: pd.DataFrame, weights: Mapping[str, float] | pd.Series | None,
                      scores: pd.Series, renormalise: bool = True) -> pd.Series:
    """Each indicator's share of the zone's composite under a weighted sum over the tree.

    With ``renormalise`` (the arithmetic mean) weights are renormalised within each parent over the
    children the zone has a score for (as :func:`gaoxin.evaluation.methods.aggregate.aggregate_tree` does);
    without (the official-style ``sum``) over all children, a missing score counting 0. Either way
    ``sum_j W_j s_j`` (missing s = 0) is the composite.
    """
    tree = meta[meta["Type"].isin(["Indicator", "Aggregate"])]
    w = tree.set_index("iCode")["Weight"].astype(float)
    if weights is not None:
        w = pd.Series(weights, dtype=float).reindex(w.index).combine_first(w)
    kids: dict[str, list[str]] = {}
    for code, parent in zip(tree["iCode"], tree["Parent"], strict=True):
        if isinstance(parent, str):
            kids.setdefault(parent, []).append(code)
    inds = list(tree.loc[tree["Type"] == "Indicator", "iCode"])
    avail: dict[str, bool] = {}

    def has(code: str) -> bool:
        if code not in avail:
            avail[code] = bool(pd.notna(scores.get(code))) if code in inds else any(has(k) for k in kids.get(code, []))
        return avail[code]

    out = pd.Series(0.0, index=inds)
    roots = [c for c, p in zip(tree["iCode"], tree["Parent"], strict=True) if not isinstance(p, str)
             and c not in inds]

    def walk(code: str, share: float) -> None:
        live = [k for k in kids.get(code, []) if has(k) or not renormalise]
        tot = float(sum(w[k] for k in live))
        for k in live:
            part = share * w[k] / tot if tot > 0 else 0.0
            if k in out.index:
                out[k] = part
            else:
                walk(k, part)

    for r in roots:
        walk(r, 1.0)
    return out


def additive_factor_contributions(worlds: Mapping[frozenset[str], tuple[pd.Series, pd.Series]],
                                  players: Sequence[str]) -> pd.DataFrame:
    """Indicator × (contribution, own, peer, method) for an additive composite ``sum_j W_j s_j``.

    ``worlds[S]`` = (scores, effective weights) of the zone in the world where the factors in ``S`` are
    switched to *after*. A contribution is ``W_j s_j`` after minus before (a missing score counts 0 with
    weight 0), split over the factors by :func:`shapley`; the parts add up to it exactly.
    """
    codes = sorted(set().union(*(set(s.index) | set(w.index) for s, w in worlds.values())))

    def c(s: frozenset[str]) -> np.ndarray:
        sc, wt = worlds[s]
        return (sc.reindex(codes).fillna(0.0) * wt.reindex(codes).fillna(0.0)).to_numpy(dtype=float)

    parts = shapley(c, players)
    out = pd.DataFrame({"contribution": c(frozenset(players)) - c(frozenset())}, index=codes)
    for f in FACTORS:
        out[f] = parts.get(f, 0.0)
    return out


def swap_contributions(agg_before: Callable[[pd.DataFrame], float], agg_after: Callable[[pd.DataFrame], float],
                       before: pd.DataFrame, after: pd.DataFrame) -> tuple[pd.Series, float]:
    """Indicator contributions by symmetric one-at-a-time swaps, for an aggregation that is not a weighted
    sum; returns (contributions, residual).

    ``before`` / ``after`` are the indicator scores of every zone (zones × indicators) and ``agg_*`` give the
    explained zone's composite from such a frame with that side's weights (a whole frame, because TOPSIS,
    VIKOR and grey relational analysis score a zone against all of them). Indicator ``j`` contributes
    ``½[(A₀(before, j from after) − A₀(before)) + (A₁(after) − A₁(after, j from before))]``: the order of the
    indicators does not matter, the result is exact for a weighted sum and for two indicators, and the
    residual ``ΔA − Σ c_j`` is the interaction the approximation leaves out (reported, never hidden).
    """
    codes = sorted(set(before.columns) | set(after.columns))
    zones = before.index.union(after.index)
    b = before.reindex(index=zones, columns=codes)
    a = after.reindex(index=zones, columns=codes)
    b_rows, a_rows = before.index, after.index
    in_a, in_b = zones.isin(a_rows), zones.isin(b_rows)
    base, end = agg_before(b.loc[b_rows]), agg_after(a.loc[a_rows])
    out = {}
    for c in codes:
        x, y = b.copy(), a.copy()
        x[c] = a[c].where(in_a, b[c])  # zones that are on one side only keep their own score
        y[c] = b[c].where(in_b, a[c])
        out[c] = 0.5 * ((agg_before(x.loc[b_rows]) - base) + (end - agg_after(y.loc[a_rows])))
    contrib = pd.Series(out, dtype=float).fillna(0.0)
    return contrib, float((end - base) - contrib.sum())


def steps_without_reference(steps: Sequence) -> list[dict]:
    """Steps as plain dicts with the published benchmark values of benchmark normalisations removed: two
    configurations equal after this differ only in reference data, which is the peers' factor, not the
    method's (a benchmarks file gives each year its own values)."""
    out = []
    for s in steps:
        p = dict(s.params)
        if s.name == "normalise" and p.get("method") == "benchmark":
            p = {k: v for k, v in p.items() if k not in REFERENCE_KEYS}
        out.append({"name": s.name, "params": p})
    return out


def with_reference(method_steps: Sequence, reference_steps: Sequence) -> list[tuple[str, dict]]:
    """``method_steps`` with the benchmark values of ``reference_steps`` (the peers' side) where both have a
    benchmark normalisation with given values; as ``(name, params)`` pairs for the pipeline."""
    ref = [s for s in reference_steps if s.name == "normalise" and s.params.get("method") == "benchmark"]
    out = []
    for s in method_steps:
        p = dict(s.params)
        if (s.name == "normalise" and p.get("method") == "benchmark" and p.get("reference") == "values" and ref
                and ref[0].params.get("reference") == "values"):
            p.update({k: ref[0].params.get(k) for k in REFERENCE_KEYS})
        out.append((s.name, p))
    return out


def normalise_references(steps: Sequence, log: Sequence[Mapping], datasets: Mapping[str, pd.DataFrame],
                         directions: pd.Series) -> pd.DataFrame:
    """Per indicator, the reference its normalisation scored against: ``best`` and ``worst`` (min-max range,
    ratio benchmark, or the benchmark scoring's logged ``resolved`` benchmark and worst value), or ``mean``
    and ``sd`` (z-scores), in the units of the normalisation's input; empty rows for rank-type methods and
    for indicators the treatment log-transformed (their reference is not in the indicator's unit)."""
    cols = ["best", "worst", "mean", "sd"]
    names = [s.name for s in steps]
    if "normalise" not in names:
        return pd.DataFrame(columns=cols, dtype=float)
    k = names.index("normalise")
    x = datasets.get(names[k - 1] if k > 0 else "raw", datasets.get("raw"))
    entry = next((e for e in log if e.get("step") == "normalise"), {})
    method = steps[k].params.get("method", "minmax")
    logged = [r.get("iCode") for e in log if e.get("step") == "treat"
              for r in e.get("details", {}).get("treatment", []) if r.get("status") == "log"]
    out = pd.DataFrame(np.nan, index=list(x.columns), columns=cols)
    d = directions.reindex(x.columns).fillna(1.0)
    use_dir = steps[k].params.get("use_directions", True)
    for c in x.columns:
        v = x[c].astype(float)
        up = d[c] > 0 or not use_dir
        if method in ("minmax", "ratio_to_benchmark", "distance_to_target"):
            out.loc[c, ["best", "worst"]] = (v.max(), v.min()) if up else (v.min(), v.max())
        elif method == "zscore":
            out.loc[c, ["mean", "sd"]] = (v.mean(), v.std(ddof=1))
        elif method == "benchmark":
            r = entry.get("resolved", {})
            out.loc[c, ["best", "worst"]] = (r.get("benchmark", {}).get(c), r.get("worst", {}).get(c))
    out.loc[[c for c in logged if c in out.index]] = np.nan
    return out.astype(float)


# --------------------------------------------------------------------------- enterprise terms

_ADDITIVE_AGGS = {"sum", "count"}
_ZONE_TERMS = {"fact", "zone"}
_NOT_ADDITIVE = {"mean": "平均值 mean", "min": "最小值 min", "max": "最大值 max", "lag": "滞后 lag",
                 "diff": "差分 diff", "growth": "增长率 growth", "cagr": "年均增长 cagr", "net_new": "净增 net_new"}


@dataclass(frozen=True)
class Terms:
    """A formula as a zone-level expression over additive terms.

    ``tree`` is the formula with every aggregate replaced by a name ``t0, t1 …``; ``enterprise`` maps those
    names to an aggregate formula that sums over firms (``sum(x)``, ``count(c)``) and ``zone`` to a zone-level
    input (``fact("gdp")``), which no firm moves.
    """

    tree: ast.expr
    enterprise: dict[str, str]
    zone: dict[str, str]

    @property
    def names(self) -> list[str]:
        return [*self.enterprise, *self.zone]


def formula_terms(text: str) -> Terms | str:
    """:class:`Terms` of a formula, or the reason (Chinese / English) it cannot be split over firms."""
    tree = parse(text).tree
    enterprise: dict[str, str] = {}
    zone: dict[str, str] = {}
    seen: dict[str, str] = {}
    reason: list[str] = []

    def name_for(src: str, kind: dict[str, str]) -> ast.Name:
        if src not in seen:
            seen[src] = f"t{len(seen)}"
            kind[seen[src]] = src
        return ast.Name(id=seen[src], ctx=ast.Load())

    class _Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            fn = node.func.id if isinstance(node.func, ast.Name) else ""
            if fn in _ADDITIVE_AGGS:
                return name_for(ast.unparse(node), enterprise)
            if fn in _ZONE_TERMS:
                return name_for(ast.unparse(node), zone)
            if fn == "share":  # share(c, where=w) = count(c and w) / count(w)
                c = ast.unparse(node.args[0])
                w = next((ast.unparse(k.value) for k in node.keywords if k.arg == "where"), None)
                num = f"count(({c}) and ({w}))" if w else f"count({c})"
                den = f"count({w})" if w else "count()"
                return ast.BinOp(name_for(num, enterprise), ast.Div(), name_for(den, enterprise))
            if fn in _NOT_ADDITIVE:
                reason.append(_NOT_ADDITIVE[fn])
                return node
            return self.generic_visit(node)

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id == "year":
                reason.append("年份 year")
            return node

    new = _Rewrite().visit(ast.parse(ast.unparse(tree), mode="eval").body)
    if reason:
        return f"公式含 {reason[0]}，不能按企业分解 / the formula uses {reason[0].split()[-1]}, not a sum over firms"
    if not enterprise:
        return "园区层面统计，不来自企业 / a zone-level statistic, not computed from firms"
    return Terms(new, enterprise, zone)


def eval_zone(tree: ast.expr, values: Mapping[str, float | None]) -> float | None:
    """Value of a rewritten zone-level expression for given term values, with the formula language's
    NULL rules (``a / 0`` and anything with a missing value are missing; ``coalesce`` takes the first
    present)."""

    def ev(n: ast.expr) -> float | None:
        if isinstance(n, ast.Constant):
            return float(n.value)
        if isinstance(n, ast.Name):
            v = values.get(n.id)
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
        if isinstance(n, ast.UnaryOp):
            x = ev(n.operand)
            return None if x is None else (-x if isinstance(n.op, ast.USub) else x)
        if isinstance(n, ast.BinOp):
            a, b = ev(n.left), ev(n.right)
            if a is None or b is None:
                return None
            if isinstance(n.op, ast.Add):
                return a + b
            if isinstance(n.op, ast.Sub):
                return a - b
            if isinstance(n.op, ast.Mult):
                return a * b
            if isinstance(n.op, ast.Div):
                return None if b == 0 else a / b
            if isinstance(n.op, ast.Pow):
                return a**b
            raise ValueError(f"operator {type(n.op).__name__} not in the formula language")
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            if n.func.id == "coalesce":
                for arg in n.args:
                    x = ev(arg)
                    if x is not None:
                        return x
                return None
            if n.func.id == "abs":
                x = ev(n.args[0])
                return None if x is None else abs(x)
        raise ValueError(f"cannot evaluate {ast.unparse(n)!r}")

    return ev(tree)


def term_shapley(terms: Terms, before: Mapping[str, float | None], after: Mapping[str, float | None]
                 ) -> dict[str, float] | None:
    """The indicator's change split over its terms by Shapley (exact); None when a mixed world has no value.

    Only terms whose value changed play (a term that did not move gets 0), so the cost is ``2^k`` cheap
    evaluations for the ``k`` terms that moved.
    """
    moved = [t for t in terms.names if not _same(before.get(t), after.get(t))]
    if not moved:
        return dict.fromkeys(terms.names, 0.0)
    failed = False

    def value(s: frozenset[str]) -> np.ndarray:
        nonlocal failed
        vals = {t: (after if t in s else before).get(t) for t in terms.names}
        x = eval_zone(terms.tree, vals)
        if x is None:
            failed = True
            return np.array(np.nan)
        return np.array(x)

    parts = shapley(value, moved)
    if failed:
        return None
    return {t: float(parts[t]) if t in parts else 0.0 for t in terms.names}


def _same(a: float | None, b: float | None) -> bool:
    na = a is None or (isinstance(a, float) and math.isnan(a))
    nb = b is None or (isinstance(b, float) and math.isnan(b))
    return (na and nb) or (not na and not nb and float(a) == float(b))


def firm_contributions(shares: Mapping[str, float], firm_deltas: pd.DataFrame) -> pd.Series:
    """Each firm's contribution to the indicator's change: every term's Shapley part given to the firms in
    proportion to their change of that term (``firm_deltas``: firms × terms, after − before).

    A term's firm changes add up to the term's change, so the firm contributions add up to the enterprise
    terms' share of the indicator's change exactly (zone-level terms such as ``fact()`` are not firms').
    """
    d = firm_deltas.to_numpy(dtype=float, na_value=0.0)
    tot = d.sum(axis=0)
    f = np.array([shares.get(t, 0.0) for t in firm_deltas.columns], dtype=float)
    scale = np.divide(f, tot, out=np.zeros_like(f), where=tot != 0)
    return pd.Series(d @ scale, index=firm_deltas.index)


# --------------------------------------------------------------------------- numbers for people

RATIO_UNITS = frozenset({"比例", "%"})


def fmt_number(x: float | None, digits: int = 2) -> str:
    """A number for a sentence: thousands separators, ``digits`` decimals (more for small values), "—" if
    missing."""
    if x is None or not np.isfinite(x):
        return "—"
    ax = abs(x)
    if float(x).is_integer() and ax < 1e15:
        return f"{int(x):,}"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax != 0 and ax < 10 ** -digits:
        return f"{x:.{digits}g}"
    return f"{x:,.{digits}f}"


def fmt_value(x: float | None, unit: str) -> str:
    """An indicator value with its unit; ratios as percentages."""
    if x is None or not np.isfinite(x):
        return "—"
    if unit in RATIO_UNITS:
        return f"{fmt_number(100 * x)}%"
    return f"{fmt_number(x)} {unit}".rstrip()


def fmt_change(dx: float | None, unit: str, lang: str = "zh") -> str:
    """An indicator change in its own unit without sign (the sentence says up or down): ratios in
    percentage points."""
    if dx is None or not np.isfinite(dx):
        return "—"
    if unit in RATIO_UNITS:
        return f"{fmt_number(abs(100 * dx))} {'个百分点' if lang == 'zh' else 'percentage points'}"
    return f"{fmt_number(abs(dx))} {unit}".rstrip()


def top_by_magnitude(values: pd.Series, n: int, sign: float | None = None) -> list[str]:
    """Labels of the ``n`` largest |values| (of one ``sign`` when given), ties broken by label."""
    v = values.dropna()
    if sign is not None:
        v = v[np.sign(v) == np.sign(sign)]
    v = v[v != 0]
    labels = np.asarray([str(k) for k in v.index])
    order = np.lexsort((labels, -np.abs(v.to_numpy(dtype=float))))[:n]
    return [v.index[i] for i in order]


# --------------------------------------------------------------------------- the narrative


def _signed(x: float) -> str:
    """Points with a true minus sign (−2.1), "—" if missing."""
    s = fmt_number(x, 1 if abs(x) >= 0.05 or x == 0 else 2)
    return s if s == "—" else ("+" + s if x > 0 else s.replace("-", "−"))


def _rank_zh(r0: int, r1: int) -> str:
    if r1 == r0:
        return f"排名保持第{r1}位"
    return f"排名由第{r0}位{'降至' if r1 > r0 else '升至'}第{r1}位"


def _rank_en(r0: int, r1: int) -> str:
    if r1 == r0:
        return f"the rank stayed at {r1}"
    return f"the rank {'fell' if r1 > r0 else 'rose'} from {r0} to {r1}"


def _label(i: Mapping, lang: str) -> str:
    name = i["name_zh"] if lang == "zh" else i["name_en"]
    return f"{i['ref']} {name}" if i.get("ref") else name


def _move(i: Mapping, lang: str) -> str:
    v0, v1 = i.get("value_before"), i.get("value_after")
    if v0 is None or v1 is None:
        shown = f"{fmt_value(v0, i['unit'])} → {fmt_value(v1, i['unit'])}"
        return f"（{shown}）" if lang == "zh" else f" ({shown})"
    d = v1 - v0
    if d == 0:
        return " 不变" if lang == "zh" else " unchanged"
    if lang == "zh":
        return f" {'上升' if d > 0 else '下降'} {fmt_change(d, i['unit'], 'zh')}"
    return f" {'rose' if d > 0 else 'fell'} by {fmt_change(d, i['unit'], 'en')}"


def _best_moved(i: Mapping) -> bool:
    b0 = (i.get("reference_before") or {}).get("best")
    b1 = (i.get("reference_after") or {}).get("best")
    return b0 is not None and b1 is not None and np.isfinite(b0) and np.isfinite(b1) and b0 != b1


def narrative(e: Mapping, pillar_names: Mapping[str, tuple[str, str]] | None = None, n: int = 3) -> tuple[str, str]:
    """A short explanation in Chinese and in English: the rank and score change, the indicators that moved
    it most (with their change in their own unit and their contribution in points, and how much of that
    was the zone's own data), the firm that moved the first of them most, and the largest shortfalls
    against the all-zone median. Never shows ``nan``: a missing number is "—"."""
    ds = float(e["score_after"]) - float(e["score_before"])
    inds = {i["code"]: i for i in e["indicators"]}
    contrib = pd.Series({c: i["contribution"] for c, i in inds.items()}, dtype=float)
    main = top_by_magnitude(contrib, n, sign=ds if ds != 0 else None)
    offset = top_by_magnitude(contrib, 1, sign=-ds) if ds != 0 else []
    y0, y1 = e["base_year"], e["year"]
    zh = [f"{e['zone_name']}（{e['zone_id']}）{y1}年综合得分 {fmt_number(e['score_after'], 1)}，较{y0}年"
          f"{'提高' if ds > 0 else '下降' if ds < 0 else '持平'} {fmt_number(abs(ds), 1)} 分，"
          f"{_rank_zh(e['rank_before'], e['rank_after'])}（共 {e['zones_after']} 个园区）。"]
    en = [f"{e['zone_name']} ({e['zone_id']}) scored {fmt_number(e['score_after'], 1)} in {y1}, "
          f"{'up' if ds > 0 else 'down' if ds < 0 else 'unchanged'} {fmt_number(abs(ds), 1)} points on {y0}; "
          f"{_rank_en(e['rank_before'], e['rank_after'])} (of {e['zones_after']} zones)."]
    if ds != 0 and "own" in e:
        meth_zh = f"、方法变化 {_signed(e['method'])}" if e.get("method") else ""
        meth_en = f", method {_signed(e['method'])}" if e.get("method") else ""
        zh.append(f"其中自身数据 {_signed(e['own'])} 分、其他园区变化 {_signed(e['peer'])} 分{meth_zh}。")
        en.append(f"Of the change, own data {_signed(e['own'])}, other zones {_signed(e['peer'])}{meth_en} points.")
    if main:
        zh_parts = [f"{_label(inds[c], 'zh')}{_move(inds[c], 'zh')}（贡献 {_signed(inds[c]['contribution'])} 分，"
                    f"其中自身数据 {_signed(inds[c]['own'])}、其他园区 {_signed(inds[c]['peer'])}"
                    + (f"、方法 {_signed(inds[c]['method'])}" if inds[c]["method"] else "") + "）" for c in main]
        en_parts = [f"{_label(inds[c], 'en')}{_move(inds[c], 'en')} ({_signed(inds[c]['contribution'])} points: "
                    f"own data {_signed(inds[c]['own'])}, other zones {_signed(inds[c]['peer'])}"
                    + (f", method {_signed(inds[c]['method'])}" if inds[c]["method"] else "") + ")" for c in main]
        zh.append("主要因为 " + "；".join(zh_parts) + "。")
        en.append("Mainly because " + "; ".join(en_parts) + ".")
        moved = next((c for c in main if abs(inds[c]["peer"]) > abs(inds[c]["own"]) and _best_moved(inds[c])), None)
        if moved:
            i = inds[moved]
            b0, b1 = i["reference_before"]["best"], i["reference_after"]["best"]
            zh.append(f"{_label(i, 'zh')} 的标杆（全部园区最优值或基准值）由 {fmt_value(b0, i['unit'])} "
                      f"{'升至' if b1 > b0 else '降至'} {fmt_value(b1, i['unit'])}。")
            en.append(f"The yardstick of {_label(i, 'en')} (best zone or benchmark) moved from "
                      f"{fmt_value(b0, i['unit'])} to {fmt_value(b1, i['unit'])}.")
    if offset:
        c = offset[0]
        zh.append(f"部分被 {_label(inds[c], 'zh')}{_move(inds[c], 'zh')}"
                  f"（{_signed(inds[c]['contribution'])} 分）抵消。")
        en.append(f"Partly offset by {_label(inds[c], 'en')}{_move(inds[c], 'en')} "
                  f"({_signed(inds[c]['contribution'])} points).")
    firms = [f for f in e.get("firms", []) if f["credit_code"] and main and f["indicator"] == main[0]]
    if firms:
        f, i = firms[0], inds[main[0]]
        unit_zh = fmt_change(f["contribution"], i["unit"], "zh")
        unit_en = fmt_change(f["contribution"], i["unit"], "en")
        word_zh = "拉高" if f["contribution"] > 0 else "拉低"
        zh.append(f"该项变化中影响最大的企业是 {f['name']}（{word_zh} {unit_zh}）。")
        en.append(f"The firm that moved it most is {f['name']} ({'+' if f['contribution'] > 0 else '−'}{unit_en}).")
    if pillar_names and e.get("pillars"):
        p = top_by_magnitude(pd.Series(e["pillars"], dtype=float), 1)
        if p:
            zh_name, en_name = pillar_names.get(p[0], (p[0], p[0]))
            zh.append(f"变化最大的一级指标：{zh_name}（{_signed(e['pillars'][p[0]])} 分）。")
            en.append(f"Largest pillar change: {en_name} ({_signed(e['pillars'][p[0]])} points).")
    below = [i for i in e["indicators"] if i.get("below_median") and i.get("score_after") is not None]
    below.sort(key=lambda i: (-(abs(i["gap_after"] / i["median_after"]) if i["median_after"] else 0.0), i["code"]))
    if below:
        zh.append("劣于全部园区中位数的指标：" + "；".join(
            f"{_label(i, 'zh')} {fmt_value(i['value_after'], i['unit'])}"
            f"（中位数 {fmt_value(i['median_after'], i['unit'])}"
            f"，差 {fmt_change(i['gap_after'], i['unit'], 'zh')}）" for i in below[:n]) + "。")
        en.append("Worse than the all-zone median: " + "; ".join(
            f"{_label(i, 'en')} {fmt_value(i['value_after'], i['unit'])} (median "
            f"{fmt_value(i['median_after'], i['unit'])}, gap {fmt_change(i['gap_after'], i['unit'], 'en')})"
            for i in below[:n]) + ".")
    if not e.get("exact", True):
        zh.append(f"（{e['aggregation']} 聚合不可加，贡献为对称单项替换近似，残差 {_signed(e['residual'])} 分。）")
        en.append(f"({e['aggregation']} aggregation is not additive: contributions are symmetric one-at-a-time swaps, "
                  f"residual {_signed(e['residual'])} points.)")
    return "".join(zh), " ".join(en)
