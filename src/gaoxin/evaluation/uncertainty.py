"""Monte Carlo uncertainty analysis of composite-index ranks (issue #3 §4).

Each replication draws one combination of the analyst's uncertain choices — weights (uniform ±f around
nominal, or Dirichlet), normalisation, aggregation, imputation, outlier treatment — and ranks all units.
The pipeline per replication is impute → winsorise → normalise → aggregate indicators → pillars → index.

Why it is fast: the discrete choices give only a handful of distinct normalised matrices (≤ 3 × 3 × 2),
each computed once. Replications sharing a variant are evaluated together: their weights form a
block matrix (indicators × replications·pillars), so all pillar scores come from one BLAS matmul; the
geometric mean is the same matmul in log space. Ranks come from one argsort along the unit axis.
There is no Python loop over replications or units. ``rank_once`` is the plain per-replication pipeline
kept as the readable reference; tests and ``bench/uncertainty.py`` check both give identical ranks.

Why memory does not grow with the number of runs: replications are drawn, ranked and folded into a
per-unit rank histogram (units × units counts) and a running sum of rank shifts ``block`` at a time, so
only one block is alive at once (docs/reliability.md). The random streams are read sequentially, so the
numbers for a seed do not depend on ``block`` or ``chunk``: the uniforms come from ``default_rng(seed)`` (as before
streaming, so uniform-weight results are unchanged), the Dirichlet Gamma variates from two child streams
``SeedSequence(seed).spawn(2)`` (indicator weights, pillar weights). The per-replication draws and
ranks are kept only with ``keep_draws=True`` (then memory grows with ``n``).

Conventions (documented in docs/uncertainty.md):
- the *nominal* index uses the nominal weights and the first option of every choice in the spec;
- rank 1 = highest score; ties broken by unit order (stable sort); units without any data rank last;
- missing values: "mean"/"median" fill per indicator; "none" leaves them missing and renormalises the
  weights over the indicators (and pillars) a unit has;
- outlier treatment = winsorising each indicator at its (2.5 %, 97.5 %) quantiles (vectorisable stand-in
  for COINr's skew/kurtosis-driven treatment);
- geometric aggregation needs positive values: the normalised matrix is mapped affinely (one global
  min/max, so relative column scales survive) onto [1, 100] before taking logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from gaoxin.evaluation.methods.normalise import minmax, normalise_array, rank_share, zscore
from gaoxin.evaluation.sensitivity import saltelli_sample, sobol_indices

__all__ = [
    "AGGREGATIONS",
    "IMPUTATIONS",
    "NORMALISATIONS",
    "RankSensitivityResult",
    "UncertaintyResult",
    "UncertaintySpec",
    "rank_once",
    "rank_sensitivity",
    "uncertainty_analysis",
]

NORMALISATIONS = ("minmax", "zscore", "rank")
AGGREGATIONS = ("arithmetic", "geometric")
IMPUTATIONS = ("mean", "median", "none")
_ALIASES = {"percentile": "rank", "min-max": "minmax", "z-score": "zscore"}
GEO_LOW, GEO_HIGH = 1.0, 100.0


@dataclass(frozen=True)
class UncertaintySpec:
    """The uncertain choices; the first option of each tuple is the nominal one.

    ``weights``: "uniform" multiplies every indicator and pillar weight by U(1 − f, 1 + f), f =
    ``weight_spread``; "dirichlet" draws weights within each pillar (and across pillars) from
    Dirichlet(c · nominal share), c = ``concentration`` (larger = tighter, mean = nominal).
    """

    weights: Literal["uniform", "dirichlet"] = "uniform"
    weight_spread: float = 0.25
    concentration: float = 50.0
    normalisations: tuple[str, ...] = ("minmax", "zscore", "rank")
    aggregations: tuple[str, ...] = ("arithmetic", "geometric")
    imputations: tuple[str, ...] = ("mean", "median", "none")
    treatments: tuple[bool, ...] = (False, True)
    winsor_limits: tuple[float, float] = (0.025, 0.975)

    def __post_init__(self) -> None:
        norms = tuple(_ALIASES.get(n, n) for n in self.normalisations)
        object.__setattr__(self, "normalisations", norms)
        for name, opts, allowed in [
            ("normalisations", norms, NORMALISATIONS),
            ("aggregations", self.aggregations, AGGREGATIONS),
            ("imputations", self.imputations, IMPUTATIONS),
            ("treatments", self.treatments, (False, True)),
        ]:
            if not opts or any(o not in allowed for o in opts):
                raise ValueError(f"{name} must be a non-empty subset of {allowed}, got {opts}")
        if self.weights not in ("uniform", "dirichlet"):
            raise ValueError(f"weights must be 'uniform' or 'dirichlet', got {self.weights!r}")
        if not 0 <= self.weight_spread < 1:
            raise ValueError("weight_spread must be in [0, 1)")
        if self.concentration <= 0:
            raise ValueError("concentration must be > 0")

    @property
    def options(self) -> dict[str, tuple]:
        return {
            "normalisation": self.normalisations,
            "aggregation": self.aggregations,
            "imputation": self.imputations,
            "treatment": self.treatments,
        }


CHOICES = ("normalisation", "aggregation", "imputation", "treatment")


@dataclass
class Design:
    """One row per replication: indicator weights, pillar weights and option indices into the spec."""

    ind_w: np.ndarray  # (R, p)
    pil_w: np.ndarray  # (R, G)
    choice: np.ndarray  # (R, 4) int, columns in CHOICES order

    def __len__(self) -> int:
        return len(self.choice)

    def take(self, rows: np.ndarray | slice) -> Design:
        return Design(self.ind_w[rows], self.pil_w[rows], self.choice[rows])


@dataclass(frozen=True)
class UncertaintyResult:
    """Rank distribution per unit plus the sampled design and rank matrix (inputs for sensitivity)."""

    summary: pd.DataFrame  # index units; nominal_rank, median_rank, rank_p05, rank_p95, mean_abs_shift
    # the per-replication draws, kept only with keep_draws=True (None otherwise):
    design: pd.DataFrame | None  # one row per replication: the four discrete choices
    weights: pd.DataFrame | None  # (R × indicators) effective weights (pillar share × within-pillar share)
    pillar_weights: pd.DataFrame | None  # (R × pillars) pillar shares
    ranks: np.ndarray | None  # (R × units) int16/int32, rank 1 = best
    spec: UncertaintySpec = field(repr=False)


@dataclass(frozen=True)
class RankSensitivityResult:
    """Sobol indices of the mean absolute rank shift, and leave-one-pillar-out rank changes."""

    indices: pd.DataFrame  # index: weights, normalisation, aggregation, imputation, treatment; S, ST
    leave_one_out: pd.DataFrame  # index: pillar; max_abs_shift, mean_abs_shift
    n_runs: int


# --------------------------------------------------------------------------------------------------------
# preparation and the per-variant normalised matrices


def _winsor(x: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    lo, hi = np.nanquantile(x, limits, axis=0)
    return np.clip(x, lo, hi)


def _geo_rescale(z: np.ndarray) -> np.ndarray:
    lo, hi = np.nanmin(z), np.nanmax(z)
    span = hi - lo if hi > lo else 1.0
    return GEO_LOW + (GEO_HIGH - GEO_LOW) * (z - lo) / span


def _transform(x: np.ndarray, direction: np.ndarray, norm: str, imp: str, treat: bool,
               limits: tuple[float, float]) -> np.ndarray:
    """impute → winsorise → normalise (direction applied first so 'higher is better' everywhere)."""
    x = x * direction
    if imp != "none":
        fill = np.nanmean(x, axis=0) if imp == "mean" else np.nanmedian(x, axis=0)
        x = np.where(np.isnan(x), fill, x)
    if treat:
        x = _winsor(x, limits)
    return normalise_array(x, norm)


class _Model:
    """Prepared inputs: raw matrix, hierarchy, nominal weights and a cache of normalised variants."""

    def __init__(self, x: pd.DataFrame, directions: pd.Series, weights: pd.Series,
                 groups: Mapping[str, str] | pd.Series | None, pillar_weights: Mapping[str, float] | pd.Series | None,
                 spec: UncertaintySpec) -> None:
        weights = pd.Series(weights, dtype=float)
        self.indicators = list(weights.index)
        missing = [c for c in self.indicators if c not in x.columns]
        if missing:
            raise KeyError(f"indicators missing from X: {missing}")
        if (weights < 0).any() or weights.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        self.units = x.index
        self.x = x[self.indicators].to_numpy(dtype=float)
        self.direction = pd.Series(directions).reindex(self.indicators).to_numpy(dtype=float)
        if np.isnan(self.direction).any() or not np.isin(self.direction, (-1.0, 1.0)).all():
            raise ValueError("directions must be ±1 for every weighted indicator")
        if groups is None:
            pillar_of = pd.Series("index", index=self.indicators)
        else:
            pillar_of = pd.Series(groups).reindex(self.indicators)
            if pillar_of.isna().any():
                raise KeyError(f"indicators without a pillar: {list(pillar_of[pillar_of.isna()].index)}")
        self.pillars = list(dict.fromkeys(pillar_of))
        self.onehot = (pillar_of.to_numpy()[:, None] == np.array(self.pillars)[None, :]).astype(float)  # (p, G)
        pw = pd.Series(1.0, index=self.pillars) if pillar_weights is None else pd.Series(pillar_weights, dtype=float)
        pw = pw.reindex(self.pillars)
        if pw.isna().any() or (pw < 0).any() or pw.sum() <= 0:
            raise ValueError(f"pillar_weights must give a non-negative weight to every pillar {self.pillars}")
        self.w_nom, self.pw_nom = self.shares(weights.to_numpy()[None], pw.to_numpy()[None])
        self.spec = spec
        self._cache: dict[tuple[int, int, int, int], tuple[np.ndarray, np.ndarray | None]] = {}

    @property
    def n_weight_dims(self) -> int:
        return len(self.indicators) + len(self.pillars)

    def variant(self, norm: int, agg: int, imp: int, treat: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(values with NaN→0, availability mask or None if complete); log-space for geometric."""
        key = (norm, agg, imp, treat)
        if key not in self._cache:
            s = self.spec
            z = _transform(self.x, self.direction, s.normalisations[norm], s.imputations[imp],
                           s.treatments[treat], s.winsor_limits)
            if s.aggregations[agg] == "geometric":
                z = np.log(_geo_rescale(z))
            mask = ~np.isnan(z)
            self._cache[key] = (np.where(mask, z, 0.0), None if mask.all() else mask.astype(float))
        return self._cache[key]

    # ---- designs -------------------------------------------------------------------------------------

    def shares(self, ind: np.ndarray, pil: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indicator weights as shares within their pillar, pillar weights as shares of the index."""
        with np.errstate(invalid="ignore", divide="ignore"):
            within = (ind @ self.onehot) @ self.onehot.T
            return np.where(within > 0, ind / within, 0.0), pil / pil.sum(axis=1, keepdims=True)

    def nominal_design(self, r: int = 1) -> Design:
        return Design(np.repeat(self.w_nom, r, axis=0), np.repeat(self.pw_nom, r, axis=0),
                      np.zeros((r, len(CHOICES)), dtype=np.int64))

    def design_from_uniforms(self, u: np.ndarray,
                             rngs: tuple[np.random.Generator, np.random.Generator] | None = None) -> Design:
        """Map U(0,1) columns [indicator weights | pillar weights | 4 choices] to a design (inverse CDFs).

        With ``rngs`` (indicator, pillar) and Dirichlet weights, the Gamma variates come from those streams
        directly (4× faster than the Gamma inverse CDF, which the Sobol design needs because it must swap
        the underlying uniforms).
        """
        p, g = len(self.indicators), len(self.pillars)
        uw, up, uc = u[:, :p], u[:, p : p + g], u[:, p + g :]
        s = self.spec
        if s.weights == "uniform":
            ind = self.w_nom * (1.0 + s.weight_spread * (2.0 * uw - 1.0))
            pil = self.pw_nom * (1.0 + s.weight_spread * (2.0 * up - 1.0))
        else:  # Dirichlet via normalised Gamma(α_j) draws, α = c · nominal share
            eps = 1e-12
            a_ind = np.maximum(s.concentration * self.w_nom[0], eps)
            a_pil = np.maximum(s.concentration * self.pw_nom[0], eps)
            if rngs is None:
                from scipy.special import gammaincinv  # heavy: only for Dirichlet weights

                ind = gammaincinv(a_ind, np.clip(uw, eps, 1 - eps))
                pil = gammaincinv(a_pil, np.clip(up, eps, 1 - eps))
            else:
                ind, pil = rngs[0].standard_gamma(a_ind, uw.shape), rngs[1].standard_gamma(a_pil, up.shape)
            ind = np.where(self.w_nom > 0, ind, 0.0)
            pil = np.where(self.pw_nom > 0, pil, 0.0)
        ind, pil = self.shares(ind, pil)
        sizes = np.array([len(o) for o in s.options.values()])
        choice = np.minimum((uc * sizes).astype(np.int64), sizes - 1)
        return Design(ind, pil, choice)

    # ---- vectorised evaluation -----------------------------------------------------------------------

    def scores(self, design: Design, chunk: int = 2048) -> np.ndarray:
        """(R, units) index scores (log-scale for geometric; only their order matters)."""
        r_total, n_units, g = len(design), len(self.units), len(self.pillars)
        out = np.empty((r_total, n_units))
        combos, inverse = np.unique(design.choice, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        for k, combo in enumerate(combos):  # a handful of discrete variants
            rows_all = np.flatnonzero(inverse == k)
            z, mask = self.variant(*map(int, combo))
            for start in range(0, len(rows_all), chunk):  # bounded memory
                rows = rows_all[start : start + chunk]
                w, pw = design.ind_w[rows], design.pil_w[rows]
                r = len(rows)
                # block weights: (p, r·G), column (rep, pillar) holds that rep's weights on that pillar's indicators
                wb = (w.T[:, :, None] * self.onehot[:, None, :]).reshape(-1, r * g)
                num = (z @ wb).reshape(n_units, r, g)
                den = (w @ self.onehot)[None] if mask is None else (mask @ wb).reshape(n_units, r, g)
                with np.errstate(invalid="ignore", divide="ignore"):
                    pillar = num / den  # NaN where a unit has no data in a pillar
                have = ~np.isnan(pillar)
                pw_eff = np.where(have, pw[None], 0.0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    idx = np.einsum("urg,urg->ur", np.where(have, pillar, 0.0), pw_eff) / pw_eff.sum(axis=2)
                out[rows] = idx.T
        return out

    def ranks(self, design: Design, chunk: int = 2048) -> np.ndarray:
        s = self.scores(design, chunk)
        order = np.argsort(-s, axis=1, kind="stable")  # NaN (no data) sorts last
        dtype = np.int16 if s.shape[1] < np.iinfo(np.int16).max else np.int32
        ranks = np.empty(s.shape, dtype=dtype)
        np.put_along_axis(ranks, order, np.arange(1, s.shape[1] + 1, dtype=dtype)[None, :], axis=1)
        return ranks


# --------------------------------------------------------------------------------------------------------
# public API


class _Draws:
    """The replications of a seed as sequential streams: any chunking of them gives the same numbers."""

    def __init__(self, model: _Model, seed: int) -> None:
        self.model = model
        self.uniforms = np.random.default_rng(seed)
        self.gammas = tuple(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))

    def next(self, r: int) -> Design:
        u = self.uniforms.random((r, self.model.n_weight_dims + len(CHOICES)))
        return self.model.design_from_uniforms(u, self.gammas)  # type: ignore[arg-type]


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


def uncertainty_analysis(
    x: pd.DataFrame,
    directions: pd.Series,
    weights: pd.Series,
    *,
    groups: Mapping[str, str] | pd.Series | None = None,
    pillar_weights: Mapping[str, float] | pd.Series | None = None,
    spec: UncertaintySpec | None = None,
    n: int = 1000,
    seed: int = 0,
    chunk: int = 2048,
    block: int = 16_384,
    keep_draws: bool = True,
) -> UncertaintyResult:
    """Monte Carlo over the spec's choices: per-unit rank interval and mean absolute rank shift.

    ``x``: units × indicators (raw values, NaN allowed); ``directions``: ±1 per indicator; ``weights``:
    nominal indicator weights (relative within a pillar when ``groups`` maps indicator → pillar);
    ``pillar_weights``: nominal pillar weights (default equal). Deterministic for a seed, whatever
    ``block`` and ``chunk``. Replications are drawn and ranked ``block`` at a time (large enough that
    each discrete variant gets a BLAS-sized batch), scored ``chunk`` per variant; with
    ``keep_draws=False`` the result holds only the summary (``design``, ``weights``, ``pillar_weights``,
    ``ranks`` are None) and memory is O(units² + block · (units + indicators)), independent of ``n``.
    """
    if n < 1 or chunk < 1 or block < 1:
        raise ValueError(f"n, chunk and block must be ≥ 1, got n={n}, chunk={chunk}, block={block}")
    spec = spec or UncertaintySpec()
    model = _Model(x, directions, weights, groups, pillar_weights, spec)
    nominal = model.ranks(model.nominal_design())[0]
    draws, tally = _Draws(model, seed), _RankTally(nominal)
    kept: list[tuple[Design, np.ndarray]] = []
    for start in range(0, n, block):
        design = draws.next(min(block, n - start))
        ranks = model.ranks(design, chunk)
        tally.add(ranks)
        if keep_draws:
            kept.append((design, ranks))
    p05, med, p95 = tally.percentiles([5, 50, 95])
    summary = pd.DataFrame(
        {
            "nominal_rank": nominal.astype(np.int64),
            "median_rank": med,
            "rank_p05": p05,
            "rank_p95": p95,
            "mean_abs_shift": tally.mean_abs_shift(),
        },
        index=model.units,
    )
    if not keep_draws:
        return UncertaintyResult(summary, None, None, None, None, spec)
    design = Design(*(np.concatenate([getattr(d, f) for d, _ in kept]) for f in ("ind_w", "pil_w", "choice")))
    ranks = np.concatenate([r for _, r in kept])
    opts = spec.options
    design_df = pd.DataFrame({c: np.asarray(opts[c], dtype=object)[design.choice[:, j]] for j, c in enumerate(CHOICES)})
    design_df["treatment"] = design_df["treatment"].astype(bool)
    eff = design.ind_w * (design.pil_w @ model.onehot.T)
    return UncertaintyResult(summary, design_df, pd.DataFrame(eff, columns=model.indicators),
                             pd.DataFrame(design.pil_w, columns=model.pillars), ranks, spec)


def rank_sensitivity(
    x: pd.DataFrame,
    directions: pd.Series,
    weights: pd.Series,
    *,
    groups: Mapping[str, str] | pd.Series | None = None,
    pillar_weights: Mapping[str, float] | pd.Series | None = None,
    spec: UncertaintySpec | None = None,
    n: int = 512,
    seed: int = 0,
) -> RankSensitivityResult:
    """Which uncertain input drives rank instability? Sobol S/ST of the mean absolute rank shift.

    Inputs: all weights as one group, then each discrete choice (uniform draws mapped to categories).
    Saltelli design, N(d + 2) = 7N runs. Also leave-one-pillar-out: nominal index with each pillar dropped
    (remaining pillar weights renormalised); without ``groups`` each indicator is left out instead.
    """
    spec = spec or UncertaintySpec()
    model = _Model(x, directions, weights, groups, pillar_weights, spec)
    k = model.n_weight_dims
    cols = k + len(CHOICES)
    a, b, ab = saltelli_sample(n, cols, seed, groups=[0] * k + list(range(1, len(CHOICES) + 1)))
    u = np.concatenate([a, b, ab.reshape(-1, cols)], axis=0)
    ranks = model.ranks(model.design_from_uniforms(u)).astype(np.int64)
    nominal = model.ranks(model.nominal_design())[0].astype(np.int64)
    y = np.abs(ranks - nominal).mean(axis=1)
    s, st = sobol_indices(y[:n], y[n : 2 * n], y[2 * n :].reshape(-1, n))
    indices = pd.DataFrame({"S": s, "ST": st}, index=pd.Index(["weights", *CHOICES], name="input"))
    return RankSensitivityResult(indices, _leave_one_out(model, nominal), n_runs=len(y))


def _leave_one_out(model: _Model, nominal: np.ndarray) -> pd.DataFrame:
    if len(model.pillars) > 1:
        names, d = model.pillars, model.nominal_design(len(model.pillars))
        d.pil_w = d.pil_w * (1.0 - np.eye(len(model.pillars)))
        d.pil_w /= d.pil_w.sum(axis=1, keepdims=True)
    else:  # flat index: leave one indicator out
        names, d = model.indicators, model.nominal_design(len(model.indicators))
        d.ind_w = d.ind_w * (1.0 - np.eye(len(model.indicators)))
        d.ind_w /= d.ind_w.sum(axis=1, keepdims=True)
    shift = np.abs(model.ranks(d).astype(np.int64) - nominal)
    return pd.DataFrame({"max_abs_shift": shift.max(axis=1), "mean_abs_shift": shift.mean(axis=1)},
                        index=pd.Index(names, name="dropped"))


# --------------------------------------------------------------------------------------------------------
# reference pipeline: one replication, plain pandas


def rank_once(
    x: pd.DataFrame,
    directions: pd.Series,
    weights: pd.Series,
    *,
    groups: Mapping[str, str] | pd.Series | None = None,
    pillar_weights: Mapping[str, float] | pd.Series | None = None,
    normalisation: str = "minmax",
    aggregation: str = "arithmetic",
    imputation: str = "mean",
    treatment: bool = False,
    winsor_limits: tuple[float, float] = (0.025, 0.975),
) -> pd.Series:
    """Ranks (1 = best) of one index computed step by step with pandas — the readable reference.

    Used to validate the vectorised engine and as the naive baseline in the benchmark.
    """
    normalisation = _ALIASES.get(normalisation, normalisation)
    w = pd.Series(weights, dtype=float)
    df = x[list(w.index)].astype(float) * pd.Series(directions).reindex(w.index)
    if imputation != "none":
        df = df.fillna(df.mean() if imputation == "mean" else df.median())
    if treatment:
        df = df.clip(df.quantile(winsor_limits[0]), df.quantile(winsor_limits[1]), axis=1)
    if normalisation == "minmax":
        z = minmax(df, lo=0.0, hi=1.0)
    elif normalisation == "zscore":
        z = zscore(df)
    else:
        z = rank_share(df)
    if aggregation == "geometric":
        lo, hi = z.min().min(), z.max().max()
        z = np.log(GEO_LOW + (GEO_HIGH - GEO_LOW) * (z - lo) / (hi - lo if hi > lo else 1.0))
    pillar_of = pd.Series("index", index=w.index) if groups is None else pd.Series(groups).reindex(w.index)
    pillar_scores = {}
    for pillar, members in pillar_of.groupby(pillar_of, sort=False):
        zi, wi = z[members.index], w[members.index]
        den = zi.notna().mul(wi).sum(axis=1)
        pillar_scores[pillar] = zi.mul(wi).sum(axis=1) / den.where(den > 0)
    p = pd.DataFrame(pillar_scores)
    pw = pd.Series(1.0, index=p.columns) if pillar_weights is None else pd.Series(pillar_weights, dtype=float)
    pw = pw.reindex(p.columns)
    den = p.notna().mul(pw).sum(axis=1)
    score = p.mul(pw).sum(axis=1) / den.where(den > 0)
    return (-score).rank(method="first", na_option="bottom").astype(int)

