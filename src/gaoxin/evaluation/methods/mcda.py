"""Distance-to-ideal aggregations (TOPSIS, VIKOR, grey relational analysis 灰色关联分析), vectorised.

Each core function takes the children's values ``x`` of shape (..., units, criteria) — higher is better,
as after a pipeline's normalisation — and weights ``w`` of shape (..., criteria), and returns a score of
shape (..., units) where **higher is better**. A leading replication axis on ``x`` and/or ``w`` broadcasts,
so the Monte Carlo (``gaoxin.evaluation.engine``) evaluates thousands of weight vectors in one call, and
the pipeline's aggregate step (one replication) calls the very same code: the nominal Monte Carlo
replication equals the published result bit for bit. Every reduction runs along the last (criteria) axis
of a C-contiguous array, so a unit's score does not depend on how many replications are computed with it.

A unit with a missing child value gets NaN (these methods compare whole profiles; impute first).
Weights are used as shares (divided by their sum). Parameters are the methods' standard values
(VIKOR v = 0.5, grey relational ρ = 0.5); formulas and sources in docs/methods.md.

The pandas wrappers (:func:`topsis_score`, :func:`vikor`, :func:`vikor_score`, :func:`grey_relational`)
take a units × criteria frame and optional ``directions`` (cost criteria reversed by negation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import as_directions

__all__ = [
    "MCDA_AGGREGATES",
    "grey_relational",
    "grey_relational_array",
    "topsis_array",
    "topsis_score",
    "vikor",
    "vikor_array",
    "vikor_score",
    "vikor_score_array",
]

VIKOR_V = 0.5  # weight of the "group utility" S against the "individual regret" R (Opricovic & Tzeng 2004)
GRA_RHO = 0.5  # distinguishing coefficient ρ (Deng 1982; the usual value)


def _shares(w: np.ndarray) -> np.ndarray:
    """Weights as shares of their sum; all NaN when they sum to 0 (every unit then gets no score, as a
    weighted mean whose children all weigh 0 — e.g. the only child of a parent left out)."""
    w = np.asarray(w, dtype=float)
    tot = w.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), np.nan)


def _incomplete(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Units without a score: a missing child value, or (with ``w``) weights summing to 0."""
    inc = np.isnan(x).any(axis=-1)
    if w is None:
        return inc
    return inc | ~(np.asarray(w, dtype=float).sum(axis=-1) > 0)[..., None]


def topsis_array(x: np.ndarray, w: np.ndarray, directions: np.ndarray | None = None) -> np.ndarray:
    """TOPSIS closeness ``d⁻ / (d⁺ + d⁻)`` with vector normalisation (Hwang & Yoon 1981).

    ``r = x / sqrt(Σ_units x²)`` (a column of zeros contributes nothing); ``v = w r`` with ``w`` as shares;
    the ideal takes the column max of ``v`` for benefit criteria and the min for cost criteria
    (``directions`` −1; default all benefit, as after a normalisation). Because ``w ≥ 0``,
    ``(v − v⁺)² = w² (r − r⁺)²``: the normalised deviations are computed once and each replication
    only weights them.
    """
    x = np.asarray(x, dtype=float)
    norm = np.sqrt(np.nansum(x * x, axis=-2, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(norm > 0, x / np.where(norm > 0, norm, 1.0), 0.0)
    r = np.where(np.isnan(x), np.nan, r)
    hi = np.nanmax(np.where(np.isnan(r), -np.inf, r), axis=-2, keepdims=True)
    lo = np.nanmin(np.where(np.isnan(r), np.inf, r), axis=-2, keepdims=True)
    if directions is not None:
        cost = np.asarray(directions, dtype=float) < 0
        hi, lo = np.where(cost, lo, hi), np.where(cost, hi, lo)
    w2 = (_shares(w) ** 2)[..., None, :]
    d_plus = np.sqrt(np.ascontiguousarray((r - hi) ** 2 * w2).sum(axis=-1))
    d_minus = np.sqrt(np.ascontiguousarray((r - lo) ** 2 * w2).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = d_minus / (d_plus + d_minus)
    return np.where(_incomplete(x, w) | ~np.isfinite(c), np.nan, c)


def vikor_array(x: np.ndarray, w: np.ndarray, v: float = VIKOR_V) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """VIKOR (Opricovic 1998; Opricovic & Tzeng 2004) on benefit criteria: ``(S, R, Q)``, lower is better.

    ``d_ij = (f*_j − f_ij) / (f*_j − f⁻_j)`` (0 for a constant criterion), ``S_i = Σ_j w_j d_ij``,
    ``R_i = max_j w_j d_ij``, ``Q_i = v (S_i − S*)/(S⁻ − S*) + (1 − v)(R_i − R*)/(R⁻ − R*)`` (a term whose
    range is 0 counts 0). Units with a missing value get NaN and do not enter S*, S⁻, R*, R⁻.
    """
    x = np.asarray(x, dtype=float)
    inc = _incomplete(x)
    xc = np.where(inc[..., None], np.nan, x)
    best = np.nanmax(np.where(np.isnan(xc), -np.inf, xc), axis=-2, keepdims=True)
    worst = np.nanmin(np.where(np.isnan(xc), np.inf, xc), axis=-2, keepdims=True)
    span = best - worst
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(span > 0, (best - xc) / np.where(span > 0, span, 1.0), 0.0)
    wd = d * _shares(w)[..., None, :]
    s = np.ascontiguousarray(wd).sum(axis=-1)
    r = wd.max(axis=-1)
    dead = _incomplete(x, w)
    s = np.where(dead, np.nan, s)
    r = np.where(dead, np.nan, r)
    q = v * _spread(s) + (1.0 - v) * _spread(r)
    return s, r, np.where(dead, np.nan, q)


def _spread(a: np.ndarray) -> np.ndarray:
    """``(a − min) / (max − min)`` over units (NaN ignored); 0 where the range is 0."""
    lo = np.nanmin(np.where(np.isnan(a), np.inf, a), axis=-1, keepdims=True)
    hi = np.nanmax(np.where(np.isnan(a), -np.inf, a), axis=-1, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1.0), 0.0)


def vikor_score_array(x: np.ndarray, w: np.ndarray, v: float = VIKOR_V) -> np.ndarray:
    """``1 − Q``: the VIKOR index as a score where higher is better (in [0, 1]; 1 = best compromise)."""
    return 1.0 - vikor_array(x, w, v)[2]


def grey_relational_array(x: np.ndarray, w: np.ndarray, rho: float = GRA_RHO) -> np.ndarray:
    """Grey relational grade (Deng 1982) against the ideal reference sequence, benefit criteria.

    Each criterion is min-max normalised over the complete units (a constant criterion → 1); the reference
    is the best value (1); ``Δ_ij = 1 − x̃_ij``; with ``Δmin``, ``Δmax`` over the whole matrix the relational
    coefficient is ``ξ_ij = (Δmin + ρ Δmax) / (Δ_ij + ρ Δmax)`` (1 when Δmax = 0); the grade is
    ``Σ_j w_j ξ_ij`` with ``w`` as shares.
    """
    x = np.asarray(x, dtype=float)
    inc = _incomplete(x)
    xc = np.where(inc[..., None], np.nan, x)
    hi = np.nanmax(np.where(np.isnan(xc), -np.inf, xc), axis=-2, keepdims=True)
    lo = np.nanmin(np.where(np.isnan(xc), np.inf, xc), axis=-2, keepdims=True)
    span = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(span > 0, (hi - xc) / np.where(span > 0, span, 1.0), 0.0)
    dmin = np.nanmin(np.where(np.isnan(delta), np.inf, delta), axis=(-2, -1), keepdims=True)
    dmax = np.nanmax(np.where(np.isnan(delta), -np.inf, delta), axis=(-2, -1), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        xi = np.where(dmax > 0, (dmin + rho * dmax) / (delta + rho * dmax), 1.0)
    g = np.ascontiguousarray(xi * _shares(w)[..., None, :]).sum(axis=-1)
    return np.where(_incomplete(x, w), np.nan, g)


# --- pandas wrappers ------------------------------------------------------------------------------------


def _prepare(X: pd.DataFrame, weights, directions) -> tuple[np.ndarray, np.ndarray]:
    d = as_directions(X, directions)
    if weights is None:
        w = pd.Series(1.0, index=X.columns)
    elif isinstance(weights, pd.Series | dict):
        w = pd.Series(weights, dtype=float).reindex(X.columns)
    else:
        w = pd.Series(np.asarray(weights, dtype=float), index=X.columns)
    if w.isna().any() or (w < 0).any():
        raise ValueError(f"weights must be non-negative: {w.to_dict()} / 权重须为非负")
    return np.ascontiguousarray(X.to_numpy(dtype=float) * d.to_numpy()), w.to_numpy(dtype=float)


def topsis_score(X: pd.DataFrame, weights=None, directions=None) -> pd.Series:
    """TOPSIS closeness per unit (:func:`topsis_array`; vector normalisation of the raw values)."""
    d = as_directions(X, directions)
    x, w = _prepare(X, weights, None)
    return pd.Series(topsis_array(x, w, d.to_numpy()), index=X.index, name="closeness")


def vikor(X: pd.DataFrame, weights=None, directions=None, v: float = VIKOR_V) -> pd.DataFrame:
    """VIKOR ``S``, ``R``, ``Q`` per unit (lower is better; :func:`vikor_array`); cost criteria reversed."""
    x, w = _prepare(X, weights, directions)
    s, r, q = vikor_array(x, w, v)
    return pd.DataFrame({"S": s, "R": r, "Q": q}, index=X.index)


def vikor_score(X: pd.DataFrame, weights=None, directions=None, v: float = VIKOR_V) -> pd.Series:
    """``1 − Q`` per unit (higher is better)."""
    return (1.0 - vikor(X, weights, directions, v)["Q"]).rename("vikor")


def grey_relational(X: pd.DataFrame, weights=None, directions=None, rho: float = GRA_RHO) -> pd.Series:
    """Grey relational grade per unit (:func:`grey_relational_array`); cost criteria reversed."""
    x, w = _prepare(X, weights, directions)
    return pd.Series(grey_relational_array(x, w, rho), index=X.index, name="grey_relational")


def _agg(f):
    def aggregate(X: pd.DataFrame, weights=None) -> pd.Series:
        x, w = _prepare(X, weights, None)
        return pd.Series(f(x, w), index=X.index)

    aggregate.__doc__ = f"Aggregate step method: {f.__name__} over the children's scores (higher is better)."
    return aggregate


#: The aggregate-step methods this module adds (``[[step]] name = "aggregate", method = "topsis"``).
MCDA_AGGREGATES = {"topsis": _agg(topsis_array), "vikor": _agg(vikor_score_array), "gra": _agg(grey_relational_array)}
