"""Results: ranks, ranks within groups, year-on-year change, strengths and weaknesses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["rank_scores", "rank_within", "strengths_weaknesses", "yoy_change"]


def rank_scores(scores: pd.Series | pd.DataFrame, ties: str = "min", ascending: bool = False):
    """Rank 1 = best (highest score unless ``ascending``); ties share the best rank (``"min"``); NaN stays NaN."""
    r = scores.rank(method=ties, ascending=ascending)
    return r.astype("Int64") if ties in ("min", "max", "first", "dense") else r


def rank_within(scores: pd.Series | pd.DataFrame, groups: pd.Series, ties: str = "min", ascending: bool = False):
    """Ranks computed separately inside each group (e.g. region, zone type); units without a group get NaN."""
    g = groups.reindex(scores.index)
    r = scores.groupby(g).rank(method=ties, ascending=ascending)
    r = r.reindex(scores.index)
    return r.astype("Int64") if ties in ("min", "max", "first", "dense") else r


def yoy_change(
    panel: pd.DataFrame, unit: str = "unit", year: str = "year", value_cols: Sequence[str] | None = None,
    relative: bool = False,
) -> pd.DataFrame:
    """Year-on-year change per unit in a long panel: ``x_t - x_{t-1}`` (or ``x_t / x_{t-1} - 1``).

    The previous value is the unit's row for year ``t - 1`` exactly (a gap gives NaN, not a multi-year change).
    Returns the panel sorted by unit, year with ``<col>_change`` columns added.
    """
    cols = list(value_cols) if value_cols is not None else [c for c in panel.columns if c not in (unit, year)]
    out = panel.sort_values([unit, year]).copy()
    prev = out[[unit, year, *cols]].copy()
    prev[year] = prev[year] + 1
    merged = out[[unit, year]].merge(prev, on=[unit, year], how="left", suffixes=("", "_prev"))
    for c in cols:
        p = merged[c].to_numpy(dtype=float)
        cur = out[c].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{c}_change"] = np.where(p != 0, cur / p - 1, np.nan) if relative else cur - p
    return out


def strengths_weaknesses(
    scores: pd.DataFrame, overall: pd.Series, threshold: float = 0.25, top_n: int | None = None
) -> pd.DataFrame:
    """Indicators whose rank is far better (strength) or worse (weakness) than the unit's overall rank.

    ``scores``: units x indicators (higher = better, e.g. normalised scores); ``overall``: the unit's
    overall score. ``threshold``: a gap in rank positions when >= 1, else a share of the number of units
    (default 0.25 = a quarter of the field). A strength has ``overall_rank - indicator_rank >= threshold``.
    With ``top_n`` only the ``top_n`` largest gaps of each kind are kept per unit.
    Returns a long frame: unit, iCode, kind ("strength"/"weakness"), indicator_rank, overall_rank, gap.
    """
    n = len(overall.dropna())
    gap_min = threshold if threshold >= 1 else threshold * n
    r_ind = scores.rank(method="min", ascending=False)
    r_all = overall.rank(method="min", ascending=False)
    rows = []
    for u in scores.index:
        if pd.isna(r_all.get(u, np.nan)):
            continue
        gaps = r_all[u] - r_ind.loc[u]
        for code, gap in gaps.dropna().items():
            if gap >= gap_min:
                kind = "strength"
            elif -gap >= gap_min:
                kind = "weakness"
            else:
                continue
            rows.append({"unit": u, "iCode": code, "kind": kind, "indicator_rank": int(r_ind.loc[u, code]),
                         "overall_rank": int(r_all[u]), "gap": float(gap)})
    out = pd.DataFrame(rows, columns=["unit", "iCode", "kind", "indicator_rank", "overall_rank", "gap"])
    if top_n is not None and not out.empty:
        out["_abs"] = out["gap"].abs()
        out = (out.sort_values(["unit", "kind", "_abs"], ascending=[True, True, False])
               .groupby(["unit", "kind"]).head(top_n).drop(columns="_abs"))
    return out.reset_index(drop=True)
