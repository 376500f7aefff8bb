"""One engine for ranks, intervals and sensitivity: the evaluation's own pipeline, replicated.

A replication is the evaluation's pipeline with (a) one option drawn for each step that has
alternatives (imputation, treatment, normalisation, aggregation; option 0 is always the pipeline's own
step, with its parameters) and (b) every weight of the tree multiplied by a perturbation. The data
steps (denominate, impute, screen, treat, normalise, weight) are run **by the pipeline's own step
handlers** (those :func:`gaoxin.evaluation.pipeline.run_pipeline` calls), one step at a time, each
distinct prefix once: they do not depend on the tree weights, so a combination of options yields one
matrix shared by all the replications that drew it. Only the aggregation is replicated, by the
vectorised implementations in :data:`VECTORISED_AGGREGATES` (one per aggregate-step method; a new method
registers its own with :func:`register_aggregate`). Each repeats its pandas twin operation for operation
— the same products, the children added in the same order — so the nominal replication reproduces the
published scores (to the last bit in practice, 1e-12 tested) and therefore the published ranks, with the
pipeline's tie rule ("min", :func:`rank_min`). Every reduction runs over one replication's children, so a
replication's numbers do not depend on how many are computed with it.

No BLAS call is made (matrix products change their rounding with the batch shape); BLAS threads are
capped anyway while the engine runs (:func:`blas_threads`), so the pandas/scipy parts cannot
oversubscribe a loaded machine. Decision 0019.
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import pipeline as pl
from .methods.mcda import GRA_RHO, VIKOR_V, grey_relational_array, topsis_array, vikor_score_array
from .pipeline import STEP_NAMES, PipelineError, Step, as_steps, normalise_meta

__all__ = [
    "CHOICES",
    "STEP_OF",
    "VECTORISED_AGGREGATES",
    "Engine",
    "blas_threads",
    "rank_min",
    "register_aggregate",
]

#: The uncertain choices, in pipeline order, and the step each one swaps.
CHOICES = ("imputation", "treatment", "normalisation", "aggregation")
STEP_OF = {"imputation": "impute", "treatment": "treat", "normalisation": "normalise", "aggregation": "aggregate"}
_CELLS = 131_072  # elements of one (replications × units) temporary: 1 MB, so the working set stays in cache

# ---------------------------------------------------------------------------------------------------------
# vectorised aggregations: f(xs, w, **params) -> (r, units), where xs is the list of the children's values
# (each (r, units) or (1, units), NaN = missing) and w (r, children) their weights in the replications

VectorisedAggregate = Callable[..., np.ndarray]
#: aggregate-step method → its vectorised implementation (the Monte Carlo's registry).
VECTORISED_AGGREGATES: dict[str, VectorisedAggregate] = {}


def register_aggregate(name: str) -> Callable[[VectorisedAggregate], VectorisedAggregate]:
    """Register the vectorised twin of aggregate-step method ``name``: ``f(xs, w, **params)`` as above."""

    def deco(f: VectorisedAggregate) -> VectorisedAggregate:
        VECTORISED_AGGREGATES[name] = f
        return f

    return deco


def _weighted_terms(xs: list[np.ndarray], w: np.ndarray,
                    term: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Σ_c term(x_c, m_c, W_c)`` with ``W = availability × w`` renormalised per unit, as pandas does it
    in ``aggregate._avail_weights`` and ``(… * W).sum(axis=1)``: the children's terms added in order (a
    frame's block reduced over its leading axis), NaN terms counted as 0. Returns (sum, total weight,
    number of available children); one (r, units) temporary at a time."""
    ms = [~np.isnan(x) for x in xs]
    if all(m.all() for m in ms):  # complete data: W = w, the same for every unit (same numbers, 3× less work)
        tot = w[:, :1].copy()
        for j in range(1, w.shape[1]):
            tot += w[:, j : j + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(tot > 0, tot, np.nan)
            acc = None
            for j, (x, m) in enumerate(zip(xs, ms, strict=True)):
                t = term(x, m, w[:, j : j + 1] / inv)
                acc = t if acc is None else acc + t
        shape = np.broadcast_shapes(acc.shape, *(x.shape for x in xs))
        acc = np.broadcast_to(acc, shape)
        return np.where(np.isnan(acc), 0.0, acc), np.broadcast_to(tot, shape), np.full(shape, len(xs))
    tot = None
    for j, m in enumerate(ms):
        wc = m * w[:, j : j + 1]
        tot = wc if tot is None else tot + wc
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(tot > 0, tot, np.nan)
        acc = None
        for j, (x, m) in enumerate(zip(xs, ms, strict=True)):
            t = term(x, m, (m * w[:, j : j + 1]) / inv)
            t = np.where(np.isnan(t), 0.0, t)
            acc = t if acc is None else acc + t
    count = sum(m.astype(np.int64) for m in ms)
    return acc, tot, count


@register_aggregate("arithmetic")
def _arithmetic(xs: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    acc, tot, _ = _weighted_terms(xs, w, lambda x, m, wn: np.where(m, x, 0.0) * wn)
    return np.where(tot > 0, acc, np.nan)


def _check_positive(xs: list[np.ndarray], offset: float, what: str) -> None:
    if any((x[~np.isnan(x)] + offset <= 0).any() for x in xs):
        raise PipelineError(f"{what} mean needs strictly positive values: shift them (offset=...) / "
                            f"{what} 平均要求数据为正")


@register_aggregate("geometric")
def _geometric(xs: list[np.ndarray], w: np.ndarray, offset: float = 0.0) -> np.ndarray:
    _check_positive(xs, offset, "geometric")
    acc, _, count = _weighted_terms(xs, w, lambda x, m, wn: np.where(m, np.log(np.where(m, x + offset, 1.0)), 0.0) * wn)
    return np.where(count > 0, np.exp(acc) - offset, np.nan)


@register_aggregate("harmonic")
def _harmonic(xs: list[np.ndarray], w: np.ndarray, offset: float = 0.0) -> np.ndarray:
    _check_positive(xs, offset, "harmonic")
    acc, _, count = _weighted_terms(xs, w, lambda x, m, wn: wn / (x + offset))
    with np.errstate(divide="ignore"):
        return np.where(count > 0, 1.0 / acc - offset, np.nan)


@register_aggregate("sum")
def _weighted_sum(xs: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    """``aggregate.weighted_sum`` (official style): weights normalised over *all* children, a missing value
    counting 0, never renormalised; the weights' total as a Series sums it, the products added in order."""
    with np.errstate(invalid="ignore", divide="ignore"):
        wn = w / np.sum(w, axis=-1, keepdims=True)
    acc = None
    for j, x in enumerate(xs):
        t = np.where(np.isnan(x), 0.0, x) * wn[:, j : j + 1]
        acc = t if acc is None else acc + t
    return acc


def _stacked(f: Callable[..., np.ndarray]) -> VectorisedAggregate:
    """A (..., units, children) method over the children list."""
    return lambda xs, w, **kw: f(np.stack(np.broadcast_arrays(*xs), axis=-1), w, **kw)


register_aggregate("topsis")(_stacked(lambda x, w: topsis_array(x, w)))
register_aggregate("vikor")(_stacked(lambda x, w: vikor_score_array(x, w, VIKOR_V)))
register_aggregate("gra")(_stacked(lambda x, w: grey_relational_array(x, w, GRA_RHO)))


# ---------------------------------------------------------------------------------------------------------
# ranks and threads


def rank_min(scores: np.ndarray) -> np.ndarray:
    """Ranks per row, 1 = highest, ties share the best rank (pandas ``rank(method="min")``, the pipeline's
    rule); NaN scores tie for last (rank = number of scored units + 1). int16 below 32,767 units."""
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    key = np.where(np.isnan(s), -np.inf, s)
    order = np.argsort(-key, axis=1, kind="stable")
    srt = np.take_along_axis(key, order, axis=1)
    new = np.ones(srt.shape, dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    first = np.maximum.accumulate(np.where(new, np.arange(1, s.shape[1] + 1), 0), axis=1)
    dtype = np.int16 if s.shape[1] < np.iinfo(np.int16).max else np.int32
    ranks = np.empty(s.shape, dtype=dtype)
    np.put_along_axis(ranks, order, first.astype(dtype), axis=1)
    return ranks


@contextlib.contextmanager
def blas_threads(limit: int = 1) -> Iterator[None]:
    """Cap BLAS threads while the engine runs (threadpoolctl when installed; otherwise nothing to do:
    the engine itself calls no BLAS routine, and thread variables cannot act after numpy is loaded)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=limit, user_api="blas"):
        yield


# ---------------------------------------------------------------------------------------------------------
# the engine


@dataclass(frozen=True)
class Variant:
    """One combination of options: the pipeline-processed indicator matrix and what aggregates it."""

    steps: list[Step]
    zt: np.ndarray  # (indicators, units) after the data steps, NaN = missing
    w: np.ndarray  # (nodes,) weights after the data steps (the weight step's, else the meta's)
    method: str
    params: dict[str, Any]


def _key(step: Step | None) -> str:
    return "none" if step is None else json.dumps(step.to_dict(), sort_keys=True, ensure_ascii=False)


def label(step: Step | None) -> str:
    """Short name of an option: ``none`` (step left out) or the step's method (or name)."""
    if step is None:
        return "none"
    return str(step.params.get("method", step.name))


class Engine:
    """The pipeline ``steps`` on ``data`` (units × columns) with the COINr-style ``meta``, replicable.

    ``options`` maps each of :data:`CHOICES` to its options (option 0 = the pipeline's own step, ``None``
    = the step left out); ``auto_offset`` lists aggregation options whose geometric/harmonic offset is
    resolved per variant so that the smallest normalised value becomes 1.
    """

    def __init__(self, data: pd.DataFrame, meta: pd.DataFrame, steps: Sequence,
                 options: dict[str, list[Step | None]] | None = None, auto_offset: frozenset[int] = frozenset()
                 ) -> None:
        self.meta = normalise_meta(meta)
        self.steps = as_steps(steps)
        if not any(s.name == "aggregate" for s in self.steps):
            raise PipelineError("评价流程缺少聚合步骤 / the pipeline has no aggregate step")
        self.data = data
        tree = self.meta[self.meta["Type"].isin(["Indicator", "Aggregate"])]
        self.indicators = list(tree.loc[tree["Type"] == "Indicator", "iCode"])
        missing = [c for c in self.indicators if c not in data.columns]
        if missing:
            raise PipelineError(f"indicators not in data: {missing} / 数据中缺少指标列")
        aggs = tree[tree["Type"] == "Aggregate"].assign(_pos=range(int((tree["Type"] == "Aggregate").sum())))
        aggs = aggs.sort_values(["Level", "_pos"], kind="stable")
        tops = list(aggs.loc[aggs["Level"] == aggs["Level"].max(), "iCode"])
        if len(tops) != 1:
            raise PipelineError(f"the index tree needs exactly one top aggregate, found {tops} / "
                                "指标树应只有一个总指数")
        self.top = tops[0]
        self.aggregates = [c for c in aggs["iCode"] if (tree["Parent"] == c).any()]
        self.nodes = [c for c in tree["iCode"] if c != self.top]  # every weighted element
        self.node_index = {c: i for i, c in enumerate(self.nodes)}
        self._col = {c: j for j, c in enumerate(self.indicators)}
        self.parent = tree.set_index("iCode")["Parent"]
        self.children = {a: list(tree.loc[tree["Parent"] == a, "iCode"]) for a in self.aggregates}
        self.level = tree.set_index("iCode")["Level"].astype(int)
        self.options = options or {c: [self._own(c)] for c in CHOICES}
        self.auto_offset = auto_offset
        self._states: dict[tuple[str, ...], tuple[pd.DataFrame, pd.Series]] = {}
        self._variants: dict[tuple[int, ...], Variant] = {}
        x0 = data[self.indicators].apply(pd.to_numeric, errors="coerce").astype(float)
        w0 = tree.set_index("iCode")["Weight"].astype(float)
        self._states[()] = (x0, w0)
        self.units = self._prepared(self.data_steps(self.steps))[0].index

    # ---- options and variants ---------------------------------------------------------------------------

    def _own(self, choice: str) -> Step | None:
        name = STEP_OF[choice]
        own = [s for s in self.steps if s.name == name]
        return (own[-1] if name == "aggregate" else own[0]) if own else None

    @property
    def sizes(self) -> list[int]:
        return [len(self.options[c]) for c in CHOICES]

    def steps_for(self, combo: Sequence[int]) -> list[Step]:
        """The pipeline of option combination ``combo`` (one option index per choice)."""
        out = list(self.steps)
        for choice, k in zip(CHOICES, combo, strict=True):
            name, opt = STEP_OF[choice], self.options[choice][int(k)]
            at = [i for i, s in enumerate(out) if s.name == name]
            if at:
                i = at[-1] if name == "aggregate" else at[0]
                if opt is None:
                    del out[i]
                else:
                    out[i] = opt
            elif opt is not None:
                rank = STEP_NAMES.index(name)
                pos = next((i for i, s in enumerate(out) if STEP_NAMES.index(s.name) > rank), len(out))
                out.insert(pos, opt)
        return out

    @staticmethod
    def data_steps(steps: list[Step]) -> list[Step]:
        return [s for s in steps if s.name != "aggregate"]

    def _prepared(self, data_steps: list[Step]) -> tuple[pd.DataFrame, pd.Series]:
        """Indicator matrix and weights after ``data_steps``, each distinct prefix run once by the pipeline."""
        key: tuple[str, ...] = ()
        x, w = self._states[()]
        for s in data_steps:
            key = (*key, _key(s))
            if key not in self._states:
                self._states[key] = self._run_step(s, x, w)
            x, w = self._states[key]
        return x, w

    def _run_step(self, step: Step, x: pd.DataFrame, w: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
        """One data step by the pipeline's own handler (what ``run_pipeline`` does for it, without the
        per-call hashing and meta checks; ``tests/test_uncertainty.py`` checks both agree)."""
        st = pl._State(data=self.data.loc[x.index], meta=self.meta, X=x, weights=w)
        model = pl.parse_steps([step])[0]
        try:
            pl._HANDLERS[step.name](st, model)
        except (ValueError, KeyError, TypeError) as e:
            raise PipelineError(f"step {step.name}: {e}") from e
        return st.X, st.weights

    def variant(self, combo: Sequence[int]) -> Variant:
        combo = tuple(int(k) for k in combo)
        if combo not in self._variants:
            steps = self.steps_for(combo)
            try:
                x, w = self._prepared(self.data_steps(steps))
            except PipelineError as e:
                shown = ", ".join(f"{c}={label(self.options[c][k])}" for c, k in zip(CHOICES, combo, strict=True))
                raise PipelineError(f"评价流程无法以此组合运行 / the pipeline cannot run with {shown}: {e}; "
                                    "leave that alternative out (UncertaintySpec)") from e
            z = np.ascontiguousarray(x.reindex(self.units)[self.indicators].to_numpy(dtype=float))
            agg = [s for s in steps if s.name == "aggregate"][-1]
            method = str(agg.params.get("method", "arithmetic"))
            if method not in VECTORISED_AGGREGATES:
                raise PipelineError(f"aggregation {method!r} has no vectorised implementation / 该聚合方法不支持模拟")
            params: dict[str, Any] = {}
            if method in ("geometric", "harmonic"):
                offset = float(agg.params.get("offset", 0.0))
                lo = float(np.nanmin(z)) if np.isfinite(z).any() else 1.0
                # an alternative given by name, or one whose normalisation is not strictly positive,
                # is shifted so that the smallest normalised value is 1 (the pipeline's own never is)
                if combo[CHOICES.index("aggregation")] in self.auto_offset or lo + offset <= 0:
                    offset = max(0.0, 1.0 - lo)
                params["offset"] = offset
            wv = pd.Series(w, dtype=float).reindex(self.nodes).fillna(0.0).to_numpy()
            self._variants[combo] = Variant(steps, np.ascontiguousarray(z.T), wv, method, params)
        return self._variants[combo]

    # ---- vectorised scores ------------------------------------------------------------------------------

    def aggregate(self, v: Variant, W: np.ndarray, codes: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Scores of every aggregate (``{code: (r, units)}``) for weight rows ``W`` (r, nodes) on variant ``v``."""
        f = VECTORISED_AGGREGATES[v.method]
        vals: dict[str, np.ndarray] = {}
        for a in self.aggregates:
            kids = self.children[a]
            xs = [vals[k] if k in vals else v.zt[None, self._col[k]] for k in kids]
            w = np.ascontiguousarray(W[:, [self.node_index[k] for k in kids]])
            vals[a] = f(xs, w, **v.params)
        return vals if codes is None else {c: vals[c] for c in codes}

    def top_scores(self, v: Variant, W: np.ndarray, chunk: int | None = None) -> np.ndarray:
        """(r, units) index scores, computed in slices (at most ``chunk`` replications) whose temporaries
        stay in cache."""
        r = W.shape[0]
        step = max(1, min(chunk or r, _CELLS // max(1, len(self.units))))
        out = np.empty((r, len(self.units)))
        for s in range(0, r, step):
            out[s : s + step] = self.aggregate(v, W[s : s + step], [self.top])[self.top]
        return out

    def ranks(self, combos: np.ndarray, mult: np.ndarray, chunk: int | None = None) -> np.ndarray:
        """(r, units) ranks of replications with option indices ``combos`` (r, choices) and weight
        multipliers ``mult`` (r, nodes)."""
        return rank_min(self.scores(combos, mult, chunk))

    def scores(self, combos: np.ndarray, mult: np.ndarray, chunk: int | None = None) -> np.ndarray:
        """(r, units) index scores of those replications, each variant's rows together."""
        scores = np.empty((len(combos), len(self.units)))
        keys, inverse = np.unique(combos, axis=0, return_inverse=True)
        for k, combo in enumerate(keys):
            rows = np.flatnonzero(inverse.reshape(-1) == k)
            v = self.variant(combo)
            scores[rows] = self.top_scores(v, v.w[None] * mult[rows], chunk)
        return scores

    def nominal(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The nominal replication: every aggregate's scores (units × aggregates) and the index ranks."""
        v = self.variant([0] * len(CHOICES))
        vals = self.aggregate(v, v.w[None])
        scores = pd.DataFrame({c: a[0] for c, a in vals.items()}, index=self.units)
        return scores, rank_min(scores[self.top].to_numpy()[None])[0]

    # ---- weights -----------------------------------------------------------------------------------------

    def siblings(self) -> np.ndarray:
        """(nodes, nodes) 1 where two elements share a parent: the groups weights are shares of."""
        p = self.parent.reindex(self.nodes).to_numpy()
        return (p[:, None] == p[None, :]).astype(float)

    def drop(self, codes: Sequence[str]) -> np.ndarray:
        """Weight multipliers (len(codes), nodes): 1 everywhere but 0 for the dropped element (leave one out)."""
        mult = np.ones((len(codes), len(self.nodes)))
        for i, c in enumerate(codes):
            mult[i, self.node_index[c]] = 0.0
        return mult

    def replay_steps(self, combo: Sequence[int], weights: np.ndarray) -> list[Step]:
        """A plain pipeline that computes one replication: its steps with its weights fixed before the
        aggregation (the reference the vectorised engine is tested against)."""
        steps = self.steps_for(combo)
        fixed = Step("weight", {"method": "fixed", "weights": {c: float(x) for c, x in zip(self.nodes, weights,
                                                                                           strict=True)}})
        agg = [s for s in steps if s.name == "aggregate"][-1]
        v = self.variant(combo)
        if "offset" in v.params and v.params["offset"] != agg.params.get("offset", 0.0):
            agg = Step("aggregate", {**agg.params, "offset": v.params["offset"]})
        return [*self.data_steps(steps), fixed, agg]
