"""Data availability and unit screening (COINr ``Screen``; OECD/JRC Handbook 2008, step 3).

A value is *present* when it is not NaN; with ``zero_as_missing=True`` zeros also count as missing
(COINr ``unit_screen = "byNAandZeros"``). All functions are pure: they never modify their input.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["indicator_availability", "present_mask", "screen_units", "unit_availability"]


def present_mask(X: pd.DataFrame, *, zero_as_missing: bool = False) -> pd.DataFrame:
    """Boolean frame: True where a value counts as present."""
    mask = X.notna()
    if zero_as_missing:
        mask &= X.ne(0)
    return mask


def unit_availability(X: pd.DataFrame, *, zero_as_missing: bool = False) -> pd.Series:
    """Share (0–1) of indicators present for each unit (row)."""
    if X.shape[1] == 0:
        return pd.Series(1.0, index=X.index, name="availability")
    return present_mask(X, zero_as_missing=zero_as_missing).mean(axis=1).rename("availability")


def indicator_availability(X: pd.DataFrame, *, zero_as_missing: bool = False) -> pd.Series:
    """Share (0–1) of units with a present value for each indicator (column)."""
    if X.shape[0] == 0:
        return pd.Series(1.0, index=X.columns, name="availability")
    return present_mask(X, zero_as_missing=zero_as_missing).mean(axis=0).rename("availability")


def screen_units(
    X: pd.DataFrame,
    min_share: float = 0.9,
    *,
    zero_as_missing: bool = False,
    force_include: list | None = None,
    force_exclude: list | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep units whose data availability is at least ``min_share``.

    Returns ``(kept_frame, report)``; ``report`` has one row per unit with columns
    ``availability``, ``kept`` (bool) and ``reason``.
    """
    if not 0.0 <= min_share <= 1.0:
        raise ValueError(f"min_share must be in [0, 1], got {min_share} / 数据可得率阈值必须在 0–1 之间")
    avail = unit_availability(X, zero_as_missing=zero_as_missing)
    # tiny tolerance so that e.g. 45/50 = 0.9 passes a 0.9 threshold despite floating point
    kept = avail >= min_share - 1e-12
    reason = pd.Series("availability", index=X.index, dtype=object)
    for code in force_include or []:
        if code in kept.index:
            kept[code] = True
            reason[code] = "forced include"
    for code in force_exclude or []:
        if code in kept.index:
            kept[code] = False
            reason[code] = "forced exclude"
    report = pd.DataFrame({"availability": avail, "kept": kept, "reason": reason})
    return X.loc[kept[kept].index], report
