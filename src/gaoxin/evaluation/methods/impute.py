"""Missing-data imputation (OECD/JRC Handbook 2008, step 4; COINr ``Impute``).

Methods:

* ``none`` – leave NaN; aggregation later uses the available values with weights renormalised
  over the non-missing children ("available-case" aggregation, COINr ``a_amean`` with ``na.rm``).
* ``mean`` / ``median`` – column (indicator) mean or median over all units.
* ``group_mean`` / ``group_median`` – mean/median of the unit's group (e.g. region, zone type,
  COINr ``i_mean_grp`` with ``use_group``). Units whose group has no value stay NaN.
* ``zero`` – missing counts 0: the official-style scoring's rule, applied to *scores* after
  normalisation (a zero raw value of a cost indicator would be the best value, not 0 points).
* :func:`carry_forward` – panels: the latest earlier year's value of the same unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["IMPUTE_METHODS", "carry_forward", "impute", "impute_group", "impute_mean", "impute_median", "impute_zero"]

IMPUTE_METHODS = ("none", "mean", "median", "group_mean", "group_median", "zero")


def impute_zero(x: np.ndarray) -> np.ndarray:
    """Missing → 0 on an array of any shape (e.g. (..., units, indicators) of scores)."""
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), 0.0, x)


def impute_mean(X: pd.DataFrame) -> pd.DataFrame:
    """Replace NaN by the indicator (column) mean."""
    return X.fillna(X.mean(axis=0))


def impute_median(X: pd.DataFrame) -> pd.DataFrame:
    """Replace NaN by the indicator (column) median."""
    return X.fillna(X.median(axis=0))


def impute_group(X: pd.DataFrame, groups: pd.Series, stat: str = "mean") -> pd.DataFrame:
    """Replace NaN by the ``stat`` ("mean" or "median") of the unit's group for that indicator.

    ``groups`` is a Series of group labels indexed like ``X``. Units with a missing group label,
    or whose whole group is missing for an indicator, keep NaN.
    """
    if stat not in ("mean", "median"):
        raise ValueError(f"stat must be 'mean' or 'median', got {stat!r}")
    g = groups.reindex(X.index)
    filled = X.groupby(g, dropna=True).transform(stat)
    return X.fillna(filled.reindex(X.index))


def impute(X: pd.DataFrame, method: str = "none", groups: pd.Series | None = None) -> pd.DataFrame:
    """Dispatcher over :data:`IMPUTE_METHODS`."""
    if method == "none":
        return X.copy()
    if method == "zero":
        return pd.DataFrame(impute_zero(X.to_numpy(dtype=float)), index=X.index, columns=X.columns)
    if method == "mean":
        return impute_mean(X)
    if method == "median":
        return impute_median(X)
    if method in ("group_mean", "group_median"):
        if groups is None:
            raise ValueError(f"method {method!r} needs a groups Series / 分组插补需要分组标签")
        return impute_group(X, groups, stat=method.split("_")[1])
    raise ValueError(f"unknown imputation method {method!r}; choose one of {IMPUTE_METHODS}")


def carry_forward(
    panel: pd.DataFrame,
    unit: str = "unit",
    year: str = "year",
    value_cols: Sequence[str] | None = None,
    max_gap: int | None = None,
) -> pd.DataFrame:
    """Latest-year carry-forward for a long panel (one row per unit and year).

    A missing value takes the unit's most recent earlier non-missing value. With ``max_gap``
    only values at most ``max_gap`` years older are carried. Returns a copy sorted by unit, year.
    """
    cols = list(value_cols) if value_cols is not None else [c for c in panel.columns if c not in (unit, year)]
    out = panel.sort_values([unit, year]).copy()
    for c in cols:
        src_year = out[year].where(out[c].notna())
        last_val = out.groupby(unit)[c].ffill()
        last_year = src_year.groupby(out[unit]).ffill()
        if max_gap is not None:
            last_val = last_val.where(out[year] - last_year <= max_gap)
        out[c] = out[c].fillna(last_val)
    return out
