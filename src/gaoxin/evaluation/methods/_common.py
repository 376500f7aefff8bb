"""Helpers shared by the method modules (not public API)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def as_directions(X: pd.DataFrame, directions=None) -> pd.Series:
    """Directions aligned to ``X.columns``: +1 benefit, -1 cost; None means all +1."""
    if directions is None:
        return pd.Series(1.0, index=X.columns)
    if isinstance(directions, Mapping):
        directions = pd.Series(directions, dtype=float)
    if isinstance(directions, pd.Series):
        d = directions.reindex(X.columns).astype(float)
        if d.isna().any():
            missing = list(d[d.isna()].index)
            raise ValueError(f"no direction for indicators {missing} / 缺少指标方向")
    else:
        d = pd.Series(np.asarray(directions, dtype=float), index=X.columns)
    bad = d[~d.isin([1.0, -1.0])]
    if len(bad):
        raise ValueError(f"directions must be +1 or -1, got {dict(bad)} / 指标方向只能是 +1 或 -1")
    return d


def per_column(X: pd.DataFrame, value, name: str) -> pd.Series:
    """Broadcast a scalar / mapping / Series parameter to one value per column."""
    if isinstance(value, Mapping):
        value = pd.Series(value, dtype=float)
    if isinstance(value, pd.Series):
        s = value.reindex(X.columns).astype(float)
        if s.isna().any():
            raise ValueError(f"{name} missing for {list(s[s.isna()].index)}")
        return s
    if np.ndim(value) == 0:
        return pd.Series(float(value), index=X.columns)
    return pd.Series(np.asarray(value, dtype=float), index=X.columns)
