"""Weighting methods (OECD/JRC Handbook 2008, step 6). Every function returns weights summing to 1."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .normalise import minmax

__all__ = [
    "SAATY_RI",
    "AHPResult",
    "InconsistentMatrixError",
    "PCAResult",
    "ahp",
    "ahp_weights",
    "combine_weights",
    "critic_weights",
    "entropy_weights",
    "equal_weights",
    "fixed_weights",
    "multiplier_weights",
    "pca",
    "pca_weights",
]

#: Saaty's random consistency index RI(n) for n = 1..10.
SAATY_RI = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}


class InconsistentMatrixError(ValueError):
    """AHP pairwise matrix with consistency ratio above the limit."""


def _normalised(w: pd.Series) -> pd.Series:
    w = w.astype(float)
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError(f"weights must be finite and non-negative: {w.to_dict()} / 权重必须为非负有限数")
    total = w.sum()
    if total <= 0:
        raise ValueError("weights sum to zero / 权重之和为零")
    return w / total


def equal_weights(columns: Sequence) -> pd.Series:
    """1/n for each of ``columns`` (a list of codes or a DataFrame)."""
    cols = list(columns.columns) if isinstance(columns, pd.DataFrame) else list(columns)
    if not cols:
        raise ValueError("no indicators to weight")
    return pd.Series(1.0 / len(cols), index=cols, name="weight")


def fixed_weights(weights: Mapping | pd.Series, columns: Sequence | None = None) -> pd.Series:
    """Given weights (e.g. official multipliers) rescaled to sum to 1, optionally reindexed to ``columns``."""
    w = pd.Series(weights, dtype=float)
    if columns is not None:
        cols = list(columns.columns) if isinstance(columns, pd.DataFrame) else list(columns)
        missing = [c for c in cols if c not in w.index]
        if missing:
            raise ValueError(f"no weight given for {missing} / 缺少权重")
        w = w.reindex(cols)
    return _normalised(w).rename("weight")


# --- AHP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AHPResult:
    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float

    @property
    def consistent(self) -> bool:
        return self.cr <= 0.10


def ahp(matrix, labels: Sequence | None = None, *, allow_inconsistent: bool = False, cr_limit: float = 0.10
        ) -> AHPResult:
    """Saaty AHP: principal right eigenvector of the reciprocal pairwise matrix, normalised to sum 1.

    ``CI = (lambda_max - n)/(n - 1)``, ``CR = CI / RI(n)`` (Saaty RI, n <= 10; CR = 0 for n <= 2).
    Raises :class:`InconsistentMatrixError` when ``CR > cr_limit`` unless ``allow_inconsistent``.
    """
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index) if labels is None else list(labels)
        A = matrix.to_numpy(dtype=float)
    else:
        A = np.asarray(matrix, dtype=float)
    n = A.shape[0]
    if A.ndim != 2 or A.shape != (n, n) or n == 0:
        raise ValueError("AHP matrix must be square / 判断矩阵必须为方阵")
    if (A <= 0).any() or not np.allclose(A * A.T, 1.0, rtol=1e-6):
        raise ValueError("AHP matrix must be positive and reciprocal (a_ji = 1/a_ij) / 判断矩阵必须为正互反矩阵")
    if n > 10:
        raise ValueError("Saaty RI table covers n <= 10 / 判断矩阵阶数超过 10")
    labels = list(range(n)) if labels is None else list(labels)
    vals, vecs = np.linalg.eig(A)
    i = int(np.argmax(vals.real))
    lam = float(vals[i].real)
    v = np.abs(vecs[:, i].real)
    w = pd.Series(v / v.sum(), index=labels, name="weight")
    ci = 0.0 if n <= 2 else max((lam - n) / (n - 1), 0.0)
    ri = SAATY_RI[n]
    cr = 0.0 if ri == 0 else ci / ri
    if cr < 1e-12:
        cr = 0.0
    if cr > cr_limit and not allow_inconsistent:
        raise InconsistentMatrixError(
            f"判断矩阵一致性检验未通过：CR = {cr:.4f} > {cr_limit:.2f}，请调整两两比较判断。"
            f" / AHP pairwise matrix is inconsistent: CR = {cr:.4f} > {cr_limit:.2f} (lambda_max = {lam:.4f},"
            f" CI = {ci:.4f}, RI = {ri}); revise the judgements or pass allow_inconsistent=True."
        )
    return AHPResult(w, lam, ci, ri, cr)


def ahp_weights(matrix, labels: Sequence | None = None, *, allow_inconsistent: bool = False) -> pd.Series:
    """Weights of :func:`ahp`."""
    return ahp(matrix, labels, allow_inconsistent=allow_inconsistent).weights


# --- objective weights -------------------------------------------------------------------------------


def entropy_weights(X: pd.DataFrame) -> pd.Series:
    """Entropy weight method.

    ``p_ij = x_ij / sum_i x_ij``; ``E_j = -(1/ln m) sum_i p_ij ln p_ij`` (0 ln 0 = 0);
    ``w_j = (1 - E_j) / sum_k (1 - E_k)``. Needs non-negative data: normalise first (e.g. min-max with
    directions) when there are cost indicators or negative values. Rows with NaN are dropped.
    """
    Y = X.astype(float).dropna()
    m = Y.shape[0]
    if m < 2:
        raise ValueError("entropy weights need at least 2 complete units")
    if (Y < 0).to_numpy().any():
        raise ValueError("entropy weights need non-negative data; normalise first / 熵权法要求非负数据")
    P = Y / Y.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P.where(P > 0)), 0.0)
    E = pd.Series(-plogp.sum(axis=0) / math.log(m), index=X.columns)
    E[Y.sum() == 0] = 1.0  # an all-zero column carries no information
    d = (1.0 - E).clip(lower=0.0)
    if d.sum() <= 0:
        return equal_weights(X.columns)
    return (d / d.sum()).rename("weight")


def critic_weights(X: pd.DataFrame, directions=None) -> pd.Series:
    """CRITIC (Diakoulaki et al. 1995): ``C_j = sigma_j sum_k (1 - r_jk)``, ``w = C / sum C``.

    Columns are min-max normalised to [0, 1] (cost columns reversed) first; ``sigma`` is the sample
    standard deviation (ddof = 1), ``r`` the Pearson correlation. Rows with NaN are dropped. When every
    ``C_j`` is 0 (all criteria constant or perfectly correlated) the weights are equal.
    """
    Y = minmax(X.astype(float).dropna(), directions, lo=0.0, hi=1.0)
    sigma = Y.std(ddof=1)
    R = Y.corr(method="pearson").fillna(0.0)
    C = (sigma * (1.0 - R).sum(axis=1)).fillna(0.0)
    if C.sum() <= 0:  # all criteria constant or perfectly correlated: no contrast to weight by
        return equal_weights(X.columns)
    return _normalised(C).rename("weight")


@dataclass(frozen=True)
class PCAResult:
    weights: pd.Series
    loadings: pd.Series
    explained_variance_ratio: float
    negative: list = field(default_factory=list)


def pca(X: pd.DataFrame, method: str = "squared") -> PCAResult:
    """Weights from the first principal component of the standardised data (correlation matrix).

    Convention (docs/uncertainty.md, "PCA weights"): the loadings ``l`` are the unit-length eigenvector
    of the largest eigenvalue of the Pearson correlation matrix of the complete rows of ``X`` (the
    columns may be indicators or, at a higher level, the scores of sub-indices).
    **Weights**: ``method="squared"`` (default) w_j = l_j² / Σ l² — the OECD/JRC Handbook choice, the
    share of the component's variance carried by column j; ``method="abs"``: w_j = |l_j| / Σ |l|.
    Signed ("raw") loadings are not offered: a negative weight has no meaning in an aggregation.
    **Sign rule**: an eigenvector's sign is arbitrary, so it is fixed by making Σ l > 0 (when Σ l = 0, by
    making the largest |l_j| positive, first such j); columns that still load negatively are listed in
    ``negative`` (they move against the others: check their directions) and logged by the pipeline.
    """
    if method not in ("squared", "abs"):
        raise ValueError("method must be 'squared' or 'abs'")
    Y = X.astype(float).dropna()
    R = np.array(Y.corr().fillna(0.0).to_numpy(), dtype=float)  # writable copy
    np.fill_diagonal(R, 1.0)
    vals, vecs = np.linalg.eigh(R)
    v = vecs[:, -1]
    total = v.sum()
    if total < 0 or (total == 0 and v[int(np.argmax(np.abs(v)))] < 0):
        v = -v
    loadings = pd.Series(v, index=X.columns, name="loading")
    w = loadings**2 if method == "squared" else loadings.abs()
    evr = float(vals[-1] / vals.sum())
    negative = list(loadings[loadings < -1e-12].index)
    return PCAResult(_normalised(w).rename("weight"), loadings, evr, negative)


def pca_weights(X: pd.DataFrame, method: str = "squared") -> pd.Series:
    """Weights of :func:`pca`; warns when some loadings are negative."""
    res = pca(X, method)
    if res.negative:
        warnings.warn(f"negative first-component loadings for {res.negative}", stacklevel=2)
    return res.weights


def combine_weights(subjective: pd.Series, objective: pd.Series, method: str = "multiplicative",
                    alpha: float = 0.5) -> pd.Series:
    """Combine subjective (e.g. AHP, expert) and objective (e.g. entropy, CRITIC) weights.

    ``multiplicative``: ``w_j = s_j o_j / sum_k s_k o_k``; ``linear``: ``w_j = alpha s_j + (1 - alpha) o_j``
    (both inputs first rescaled to sum 1).
    """
    s = _normalised(pd.Series(subjective, dtype=float))
    o = _normalised(pd.Series(objective, dtype=float).reindex(s.index))
    if method == "multiplicative":
        return _normalised(s * o).rename("weight")
    if method == "linear":
        if not 0.0 <= alpha <= 1.0:
            raise ValueError("alpha must be in [0, 1]")
        return _normalised(alpha * s + (1 - alpha) * o).rename("weight")
    raise ValueError("method must be 'multiplicative' or 'linear'")


def multiplier_weights(multipliers: Mapping | pd.Series, groups: Mapping | pd.Series,
                       group_weights: Mapping | pd.Series) -> pd.Series:
    """Each indicator's weight in the index: ``W_g * m_i / sum_{j in g} m_j`` (g = the indicator's pillar).

    The 2021 national system gives each second-level indicator a multiplier (赋权 m_i) and each pillar a
    share W_g (20/20/15/15/30 %); dividing by the pillar's multiplier total lets the multipliers shift
    weight *within* a pillar while every pillar keeps its share (gaoxin's reading until the official
    weights are verified, docs/methods.md). The result sums to ``sum_g W_g`` (1 for shares that do).
    """
    m = pd.Series(multipliers, dtype=float)
    g = pd.Series(groups).reindex(m.index)
    if g.isna().any():
        raise ValueError(f"no pillar for indicators {list(m.index[g.isna()])} / 指标缺少所属一级指标")
    if (m <= 0).any() or not np.isfinite(m).all():
        raise ValueError(f"multipliers must be positive: {m[(m <= 0) | ~np.isfinite(m)].to_dict()} / 赋权系数须为正数")
    W = pd.Series(group_weights, dtype=float)
    unknown = sorted(set(g) - set(W.index))
    if unknown:
        raise ValueError(f"no weight for pillars {unknown} / 一级指标缺少权重")
    share = m / m.groupby(g).transform("sum")
    return (share * g.map(W).astype(float)).rename("weight")
