"""Aggregation (OECD/JRC Handbook 2008, step 7; COINr ``Aggregate``) and TOPSIS.

Weighted means use the available (non-NaN) values of each unit with the weights renormalised over them
(COINr ``a_amean``/``a_gmean``/``a_hmean`` with ``na.rm``); a unit with no available value gets NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import as_directions
from .mcda import MCDA_AGGREGATES

__all__ = [
    "AGGREGATE_METHODS",
    "aggregate",
    "aggregate_tree",
    "arithmetic",
    "geometric",
    "harmonic",
    "topsis",
    "weighted_sum",
    "weighted_sum_array",
]


def _weights(X: pd.DataFrame, weights) -> pd.Series:
    if weights is None:
        return pd.Series(1.0, index=X.columns)
    w = pd.Series(weights, dtype=float) if not isinstance(weights, pd.Series) else weights.astype(float)
    if not isinstance(weights, pd.Series | dict):
        w.index = X.columns
    w = w.reindex(X.columns)
    if w.isna().any() or (w < 0).any():
        raise ValueError(f"weights missing or negative for {list(w[w.isna() | (w < 0)].index)}")
    return w


def _avail_weights(X: pd.DataFrame, w: pd.Series) -> pd.DataFrame:
    """Weights broadcast per unit, zero where the value is missing, renormalised to sum 1 per unit."""
    W = X.notna().astype(float) * w
    tot = W.sum(axis=1)
    return W.div(tot.where(tot > 0), axis=0)


def arithmetic(X: pd.DataFrame, weights=None) -> pd.Series:
    """Weighted arithmetic mean ``sum w x / sum w`` over available values."""
    w = _weights(X, weights)
    W = _avail_weights(X, w)
    out = (X.astype(float).fillna(0.0) * W).sum(axis=1)
    return out.where(W.notna().all(axis=1) & X.notna().any(axis=1))


def _guard(X: pd.DataFrame, offset: float, what: str) -> pd.DataFrame:
    Y = X.astype(float) + offset
    if (Y <= 0).to_numpy().any():
        raise ValueError(
            f"{what} mean needs strictly positive values: shift them (offset=...) or normalise to a range"
            f" such as [1, 100] / {what} 平均要求数据为正"
        )
    return Y


def geometric(X: pd.DataFrame, weights=None, offset: float = 0.0) -> pd.Series:
    """Weighted geometric mean ``exp(sum w ln(x + offset)) - offset`` over available values.

    Zero guard: values must be > 0 after adding ``offset``, else ``ValueError`` (no silent epsilon).
    Use min-max to [1, 100] (COINr's suggestion) or ``offset=1`` for data on [0, 100].
    """
    w = _weights(X, weights)
    Y = _guard(X, offset, "geometric")
    W = _avail_weights(X, w)
    out = np.exp((np.log(Y).fillna(0.0) * W).sum(axis=1)) - offset
    return out.where(X.notna().any(axis=1))


def harmonic(X: pd.DataFrame, weights=None, offset: float = 0.0) -> pd.Series:
    """Weighted harmonic mean ``1 / sum(w / (x + offset)) - offset`` over available values (same guard)."""
    w = _weights(X, weights)
    Y = _guard(X, offset, "harmonic")
    W = _avail_weights(X, w)
    out = 1.0 / ((W / Y).fillna(0.0)).sum(axis=1) - offset
    return out.where(X.notna().any(axis=1))


def weighted_sum_array(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i w_i x_i`` over the last axis of a (..., units, children) array, a missing value counting 0.

    No renormalisation over the available values (unlike :func:`arithmetic`): a zone that lacks an
    indicator loses its points, as public implementations of the 2021 zone evaluation score it.
    ``weights`` (children,) or (..., children) are used as given (normalise them beforehand).
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    return np.sum(np.where(np.isnan(x), 0.0, x) * w[..., None, :], axis=-1)


def weighted_sum(X: pd.DataFrame, weights=None) -> pd.Series:
    """Weighted sum with the weights normalised to sum 1 over *all* children; missing counts 0 (never NaN)."""
    w = _weights(X, weights)
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights sum to zero / 权重之和为零")
    return pd.Series(weighted_sum_array(X.to_numpy(dtype=float), (w / total).to_numpy()), index=X.index)


AGGREGATE_METHODS = {"arithmetic": arithmetic, "geometric": geometric, "harmonic": harmonic, "sum": weighted_sum,
                     **MCDA_AGGREGATES}


def aggregate(X: pd.DataFrame, weights=None, method: str = "arithmetic", **params) -> pd.Series:
    """Dispatch to one of :data:`AGGREGATE_METHODS`."""
    try:
        f = AGGREGATE_METHODS[method]
    except KeyError:
        raise ValueError(f"unknown aggregation {method!r}; choose one of {sorted(AGGREGATE_METHODS)}") from None
    return f(X, weights, **params)


def topsis(X: pd.DataFrame, weights=None, directions=None, normalisation: str = "vector") -> pd.DataFrame:
    """TOPSIS (Hwang & Yoon 1981) with Euclidean distances.

    ``normalisation="vector"`` (default, the original method): ``r_ij = x_ij / sqrt(sum_i x_ij^2)``; the
    ideal takes the max of benefit and the min of cost columns of ``v = w r``.
    ``normalisation="minmax"``: benefit ``(x - min)/(max - min)``, cost ``(max - x)/(max - min)``; the ideal
    is then the column max of ``v``. Returns a frame with ``d_plus``, ``d_minus`` and
    ``closeness = d_minus / (d_plus + d_minus)``. Units with NaN get NaN.
    """
    d = as_directions(X, directions)
    w = _weights(X, weights)
    w = w / w.sum()
    Y = X.astype(float)
    if normalisation == "vector":
        R = Y / np.sqrt((Y**2).sum())
        V = R * w
        ideal = pd.Series(np.where(d > 0, V.max(), V.min()), index=X.columns)
        anti = pd.Series(np.where(d > 0, V.min(), V.max()), index=X.columns)
    elif normalisation == "minmax":
        mn, mx = Y.min(), Y.max()
        rng = (mx - mn).replace(0, np.nan)
        R = (Y - mn) / rng
        cost = d[d < 0].index
        R[cost] = (mx[cost] - Y[cost]) / rng[cost]
        R = R.fillna(0.0).where(Y.notna())
        V = R * w
        ideal, anti = V.max(), V.min()
    else:
        raise ValueError("normalisation must be 'vector' or 'minmax'")
    d_plus = np.sqrt(((V - ideal) ** 2).sum(axis=1, min_count=1))
    d_minus = np.sqrt(((V - anti) ** 2).sum(axis=1, min_count=1))
    incomplete = Y.isna().any(axis=1)
    denom = (d_plus + d_minus).replace(0, np.nan)
    out = pd.DataFrame({"d_plus": d_plus, "d_minus": d_minus, "closeness": d_minus / denom})
    out[incomplete] = np.nan
    return out


def aggregate_tree(
    X: pd.DataFrame, tree: pd.DataFrame, method: str = "arithmetic", weights: pd.Series | None = None, **params
) -> pd.DataFrame:
    """Aggregate level by level over an index tree.

    ``tree`` has columns ``iCode``, ``Parent``, ``Weight``, ``Level`` (COINr iMeta layout; Level 1 are
    indicators, the columns of ``X``). ``weights`` (iCode -> weight) overrides the tree's Weight column.
    For each node of level L = 2, 3, ..., the children's scores are combined with ``method`` and the
    children's weights renormalised within the parent and over the children available for each unit.
    Returns ``X`` with one added column per aggregate (levels in increasing order).
    """
    t = tree.dropna(subset=["Level"]).copy()
    t["Level"] = t["Level"].astype(int)
    w_all = t.set_index("iCode")["Weight"].astype(float)
    if weights is not None:
        w_all = pd.Series(weights, dtype=float).combine_first(w_all)
    out = X.astype(float).copy()
    for level in sorted(t["Level"].unique()):
        if level <= 1:
            continue
        for node in t.loc[t["Level"] == level, "iCode"]:
            children = list(t.loc[t["Parent"] == node, "iCode"])
            missing = [c for c in children if c not in out.columns]
            if missing:
                raise ValueError(f"children {missing} of {node!r} have no scores")
            if not children:
                raise ValueError(f"aggregate {node!r} has no children")
            out[node] = aggregate(out[children], w_all.reindex(children), method=method, **params)
    return out
