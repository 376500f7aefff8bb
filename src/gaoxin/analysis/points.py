"""Innovation points (创新积分制): rules as data, scoring as small pure functions over enterprise-year frames.

The indicator values come from the query compiler at the enterprise-year unit (one Ibis expression; the rule's
indicators are formulas of the formula language, so no SQL here). Scoring, peer-group ranks, top bands and the
back-test are vectorised frame operations (no per-row Python), reproducible for the same inputs.
Rule file: ``rules/points/guideline-2024.toml`` (docs/innovation-points.md, decision 0023).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gaoxin.config import StrictModel, load_toml

BUILTIN = "guideline-2024"
BAND_LABELS = {"top5": "前5%", "top5_10": "5–10%", "top10_20": "10–20%", "rest": "其他"}


class Band(StrictModel):
    """A peer group by revenue (千元): ``revenue_from`` ≤ revenue < ``revenue_below``; group weights sum to 1."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    revenue_from: float = Field(ge=0)
    revenue_below: float | None = None
    weights: dict[str, float]


class Group(StrictModel):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str


class PointsIndicator(StrictModel):
    """An indicator: formula (enterprise-year unit), reference value (score 1 at or above), weight in its group."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    group: str
    name_zh: str
    name_en: str
    unit: str = ""
    formula: str
    reference: float = Field(gt=0)
    weight: float = Field(gt=0, le=1)


class Item(StrictModel):
    """A bonus or negative item: ``points`` when the formula's value is > 0."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    formula: str
    points: float = Field(gt=0)
    source: str = ""


class Cutoffs(StrictModel):
    """Top bands by rank percentile within the peer group: rank ≤ ceil(share × n)."""

    top5: float = Field(default=0.05, gt=0, lt=1)
    top10: float = Field(default=0.10, gt=0, lt=1)
    top20: float = Field(default=0.20, gt=0, lt=1)


class RuleMeta(StrictModel):
    id: str
    name_zh: str
    name_en: str
    version: str
    source: str = Field(min_length=1)
    structure_verified: bool = False
    indicators_verified: bool = False
    notes: str = ""


class PointsRules(StrictModel):
    """A whole points scheme (one file): metadata, bands, groups, indicators, bonus and negative items."""

    rule: RuleMeta
    band: list[Band] = Field(min_length=1)
    group: list[Group] = Field(min_length=1)
    indicator: list[PointsIndicator] = Field(min_length=1)
    bonus: list[Item] = Field(default_factory=list)
    negative: list[Item] = Field(default_factory=list)
    cutoffs: Cutoffs = Field(default_factory=Cutoffs)

    @model_validator(mode="after")
    def _consistent(self) -> PointsRules:
        groups = [g.code for g in self.group]
        codes = [i.code for i in self.indicator] + [f"b_{b.code}" for b in self.bonus] + \
            [f"n_{n.code}" for n in self.negative]
        if len(set(codes)) != len(codes):
            raise ValueError("indicator / bonus / negative codes must be unique")
        for i in self.indicator:
            if i.group not in groups:
                raise ValueError(f"indicator {i.code}: group {i.group!r} is not one of {groups}")
        for g in groups:
            s = sum(i.weight for i in self.indicator if i.group == g)
            if abs(s - 1) > 1e-6:
                raise ValueError(f"weights of the indicators of group {g} sum to {s:.4f}, not 1")
        bands = sorted(self.band, key=lambda b: b.revenue_from)
        for lo, hi in itertools.pairwise(bands):
            if lo.revenue_below != hi.revenue_from:
                raise ValueError(f"band {lo.code} must end where {hi.code} starts ({hi.revenue_from})")
        if bands[-1].revenue_below is not None:
            raise ValueError(f"the last band ({bands[-1].code}) must be open-ended (no revenue_below)")
        for b in self.band:
            if set(b.weights) != set(groups):
                raise ValueError(f"band {b.code}: weights must name exactly the groups {groups}")
            if abs(sum(b.weights.values()) - 1) > 1e-6:
                raise ValueError(f"band {b.code}: group weights sum to {sum(b.weights.values()):.4f}, not 1")
        c = self.cutoffs
        if not c.top5 < c.top10 < c.top20:
            raise ValueError("cutoffs must rise: top5 < top10 < top20")
        return self


def builtin_path(name: str = BUILTIN) -> Path:
    return Path(str(resources.files("gaoxin.analysis").joinpath("rules", "points", f"{name}.toml")))


def load_rules(path: str | os.PathLike | None = None) -> tuple[PointsRules, str]:
    """The rules of ``path`` (default: the shipped guideline-structure file) and the file's SHA-256 (for storage)."""
    p = Path(path) if path is not None else builtin_path()
    rules = load_toml(p, PointsRules)
    return rules, hashlib.sha256(p.read_bytes()).hexdigest()


def framework_data(rules: PointsRules) -> dict[str, Any]:
    """The rule's formulas as an in-memory framework (for the query compiler at the enterprise-year unit)."""
    pillars = [{"code": f"g_{g.code}", "name_zh": g.name_zh, "name_en": g.name_en} for g in rules.group]
    pillars.append({"code": "g_items", "name_zh": "加分与负面", "name_en": "Bonus and negative items"})
    inds = [{"code": i.code, "parent": f"g_{i.group}", "name_zh": i.name_zh, "name_en": i.name_en,
             "formula": i.formula, "source": rules.rule.source} for i in rules.indicator]
    for prefix, items in (("b_", rules.bonus), ("n_", rules.negative)):
        inds += [{"code": prefix + it.code, "parent": "g_items", "name_zh": it.name_zh, "name_en": it.name_en,
                  "formula": it.formula, "source": it.source or rules.rule.source} for it in items]
    return {"framework": {"id": "points-" + rules.rule.id.lower(), "name_zh": rules.rule.name_zh,
                          "name_en": rules.rule.name_en, "version": rules.rule.version, "source": rules.rule.source},
            "pillar": pillars, "indicator": inds}


def assign_band(revenue: pd.Series, rules: PointsRules) -> pd.Series:
    """Band code per row by revenue (lower bound inclusive, upper exclusive); missing or negative revenue → NA."""
    bands = sorted(rules.band, key=lambda b: b.revenue_from)
    edges = [b.revenue_from for b in bands[1:]]
    rev = pd.to_numeric(revenue, errors="coerce").astype("float64")
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), rev.to_numpy(), side="right")
    codes = np.array([b.code for b in bands], dtype=object)[np.minimum(idx, len(bands) - 1)]
    out = pd.Series(codes, index=revenue.index, dtype="object")
    out[rev.isna() | (rev < bands[0].revenue_from)] = None
    return out


def indicator_scores(values: pd.DataFrame, rules: PointsRules) -> pd.DataFrame:
    """Score per indicator in [0, 1]: value / reference, clipped; a missing value scores 0 (documented rule)."""
    return pd.DataFrame({i.code: (pd.to_numeric(values[i.code], errors="coerce").astype("float64")
                                  / i.reference).clip(0, 1).fillna(0.0) for i in rules.indicator},
                        index=values.index)


def contributions(values: pd.DataFrame, band: pd.Series, rules: PointsRules) -> pd.DataFrame:
    """Points each indicator contributes: 100 × group weight (of the row's band) × indicator weight × score."""
    s = indicator_scores(values, rules)
    gw = {b.code: b.weights for b in rules.band}
    out = {}
    for i in rules.indicator:
        w = band.map({b: w[i.group] for b, w in gw.items()}).astype("float64")
        out[i.code] = 100.0 * w * i.weight * s[i.code]
    return pd.DataFrame(out, index=values.index)


def item_points(values: pd.DataFrame, rules: PointsRules) -> tuple[pd.Series, pd.Series]:
    """Bonus and negative points per row: an item counts when its formula's value is > 0 (missing = no)."""
    def total(items: list[Item], prefix: str) -> pd.Series:
        acc = pd.Series(0.0, index=values.index)
        for it in items:
            v = pd.to_numeric(values[prefix + it.code], errors="coerce").astype("float64")
            acc = acc + np.where(v.fillna(0) > 0, it.points, 0.0)
        return acc
    return total(rules.bonus, "b_"), total(rules.negative, "n_")


def peer_bands(points: pd.Series, peer: pd.Series, cutoffs: Cutoffs) -> pd.DataFrame:
    """Rank within the peer group (1 = most points; ties share the best rank), peer size and the top band.

    Band: rank ≤ ceil(5 % × n) → top5; ≤ ceil(10 % × n) → top5_10; ≤ ceil(20 % × n) → top10_20; else rest.
    Rows without a peer group (no revenue) get no rank and band "unknown".
    """
    rank = points.groupby(peer, dropna=True).rank(method="min", ascending=False)
    n = points.groupby(peer, dropna=True).transform("size")
    r, size = rank.to_numpy(dtype="float64"), n.to_numpy(dtype="float64")
    band = np.select([r <= np.ceil(cutoffs.top5 * size), r <= np.ceil(cutoffs.top10 * size),
                      r <= np.ceil(cutoffs.top20 * size)], ["top5", "top5_10", "top10_20"], "rest")
    band = np.where(np.isnan(r), "unknown", band)
    return pd.DataFrame({"rank": rank.astype("Int64"), "peer_size": n.astype("Int64"), "top_band": band},
                        index=points.index)


def score(values: pd.DataFrame, rules: PointsRules) -> pd.DataFrame:
    """Points per enterprise-year from the compiled indicator values (columns credit_code, zone_id, year, codes).

    Columns: keys, revenue band, points, bonus, negative, rank within (zone, band), peer size, top band, then
    one ``pts_<code>`` column per indicator (its contribution). Sorted by zone, band, rank, credit code.
    """
    keys = [c for c in ("credit_code", "zone_id", "year") if c in values.columns]
    band = assign_band(values["revenue"] if "revenue" in values.columns else values[rules.indicator[0].code],
                       rules)
    contrib = contributions(values, band, rules)
    bonus, negative = item_points(values, rules)
    pts = (contrib.sum(axis=1) + bonus - negative).round(6)
    pts[band.isna()] = np.nan
    peer = values["zone_id"].astype("object") + "|" + band.astype("object")
    ranked = peer_bands(pts, peer, rules.cutoffs)
    out = values[keys].copy()
    out["band"] = band
    out["points"], out["bonus"], out["negative"] = pts, bonus, negative
    out = pd.concat([out, ranked, contrib.add_prefix("pts_").round(6)], axis=1)
    order = {b.code: k for k, b in enumerate(sorted(rules.band, key=lambda b: b.revenue_from))}
    out = out.assign(_b=out["band"].map(order)).sort_values(["zone_id", "_b", "rank", "credit_code"],
                                                            na_position="last", kind="mergesort")
    return out.drop(columns="_b").reset_index(drop=True)


def cagr(base: pd.Series, later: pd.Series, years: int) -> pd.Series:
    """(later / base)^(1/years) − 1; missing unless both are positive."""
    b = pd.to_numeric(base, errors="coerce").astype("float64")
    v = pd.to_numeric(later, errors="coerce").astype("float64")
    ok = (b > 0) & (v > 0)
    return ((v / b) ** (1.0 / years) - 1).where(ok)


def backtest(points: pd.DataFrame, revenue: pd.DataFrame, year: int, horizons: tuple[int, ...] = (1, 2, 3)
             ) -> pd.DataFrame:
    """Points of ``year`` against revenue growth (CAGR) to year + h: Spearman ρ, median growth top band vs rest.

    ``points``: the :func:`score` frame of ``year``; ``revenue``: credit_code, year, revenue for later years.
    Firms without revenue in year + h are left out of that horizon (n says how many remain).
    """
    from scipy.stats import spearmanr

    base = points[["credit_code", "points", "top_band"]].dropna(subset=["points"])
    rev0 = revenue[revenue["year"] == year].set_index("credit_code")["revenue"]
    rows = []
    for h in horizons:
        later = revenue[revenue["year"] == year + h].set_index("credit_code")["revenue"]
        g = cagr(base["credit_code"].map(rev0), base["credit_code"].map(later), h)
        d = base.assign(growth=g.to_numpy()).dropna(subset=["growth"])
        top = d["top_band"] != "rest"
        rho = float(spearmanr(d["points"], d["growth"]).statistic) if len(d) >= 3 and \
            d["points"].nunique() > 1 and d["growth"].nunique() > 1 else None
        rows.append({"horizon": h, "to_year": year + h, "n": len(d), "spearman": rho,
                     "top_n": int(top.sum()), "median_growth_top": float(d.loc[top, "growth"].median())
                     if top.any() else None, "median_growth_rest": float(d.loc[~top, "growth"].median())
                     if (~top).any() else None})
    return pd.DataFrame(rows)
