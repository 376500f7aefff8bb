"""Normalisation of indicators to a common scale (OECD/JRC Handbook 2008, step 5; COINr ``Normalise``).

All functions take a units x indicators frame and ``directions`` (+1 benefit, -1 cost; None = all +1)
and return a frame of the same shape in which *higher is always better*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import as_directions, per_column

__all__ = [
    "BENCHMARK_REFERENCES",
    "NORMALISE_METHODS",
    "benchmark_score",
    "benchmark_values",
    "distance_to_target",
    "goalposts",
    "minmax",
    "normalise",
    "normalise_array",
    "percentile_rank",
    "rank",
    "rank_share",
    "ratio_to_benchmark",
    "zscore",
]


def minmax(X: pd.DataFrame, directions=None, lo: float = 0.0, hi: float = 100.0) -> pd.DataFrame:
    """Min-max to ``[lo, hi]``: ``lo + (x - min)/(max - min) (hi - lo)`` after multiplying cost columns by -1.

    A constant column (max = min) carries no information; it is set to the midpoint ``(lo + hi)/2``
    (COINr would return NaN, which would then silently drop the indicator from aggregation).
    """
    d = as_directions(X, directions)
    Y = X.astype(float) * d
    mn, mx = Y.min(), Y.max()
    rng = (mx - mn).replace(0, np.nan)
    out = lo + (Y - mn) / rng * (hi - lo)
    const = (mx - mn) == 0
    for c in const[const].index:
        out[c] = np.where(Y[c].notna(), (lo + hi) / 2, np.nan)
    return out


def zscore(X: pd.DataFrame, directions=None, mean: float = 0.0, sd: float = 1.0) -> pd.DataFrame:
    """Standardise: ``mean + sd (x - mean(x)) / s(x)`` with the sample standard deviation (ddof = 1)."""
    d = as_directions(X, directions)
    Y = X.astype(float) * d
    s = Y.std(ddof=1).replace(0, np.nan)
    out = mean + sd * (Y - Y.mean()) / s
    for c in s[s.isna()].index:  # constant (or single-value) column: everyone at the mean
        out[c] = np.where(Y[c].notna(), mean, np.nan)
    return out


def rank(X: pd.DataFrame, directions=None, ties: str = "average") -> pd.DataFrame:
    """Rank normalisation: 1 = worst, n = best (``ties`` as in :meth:`pandas.Series.rank`)."""
    d = as_directions(X, directions)
    return (X.astype(float) * d).rank(method=ties, ascending=True)


def percentile_rank(X: pd.DataFrame, directions=None, scale: float = 100.0) -> pd.DataFrame:
    """Percentile rank ``scale (r - 1)/(n - 1)`` with average ranks for ties (0 = worst, scale = best)."""
    r = rank(X, directions, ties="average")
    n = r.count()
    return scale * (r - 1) / (n - 1).replace(0, np.nan)


def rank_share(X: pd.DataFrame, directions=None) -> pd.DataFrame:
    """Rank divided by the number of units with a value, in (0, 1] (average ranks for ties; 1 = best).

    The rank normalisation of the Monte Carlo engine (``gaoxin.evaluation.uncertainty``); unlike
    :func:`percentile_rank` the worst unit scores 1/n, not 0, so no unit is zeroed by the rank choice.
    """
    d = as_directions(X, directions)
    return (X.astype(float) * d).rank(pct=True, method="average")


def normalise_array(x: np.ndarray, method: str) -> np.ndarray:
    """Vectorised column-wise normalisation of a units x indicators array (directions already applied).

    The NumPy twin of :func:`minmax` on [0, 1] (a constant column → 0.5), :func:`zscore` (ddof = 1, a
    constant column → 0) and :func:`rank_share` ("rank"), for the Monte Carlo engine that normalises
    thousands of variants; NaN stays NaN. The pandas functions are the reference it is tested against.
    """
    nan = np.isnan(x)
    if method == "minmax":
        lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
        rng = hi - lo
        return np.where(nan, np.nan, np.where(rng > 0, (x - lo) / np.where(rng > 0, rng, 1.0), 0.5))
    if method == "zscore":
        mu, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0, ddof=1)
        return np.where(nan, np.nan, np.where(sd > 0, (x - mu) / np.where(sd > 0, sd, 1.0), 0.0))
    if method == "rank":
        return pd.DataFrame(x).rank(pct=True, method="average").to_numpy()
    raise ValueError(f"unknown array normalisation {method!r}; choose minmax, zscore or rank")


def distance_to_target(
    X: pd.DataFrame, targets, directions=None, cap: bool = True, scale: float = 1.0
) -> pd.DataFrame:
    """Distance to target (COINr ``n_dist2targ``).

    Benefit: ``(x - min)/(target - min)``; cost: ``(max - x)/(max - target)``; with ``cap`` the result is
    clipped to at most 1 (target reached) and at least 0. Multiplied by ``scale``.
    """
    d = as_directions(X, directions)
    t = per_column(X, targets, "target")
    Xf = X.astype(float)
    out = pd.DataFrame(index=X.index, columns=X.columns, dtype=float)
    for c in X.columns:
        x = Xf[c]
        if d[c] > 0:
            out[c] = (x - x.min()) / (t[c] - x.min())
        else:
            out[c] = (x.max() - x) / (x.max() - t[c])
    if cap:
        out = out.clip(lower=0.0, upper=1.0)
    return out * scale


def ratio_to_benchmark(X: pd.DataFrame, benchmark="max", directions=None, scale: float = 1.0) -> pd.DataFrame:
    """Ratio to a benchmark clipped to ``[0, 1]`` (the zone-evaluation practice, domain.md).

    Benefit: ``x / B`` with ``B`` = column max (``"max"``), column total (``"total"``), or given values
    (scalar, mapping or Series per indicator). Cost: ``B / x`` with ``B`` = column min by default
    (``"max"`` is read as "best", i.e. the min, for cost columns); ``x <= 0`` on a cost column scores 1 and
    with a zero cost benchmark every ``x > 0`` scores 0.
    Multiplied by ``scale``.
    """
    d = as_directions(X, directions)
    Xf = X.astype(float)
    if isinstance(benchmark, str):
        if benchmark == "max":
            b = pd.Series({c: (Xf[c].max() if d[c] > 0 else Xf[c].min()) for c in X.columns})
        elif benchmark == "total":
            b = Xf.sum()
        else:
            raise ValueError(f"benchmark must be 'max', 'total' or numbers, got {benchmark!r}")
    else:
        b = per_column(X, benchmark, "benchmark")
    out = pd.DataFrame(index=X.index, columns=X.columns, dtype=float)
    for c in X.columns:
        x = Xf[c]
        if b[c] == 0:  # limit of x/B (benefit: nothing reaches a positive share) and B/x (cost: only x <= 0 is best)
            out[c] = np.where(x.notna(), 0.0 if d[c] > 0 else (x <= 0).astype(float), np.nan)
        elif d[c] > 0:
            out[c] = x / b[c]
        else:
            out[c] = np.where(x > 0, b[c] / x.where(x > 0), np.where(x.notna(), 1.0, np.nan))
    return out.clip(lower=0.0, upper=1.0) * scale


BENCHMARK_REFERENCES = ("best", "percentile")


def benchmark_values(x: np.ndarray, directions: np.ndarray, reference: str = "best",
                     percentile: float = 90.0) -> tuple[np.ndarray, np.ndarray]:
    """(benchmark, worst) per indicator of a (..., units, indicators) array of raw values.

    ``best``: the all-zone maximum of a benefit and minimum of a cost indicator (the yearly benchmark of
    public implementations of the 2021 zone evaluation, domain.md); ``percentile``: the value better than
    ``percentile`` % of the zones (benefit: that percentile, cost: 100 − it; linear interpolation, Excel
    PERCENTILE.INC), which a single outlier cannot move. ``worst`` is the opposite extreme, used only
    when the benchmark is not positive (see :func:`benchmark_score`). NaN values are ignored.
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(directions, dtype=float)
    nan = np.isnan(x)
    has = (~nan).any(axis=-2)  # an indicator nobody has: benchmark NaN, every score NaN
    hi = np.where(has, np.max(np.where(nan, -np.inf, x), axis=-2), np.nan)
    lo = np.where(has, np.min(np.where(nan, np.inf, x), axis=-2), np.nan)
    if reference == "best":
        bench = np.where(d > 0, hi, lo)
    elif reference == "percentile":
        if not 0.0 <= percentile <= 100.0:
            raise ValueError(f"percentile must be in [0, 100], got {percentile}")
        filled = np.where(has[..., None, :], x, 0.0)  # all-NaN columns would warn; they are masked below
        p_hi = np.nanpercentile(filled, percentile, axis=-2)
        p_lo = np.nanpercentile(filled, 100.0 - percentile, axis=-2)
        bench = np.where(has, np.where(d > 0, p_hi, p_lo), np.nan)
    else:
        raise ValueError(f"benchmark reference must be one of {BENCHMARK_REFERENCES}, got {reference!r}")
    return bench, np.where(d > 0, lo, hi)


def benchmark_score(x: np.ndarray, directions: np.ndarray, bench: np.ndarray, worst: np.ndarray | None = None,
                    clip: bool = True, scale: float = 100.0) -> np.ndarray:
    """Score of raw values against a benchmark per indicator, times ``scale`` (higher is better).

    ``x`` is (..., units, indicators); ``bench`` and ``worst`` are (..., indicators) (a leading
    replication axis broadcasts). With a positive benchmark B:

    * benefit: ``x / B``;
    * cost: ``B / x`` for ``x > 0`` (half the benchmark's cost scores 2 before clipping, twice scores
      0.5); ``x <= 0`` is at least as good as any positive cost and scores 1.

    A benchmark that is not positive makes a ratio meaningless (a cost such as the CO2 growth rate 3.2
    can be negative): then the score is linear between the worst value W (0) and B (1),
    ``(x - W)/(B - W)`` (benefit) or ``(W - x)/(W - B)`` (cost); when W = B a cost indicator scores 1 and a
    benefit indicator 0 (nobody has a positive value, so nobody earns points). With ``clip`` the score
    lies in [0, 1] before ``scale``. NaN stays NaN (missing counts 0 in a later ``impute zero`` step).
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(directions, dtype=float)
    b = np.asarray(bench, dtype=float)[..., None, :]
    w = (np.full(np.shape(bench), np.nan) if worst is None else np.asarray(worst, dtype=float))[..., None, :]
    pos = b > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d > 0, x / np.where(pos, b, 1.0),
                         np.where(x > 0, b / np.where(x > 0, x, 1.0), 1.0))
        span = np.where(d > 0, b - w, w - b)
        lin = np.where(span > 0, np.where(d > 0, x - w, w - x) / np.where(span > 0, span, 1.0),
                       np.where(d > 0, 0.0, 1.0))
    out = np.where(pos, ratio, lin)
    out = np.where(np.isnan(x) | np.isnan(b), np.nan, out)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out * scale


def goalposts(X: pd.DataFrame, lower, upper, directions=None, scale: float = 100.0) -> pd.DataFrame:
    """Goalposts (COINr ``n_goalposts``): ``(x - L)/(U - L)`` clipped to [0, 1]; cost: ``(U - x)/(U - L)``."""
    d = as_directions(X, directions)
    L = per_column(X, lower, "lower goalpost")
    U = per_column(X, upper, "upper goalpost")
    Xf = X.astype(float)
    out = (Xf - L) / (U - L)
    cost = d[d < 0].index
    out[cost] = (U[cost] - Xf[cost]) / (U[cost] - L[cost])
    return out.clip(lower=0.0, upper=1.0) * scale


NORMALISE_METHODS = {
    "minmax": minmax,
    "zscore": zscore,
    "rank": rank,
    "percentile_rank": percentile_rank,
    "distance_to_target": distance_to_target,
    "ratio_to_benchmark": ratio_to_benchmark,
    "goalposts": goalposts,
}


def normalise(X: pd.DataFrame, method: str = "minmax", directions=None, **params) -> pd.DataFrame:
    """Dispatch to one of :data:`NORMALISE_METHODS` with ``params`` passed on."""
    try:
        f = NORMALISE_METHODS[method]
    except KeyError:
        raise ValueError(f"unknown normalisation {method!r}; choose one of {sorted(NORMALISE_METHODS)}") from None
    return f(X, directions=directions, **params)
