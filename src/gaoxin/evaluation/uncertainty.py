"""Monte Carlo rank intervals, Sobol sensitivity and leave-one-out of a composite index (issue #3 §4, #8 §3).

Every replication runs **the evaluation's own pipeline** (``gaoxin.evaluation.engine``): option 0 of
every uncertain choice is the pipeline's own step with its parameters, the weights are the pipeline's,
and ranks use its tie rule — so the nominal replication *is* the published ranking. The alternatives
(:class:`UncertaintySpec`) swap whole pipeline steps (another imputation, no treatment, another
normalisation, another aggregation), and the weights of every element of the tree are perturbed.

Why memory does not grow with the number of runs: replications are drawn, ranked and folded into a
per-unit rank histogram (units × units counts) and a running sum of rank shifts ``block`` at a time, so
only one block is alive at once (docs/reliability.md, decision 0013). The random streams are read
sequentially and each replication's numbers depend only on its own draws, so the numbers for a seed do
not depend on ``block`` or ``chunk``: uniforms from ``default_rng(seed)``, Dirichlet Gamma variates from
the child stream ``SeedSequence(seed).spawn(1)``. Conventions: docs/uncertainty.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from gaoxin.evaluation.engine import CHOICES, STEP_OF, Engine, blas_threads, label, rank_min
from gaoxin.evaluation.pipeline import PipelineError, Step, as_steps
from gaoxin.evaluation.sensitivity import saltelli_sample, sobol_indices

__all__ = [
    "CHOICES",
    "LeaveOneOutResult",
    "RankSensitivityResult",
    "UncertaintyResult",
    "UncertaintySpec",
    "build_engine",
    "index_frame",
    "leave_one_out",
    "rank_sensitivity",
    "uncertainty_analysis",
]

_ALIASES = {"percentile": "percentile_rank", "min-max": "minmax", "z-score": "zscore"}
Option = str | Mapping[str, Any]


@dataclass(frozen=True)
class UncertaintySpec:
    """The uncertain choices. Option 0 of each is always the pipeline's own step; these are the
    **alternatives** tried besides it (an empty tuple = that step is never varied).

    An alternative is a method name (the step's model defaults fill the rest) or a dict of the step's
    parameters (``{"method": "group_mean", "group": "region"}``). ``treatments``: ``True`` = the COINr
    treatment (the pipeline's own if it has one), ``False`` = no treatment. Geometric and harmonic
    alternatives given by name get an offset that maps the smallest normalised value to 1.
    ``weights``: "uniform" multiplies every weight of the tree by U(1 − f, 1 + f), f = ``weight_spread``;
    "dirichlet" draws the weights of each parent's children from Dirichlet(c · nominal shares),
    c = ``concentration`` (mean = nominal).
    """

    weights: Literal["uniform", "dirichlet"] = "uniform"
    weight_spread: float = 0.25
    concentration: float = 50.0
    imputations: tuple[Option, ...] = ("mean", "median", "none")
    treatments: tuple[bool, ...] = (False, True)
    normalisations: tuple[Option, ...] = ("minmax", "zscore", "percentile_rank")
    aggregations: tuple[Option, ...] = ("arithmetic", "geometric")

    def __post_init__(self) -> None:
        if self.weights not in ("uniform", "dirichlet"):
            raise ValueError(f"weights must be 'uniform' or 'dirichlet', got {self.weights!r}")
        if not 0 <= self.weight_spread < 1:
            raise ValueError("weight_spread must be in [0, 1)")
        if self.concentration <= 0:
            raise ValueError("concentration must be > 0")
        if any(t not in (False, True) for t in self.treatments):
            raise ValueError(f"treatments must be True/False, got {self.treatments}")
        object.__setattr__(self, "normalisations", tuple(_ALIASES.get(o, o) if isinstance(o, str) else o
                                                         for o in self.normalisations))
        for choice in ("imputations", "normalisations", "aggregations"):
            step = STEP_OF[{"imputations": "imputation", "normalisations": "normalisation",
                            "aggregations": "aggregation"}[choice]]
            for o in getattr(self, choice):
                if o != "none" or step != "impute":
                    _as_step(step, o)  # validated now: a misspelt method fails here, not mid-run

    @classmethod
    def fixed(cls) -> UncertaintySpec:
        """No uncertainty at all: every replication is the nominal one (a check of the engine)."""
        return cls(weight_spread=0.0, imputations=(), treatments=(), normalisations=(), aggregations=())


def _as_step(name: str, option: Option) -> Step:
    params = {"method": option} if isinstance(option, str) else dict(option)
    try:
        return as_steps([{"name": name, **params}])[0]
    except (ValueError, TypeError) as e:
        raise ValueError(f"invalid {name} alternative {option!r}: {e}") from e


def _options(steps: list[Step], spec: UncertaintySpec) -> tuple[dict[str, list[Step | None]], frozenset[int]]:
    """Option lists per choice: the pipeline's own step first, then the distinct alternatives."""
    def own(name: str) -> Step | None:
        found = [s for s in steps if s.name == name]
        return (found[-1] if name == "aggregate" else found[0]) if found else None

    out: dict[str, list[Step | None]] = {}
    auto: set[int] = set()
    alts: dict[str, list[tuple[Step | None, bool]]] = {
        "imputation": [(None if o == "none" else _as_step("impute", o), False) for o in spec.imputations],
        "treatment": [((own("treat") or as_steps([{"name": "treat"}])[0]) if t else None,
                       False) for t in spec.treatments],
        "normalisation": [(_as_step("normalise", o), False) for o in spec.normalisations],
        "aggregation": [(_as_step("aggregate", o), isinstance(o, str) and o in ("geometric", "harmonic"))
                        for o in spec.aggregations],
    }
    for choice in CHOICES:
        nominal = own(STEP_OF[choice])
        opts: list[Step | None] = [nominal]
        seen = {_sig(nominal)}
        for step, is_auto in alts[choice]:
            if _sig(step) in seen:
                continue
            seen.add(_sig(step))
            if choice == "aggregation" and is_auto:
                auto.add(len(opts))
            opts.append(step)
        out[choice] = opts
    return out, frozenset(auto)


def _sig(step: Step | None) -> str:
    return "none" if step is None else repr(step.to_dict())


def build_engine(data: pd.DataFrame, meta: pd.DataFrame, steps: Sequence, spec: UncertaintySpec | None = None
                 ) -> Engine:
    """The replicable pipeline of ``steps`` with the options of ``spec``."""
    steps = as_steps(steps)
    options, auto = _options(steps, spec or UncertaintySpec())
    return Engine(data, meta, steps, options, auto)


# --------------------------------------------------------------------------------------------------------
# designs


@dataclass
class Design:
    """One row per replication: weight multipliers per tree element and option indices per choice."""

    mult: np.ndarray  # (R, nodes)
    choice: np.ndarray  # (R, choices) int

    def __len__(self) -> int:
        return len(self.choice)


def _design(engine: Engine, spec: UncertaintySpec, u: np.ndarray, gamma: np.random.Generator | None) -> Design:
    """Map U(0,1) columns [one per tree element | one per choice] to a design (inverse CDFs).

    Dirichlet weights: Gamma(c · share) variates normalised within each parent; drawn from ``gamma``
    directly when given (the Monte Carlo), else by the Gamma inverse CDF of the uniforms (the Sobol
    design, which must swap the underlying uniforms). The multiplier is the drawn share / nominal share.
    """
    k = len(engine.nodes)
    uw, uc = u[:, :k], u[:, k:]
    if spec.weights == "uniform":
        mult = 1.0 + spec.weight_spread * (2.0 * uw - 1.0)
    else:
        sib = engine.siblings()
        w = engine.variant([0] * len(CHOICES)).w
        share = np.where(w > 0, w / np.where(sib @ w > 0, sib @ w, 1.0), 0.0)
        eps = 1e-12
        alpha = np.maximum(spec.concentration * share, eps)
        if gamma is None:
            from scipy.special import gammaincinv  # heavy: only for Dirichlet weights in a Sobol design

            g = gammaincinv(alpha, np.clip(uw, eps, 1 - eps))
        else:
            g = gamma.standard_gamma(alpha, uw.shape)
        g = np.where(share > 0, g, 0.0)
        tot = g @ sib
        drawn = np.where(tot > 0, g / np.where(tot > 0, tot, 1.0), 0.0)
        mult = np.where(share > 0, drawn / np.where(share > 0, share, 1.0), 0.0)
    sizes = np.array(engine.sizes)
    choice = np.minimum((uc * sizes).astype(np.int64), sizes - 1)
    return Design(mult, choice)


class _Draws:
    """The replications of a seed as sequential streams: any chunking of them gives the same numbers."""

    def __init__(self, engine: Engine, spec: UncertaintySpec, seed: int) -> None:
        self.engine, self.spec = engine, spec
        self.uniforms = np.random.default_rng(seed)
        self.gamma = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])

    def next(self, r: int) -> Design:
        u = self.uniforms.random((r, len(self.engine.nodes) + len(CHOICES)))
        return _design(self.engine, self.spec, u, self.gamma)


class _RankTally:
    """Per-unit rank counts and the summed |rank − nominal|: what the summary needs, of fixed size."""

    def __init__(self, nominal: np.ndarray) -> None:
        self.nominal = nominal.astype(np.int64)
        self.n_units = len(nominal)
        self.counts = np.zeros((self.n_units, self.n_units + 1), dtype=np.int64)  # [unit, rank]
        self.shift = np.zeros(self.n_units, dtype=np.int64)
        self.runs = 0

    def add(self, ranks: np.ndarray) -> None:
        flat = ranks.astype(np.int64) + (np.arange(self.n_units) * (self.n_units + 1))[None, :]
        self.counts += np.bincount(flat.ravel(), minlength=self.counts.size).reshape(self.counts.shape)
        self.shift += np.abs(ranks.astype(np.int64) - self.nominal).sum(axis=0)
        self.runs += len(ranks)

    def percentiles(self, q: list[float]) -> np.ndarray:
        """(len(q), units): ``np.percentile(ranks, q, axis=0)`` (linear method) from the counts alone."""
        n = self.runs
        qs = np.asarray(q, dtype=float) / 100
        virtual = n * qs - qs  # numpy's virtual index for the linear method, (n − 1)·q
        lo = np.floor(virtual)
        t = virtual - lo
        cdf = np.cumsum(self.counts, axis=1)  # [unit, rank] = number of runs with rank ≤ r

        def kth(k: np.ndarray) -> np.ndarray:  # value of the k-th smallest rank (0-based), per q and unit
            return np.stack([(cdf <= kk).sum(axis=1) for kk in k]).astype(float)

        a, b = kth(lo.astype(np.int64)), kth(np.minimum(lo + 1, n - 1).astype(np.int64))
        t = t[:, None]
        out = a + (b - a) * t
        return np.where(t >= 0.5, b - (b - a) * (1 - t), out)  # numpy's _lerp, for identical rounding

    def mean_abs_shift(self) -> np.ndarray:
        return self.shift / self.runs


# --------------------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class UncertaintyResult:
    """Rank distribution per unit, plus (with ``keep_draws``) the sampled design and rank matrix."""

    summary: pd.DataFrame  # index units; nominal_rank, median_rank, rank_p05, rank_p95, mean_abs_shift
    design: pd.DataFrame | None  # one row per replication: the option label of each choice
    weights: pd.DataFrame | None  # (R × tree elements) the replication's weights (before renormalisation)
    ranks: np.ndarray | None  # (R × units) int16/int32, rank 1 = best
    spec: UncertaintySpec = field(repr=False)
    nominal_scores: pd.Series | None = None  # the nominal replication's index score per unit
    choices: np.ndarray | None = None  # (R × choices) option indices (Engine.steps_for / replay_steps)


@dataclass(frozen=True)
class RankSensitivityResult:
    """Sobol indices of the mean absolute rank shift, and leave-one-out rank changes of the top level."""

    indices: pd.DataFrame  # index: weights, imputation, treatment, normalisation, aggregation; S, ST
    leave_one_out: pd.DataFrame  # index: dropped element; max_abs_shift, mean_abs_shift
    n_runs: int


@dataclass(frozen=True)
class LeaveOneOutResult:
    """Ranks with each element dropped (its weight set to 0, its siblings re-weighted within its parent)."""

    summary: pd.DataFrame  # index: dropped element; level, parent, max_abs_shift, mean_abs_shift
    ranks: pd.DataFrame  # units × ("nominal", then one column per dropped element); <NA> = no score


def uncertainty_analysis(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    steps: Sequence,
    *,
    spec: UncertaintySpec | None = None,
    n: int = 1000,
    seed: int = 0,
    chunk: int = 2048,
    block: int = 16_384,
    keep_draws: bool = True,
) -> UncertaintyResult:
    """Monte Carlo over the spec's choices: per-unit rank interval and mean absolute rank shift.

    ``data``: units × columns (indicators, group and denominator columns); ``meta``: the COINr-style tree
    (iCode, Parent, Level, Weight, Direction, Type); ``steps``: the evaluation's pipeline. The nominal rank
    is the pipeline's own ranking of the top aggregate. Deterministic for a seed, whatever ``block`` and
    ``chunk``. With ``keep_draws=False`` only the summary is kept and memory is
    O(units² + block · (units + elements)), independent of ``n``.
    """
    if n < 1 or chunk < 1 or block < 1:
        raise ValueError(f"n, chunk and block must be ≥ 1, got n={n}, chunk={chunk}, block={block}")
    spec = spec or UncertaintySpec()
    with blas_threads():
        engine = build_engine(data, meta, steps, spec)
        scores, nominal = engine.nominal()
        draws, tally = _Draws(engine, spec, seed), _RankTally(nominal)
        kept: list[tuple[Design, np.ndarray]] = []
        for start in range(0, n, block):
            design = draws.next(min(block, n - start))
            ranks = engine.ranks(design.choice, design.mult, chunk)  # grouped by variant, sliced inside
            tally.add(ranks)
            if keep_draws:
                kept.append((design, ranks))
    p05, med, p95 = tally.percentiles([5, 50, 95])
    summary = pd.DataFrame({"nominal_rank": nominal.astype(np.int64), "median_rank": med, "rank_p05": p05,
                            "rank_p95": p95, "mean_abs_shift": tally.mean_abs_shift()}, index=engine.units)
    nominal_scores = scores[engine.top].rename("score")
    if not keep_draws:
        return UncertaintyResult(summary, None, None, None, spec, nominal_scores)
    choice = np.concatenate([d.choice for d, _ in kept])
    mult = np.concatenate([d.mult for d, _ in kept])
    labels = {c: np.array([label(o) for o in engine.options[c]], dtype=object) for c in CHOICES}
    design_df = pd.DataFrame({c: labels[c][choice[:, j]] for j, c in enumerate(CHOICES)})
    eff = np.empty_like(mult)  # the weights each replication aggregated with: its variant's × its draw
    keys, inverse = np.unique(choice, axis=0, return_inverse=True)
    for k, combo in enumerate(keys):
        rows = inverse.reshape(-1) == k
        eff[rows] = engine.variant(combo).w * mult[rows]
    weights = pd.DataFrame(eff, columns=engine.nodes)
    return UncertaintyResult(summary, design_df, weights, np.concatenate([r for _, r in kept]), spec,
                             nominal_scores, choice)


def rank_sensitivity(
    data: pd.DataFrame,
    meta: pd.DataFrame,
    steps: Sequence,
    *,
    spec: UncertaintySpec | None = None,
    n: int = 512,
    seed: int = 0,
) -> RankSensitivityResult:
    """Which uncertain input drives rank instability? Sobol S/ST of the mean absolute rank shift.

    Inputs: all weights as one group, then each choice. Saltelli design, N(d + 2) = 7N runs through the
    same engine as the Monte Carlo. Also leave-one-out of each child of the top aggregate.
    """
    spec = spec or UncertaintySpec()
    with blas_threads():
        engine = build_engine(data, meta, steps, spec)
        k = len(engine.nodes)
        cols = k + len(CHOICES)
        a, b, ab = saltelli_sample(n, cols, seed, groups=[0] * k + list(range(1, len(CHOICES) + 1)))
        u = np.concatenate([a, b, ab.reshape(-1, cols)], axis=0)
        d = _design(engine, spec, u, None)
        ranks = engine.ranks(d.choice, d.mult).astype(np.int64)
        nominal = engine.nominal()[1].astype(np.int64)
        y = np.abs(ranks - nominal).mean(axis=1)
        s, st = sobol_indices(y[:n], y[n : 2 * n], y[2 * n :].reshape(-1, n))
        loo = _leave_out(engine, engine.children[engine.top], nominal)
    indices = pd.DataFrame({"S": s, "ST": st}, index=pd.Index(["weights", *CHOICES], name="input"))
    return RankSensitivityResult(indices, loo.summary[["max_abs_shift", "mean_abs_shift"]], n_runs=len(y))


def _leave_out(engine: Engine, codes: list[str], nominal: np.ndarray) -> LeaveOneOutResult:
    """Each element of ``codes`` dropped in turn: its weight multiplier 0, every option nominal."""
    combos = np.zeros((len(codes), len(CHOICES)), dtype=np.int64)
    scores = engine.scores(combos, engine.drop(codes))
    ranks = rank_min(scores).astype(np.int64)
    shift = np.abs(ranks - nominal)
    summary = pd.DataFrame({"level": [int(engine.level[c]) for c in codes],
                            "parent": [str(engine.parent[c]) for c in codes],
                            "max_abs_shift": shift.max(axis=1) if codes else [],
                            "mean_abs_shift": shift.mean(axis=1) if codes else []},
                           index=pd.Index(codes, name="dropped"))
    nominal_scores = engine.nominal()[0][engine.top].to_numpy()
    table = pd.DataFrame(np.where(np.isnan(scores), -1, ranks).T, index=engine.units, columns=codes)
    table.insert(0, "nominal", np.where(np.isnan(nominal_scores), -1, nominal))
    table = table.astype("Int64").mask(table < 0)  # a unit without a score has no rank (as published)
    return LeaveOneOutResult(summary, table)


def leave_one_out(data: pd.DataFrame, meta: pd.DataFrame, steps: Sequence, target: int | str | None = None
                  ) -> LeaveOneOutResult:
    """Ranks with one element dropped at a time and its siblings re-weighted within its parent
    (COINr ``remove_elements``): by definition, the pipeline run with that element's weight set to 0.

    ``target``: a tree level (1 = indicators; every element of the level is dropped in turn), an element
    code (that element only), or None (the children of the top aggregate).
    """
    with blas_threads():
        engine = Engine(data, meta, as_steps(steps))
        nominal = engine.nominal()[1].astype(np.int64)
        if target is None:
            codes = engine.children[engine.top]
        elif isinstance(target, int | np.integer) and not isinstance(target, bool):
            codes = [c for c in engine.nodes if int(engine.level[c]) == int(target)]
            if not codes:
                levels = sorted({int(engine.level[c]) for c in engine.nodes})
                raise PipelineError(f"没有第 {target} 层的指标 / no element at level {target}; levels: {levels}")
        else:
            if target not in engine.node_index:
                some = ", ".join(engine.children[engine.top][:8])
                raise PipelineError(f"指标树中没有 {target!r} / {target!r} is not an element of the index tree "
                                    f"(the index itself cannot be left out); e.g. {some}, or a level number")
            codes = [str(target)]
        return _leave_out(engine, codes, nominal)


# --------------------------------------------------------------------------------------------------------
# a two-level index from plain arrays (tests, benchmarks, notebooks)


def index_frame(x: pd.DataFrame, directions: Mapping | pd.Series, weights: Mapping | pd.Series,
                groups: Mapping[str, str] | pd.Series | None = None,
                pillar_weights: Mapping[str, float] | pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(data, meta)`` of an indicators → pillars → index tree: ``groups`` maps indicator → pillar
    (None = one pillar), weights are relative within each parent."""
    w = pd.Series(weights, dtype=float)
    g = pd.Series("index_pillar", index=w.index) if groups is None else pd.Series(groups).reindex(w.index)
    if g.isna().any():
        raise KeyError(f"indicators without a pillar: {list(g[g.isna()].index)}")
    d = pd.Series(directions, dtype=float).reindex(w.index)
    rows = [{"iCode": c, "Parent": g[c], "Level": 1, "Weight": w[c], "Direction": d[c], "Type": "Indicator"}
            for c in w.index]
    pw = pd.Series(pillar_weights, dtype=float) if pillar_weights is not None else pd.Series(dtype=float)
    for p in dict.fromkeys(g):
        rows.append({"iCode": p, "Parent": "Index", "Level": 2, "Weight": float(pw.get(p, 1.0)), "Direction": 1.0,
                     "Type": "Aggregate"})
    rows.append({"iCode": "Index", "Parent": None, "Level": 3, "Weight": 1.0, "Direction": 1.0, "Type": "Aggregate"})
    return x[list(w.index)].copy(), pd.DataFrame(rows)
