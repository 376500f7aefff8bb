"""Enterprise tiers (企业梯度) with evidence: rule files → one Ibis expression over enterprise × year.

A tier is data (``rules/tiers/*.toml``): criteria ``measure op threshold`` combined as all-of plus optional
any-of groups.  Comparisons are SQL booleans, so a missing value gives NULL = "unknown" and the combination
follows Kleene logic (a fail decides an AND, a pass decides an OR) — missing data never fails silently.
The 瞪羚 tier is generated from ``indicators/criteria/gazelle.toml`` so both places apply one rule.
A score whose inputs are partly missing (or not in the returns: measure ``unavailable``) is an interval of
points; a criterion on it is decided only when the whole interval decides it (创新型中小企业, decision 0028).
Evidence, near misses and the funnel are queries over this expression (analysis/tier_queries.py, decision 0034).
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from gaoxin.config import StrictModel, load_toml
from gaoxin.indicators.criteria import GazelleRule, load_gazelle

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

Op = Literal[">=", ">", "<=", "<", "=="]
DIRECT = ("employees", "revenue", "total_assets", "valuation_usd_m", "valid_invention_patents", "st_personnel",
          "rd_expense", "high_tech_product_revenue", "equity_financing")
FLAGS = ("is_high_tech", "is_tech_sme")  # 是/否 columns of the returns, as 1.0 / 0.0
RATIOS = {"st_staff_share": ("st_personnel", "employees"), "rd_intensity": ("rd_expense", "revenue"),
          "high_tech_revenue_share": ("high_tech_product_revenue", "revenue"),
          "debt_ratio": ("total_liabilities", "total_assets"), "net_margin": ("net_profit", "revenue")}
LAGGED = ("revenue", "employees", "rd_expense", "equity_financing")
_LAG_RE = re.compile(rf"({'|'.join(LAGGED)})_(cagr|base|growth|sum)_(\d)y$")
UNAVAILABLE = "unavailable"  # a criterion whose data the contract does not have: always "unknown"
DECIMALS = 10  # ratios are compared rounded, so 17 280 / 10 000 is a 20.0 % CAGR, not 19.999 999 %


class Criterion(StrictModel):
    measure: str
    op: Op
    threshold: float | None = None
    by: str | None = Field(None, description="banded threshold: the measure that picks the band")
    bands: list[tuple[float, float]] = Field(default_factory=list,
                                             description="[upper bound of `by` (inclusive), threshold]")
    otherwise: float | None = None
    label_zh: str
    label_en: str
    near_miss: bool = Field(True, description="false: failing it alone is no near miss (a status such as being a "
                                                "高新技术企业 is a tier of its own, not a gap to close)")

    @model_validator(mode="after")
    def _one_threshold(self) -> Criterion:
        if (self.threshold is None) == (self.by is None):
            raise ValueError("give either threshold or by + bands + otherwise")
        if self.by is not None and (not self.bands or self.otherwise is None):
            raise ValueError("a banded threshold needs bands and otherwise")
        return self


class Component(StrictModel):
    """Points of one measure by band.  When the measure is missing (or ``unavailable``) the points lie between
    the smallest and the largest band points; ``upper_bands`` bound the points from above where the returns
    hold only part of what the source scores (class-I patents counted, high-value or class-II IP not)."""

    id: str
    label_zh: str
    label_en: str
    measure: str
    direction: Literal["higher", "lower"] = Field(
        "higher", description="higher: bands are [lower bound (inclusive), points]; "
                              "lower: [upper bound (inclusive), points] (e.g. debt ratio)")
    bands: list[tuple[float, float]] = Field(min_length=1, description="[bound (inclusive), points]")
    upper_bands: list[tuple[float, float]] = Field(
        default_factory=list, description="[bound, most points possible] for data the returns do not hold")


class Score(StrictModel):
    """A sum of components, or (``parts``) of earlier scores; its value is an interval when a part is unknown."""

    id: str
    label_zh: str
    label_en: str
    component: list[Component] = Field(default_factory=list)
    parts: list[str] = Field(default_factory=list, description="ids of earlier scores to add up")

    @model_validator(mode="after")
    def _one_kind(self) -> Score:
        if bool(self.component) == bool(self.parts):
            raise ValueError("give either component(s) or parts")
        return self


class Tier(StrictModel):
    id: str
    rank: int = Field(ge=0, description="place on the cultivation ladder (0: not on it)")
    name_zh: str
    name_en: str
    source: str
    gazelle: str | None = Field(None, description="'builtin' or a gazelle rule file: criteria generated from it")
    all: list[Criterion] = Field(default_factory=list)
    any_of: list[list[Criterion]] = Field(default_factory=list)
    and_any_of: list[list[list[Criterion]]] = Field(
        default_factory=list, description="further any-of blocks: each block must hold as any_of does")


class RulesMeta(StrictModel):
    id: str
    version: str
    name_zh: str
    name_en: str
    source: str


class TierRules(StrictModel):
    rules: RulesMeta
    score: list[Score] = Field(default_factory=list)
    tier: list[Tier] = Field(min_length=1)


def gazelle_criteria(rule: GazelleRule) -> tuple[list[Criterion], list[list[Criterion]]]:
    """The gazelle rule as all-of (intensity) and any-of groups (branches a-revenue, a-staff, b, c)."""
    w, g = rule.window_years, rule.growth

    def c(m: str, op: Op, t: float, zh: str, en: str) -> Criterion:
        return Criterion(measure=m, op=op, threshold=t, label_zh=zh, label_en=en)

    age = c("age", "<=", g.max_age_years, "成立年限", "age")
    rev = [age, c(f"revenue_base_{w}y", ">", g.base_revenue_above, "基期营业收入", "base-year revenue"),
           c(f"revenue_cagr_{w}y", ">=", g.revenue_cagr_min, "营业收入年均增长", "revenue CAGR")]
    if g.last_year_growth_positive:
        rev.append(c("revenue_growth_1y", ">", 0, "上年营业收入增长", "revenue growth last year"))
    emp = [age, c(f"employees_base_{w}y", ">", g.base_employees_above, "基期从业人员", "base-year staff"),
           c(f"employees_cagr_{w}y", ">=", g.employment_cagr_min, "从业人员年均增长", "staff CAGR")]
    big = [[c("age", "<=", b.max_age_years, "成立年限", "age"),
            c("revenue", ">", b.revenue_above, "营业收入", "revenue")] for b in rule.large_young]
    intensity = c("rd_intensity", ">", rule.intensity.rd_intensity_above, "研发强度", "R&D intensity")
    return [intensity], [rev, emp, *big]


def resolve(rules: TierRules) -> TierRules:
    """Rules with every gazelle-backed tier's criteria filled in from its gazelle rule."""
    tiers = []
    for t in rules.tier:
        if t.gazelle is not None:
            a, groups = gazelle_criteria(load_gazelle(None if t.gazelle == "builtin" else t.gazelle))
            t = t.model_copy(update={"all": a, "any_of": groups})
        tiers.append(t)
    return rules.model_copy(update={"tier": tiers})


def load_rules(path: str | os.PathLike | None = None) -> tuple[TierRules, str]:
    """Validated rules of ``path`` (default: the built-in national file) and the file's SHA-256."""
    if path is None:
        with resources.as_file(resources.files("gaoxin.analysis.rules.tiers").joinpath("national.toml")) as p:
            return _load(Path(p))
    return _load(Path(path))


def _load(p: Path) -> tuple[TierRules, str]:
    from gaoxin.config import ConfigError

    rules = resolve(load_toml(p, TierRules))
    scores = {s.id for s in rules.score} | {c.id for s in rules.score for c in s.component}
    seen: set[str] = set()
    for s in rules.score:
        missing = [q for q in s.parts if q not in seen]
        if missing:
            raise ConfigError(str(p), [f"score {s.id!r}: parts {missing} 须为前面定义的得分 / must be scores "
                                       "defined above it"])
        seen.add(s.id)
    bad = sorted(n for n in measures_used(rules) if n not in scores and not _known(n))
    if bad:
        raise ConfigError(str(p), [f"未知指标 / unknown measure {n!r}; known: {', '.join(KNOWN)}, "
                                   f"{{{'|'.join(LAGGED)}}}_{{cagr|base|growth|sum}}_{{n}}y" for n in bad])
    return rules, hashlib.sha256(p.read_bytes()).hexdigest()


KNOWN = (*DIRECT, *FLAGS, UNAVAILABLE, "age", "listed", *RATIOS, "rd_intensity_3y")


def _known(name: str) -> bool:
    return name in KNOWN or _LAG_RE.match(name) is not None


def criterion_keys(t: Tier) -> list[tuple[str, str, Criterion]]:
    """(key, part, criterion): part is 'all' or 'g<j>' (the any-of group)."""
    out = [(f"{t.id}:a{i}", "all", c) for i, c in enumerate(t.all)]
    for j, grp in enumerate(t.any_of):
        out += [(f"{t.id}:g{j}.{i}", f"g{j}", c) for i, c in enumerate(grp)]
    for k, block in enumerate(t.and_any_of, start=1):
        for j, grp in enumerate(block):
            out += [(f"{t.id}:b{k}g{j}.{i}", f"b{k}g{j}", c) for i, c in enumerate(grp)]
    return out


def block_of(part: str) -> str:
    """The any-of block a part belongs to: 'all', 'b0' (any_of) or 'b<k>' (and_any_of[k-1])."""
    if part == "all":
        return "all"
    return "b0" if part.startswith("g") else part.split("g", 1)[0]


# ---- measures (Ibis) ---------------------------------------------------------------------------------------

def _ratio(num: ir.Value, den: ir.Value) -> ir.Value:
    import ibis

    d = den.cast("float64")
    return ibis.ifelse(d == 0, ibis.null("float64"), num.cast("float64") / d).round(DECIMALS)


def _needed_lags(names: set[str]) -> dict[str, set[int]]:
    lags: dict[str, set[int]] = {c: set() for c in LAGGED}
    for n in names:
        m = _LAG_RE.match(n)
        if m:
            k, kind = int(m.group(3)), m.group(2)
            lags[m.group(1)] |= {1} if kind == "growth" else set(range(1, k)) if kind == "sum" else {k}
    if "rd_intensity_3y" in names:
        lags["rd_expense"] |= {1, 2}
        lags["revenue"] |= {1, 2}
    return {c: k for c, k in lags.items() if k}


def _measure(e: ir.Table, name: str) -> ir.Value:
    """One measure of an enterprise-year row (NULL when an input is missing)."""
    import ibis

    if name in DIRECT:
        return e[name].cast("float64")
    if name in FLAGS:
        return e[name].cast("float64")
    if name == UNAVAILABLE:
        return ibis.null("float64")
    if name == "age":
        return (e.year - e.founded_year).cast("float64")
    if name == "listed":
        return e.is_listed.cast("float64")
    if name in RATIOS:
        return _ratio(e[RATIOS[name][0]], e[RATIOS[name][1]])
    if name == "rd_intensity_3y":
        return _ratio(e.rd_expense + e.rd_expense__l1 + e.rd_expense__l2, e.revenue + e.revenue__l1 + e.revenue__l2)
    m = _LAG_RE.match(name)
    if m:
        col, kind, n = m.group(1), m.group(2), int(m.group(3))
        if kind == "base":
            return e[f"{col}__l{n}"].cast("float64")
        if kind == "growth":
            return (_ratio(e[col], e[f"{col}__l1"]) - 1).round(DECIMALS)
        if kind == "sum":  # this year and the n-1 before (a missing year makes it unknown)
            total = e[col].cast("float64")
            for k in range(1, n):
                total = total + e[f"{col}__l{k}"].cast("float64")
            return total

        base = e[f"{col}__l{n}"].cast("float64")
        r = ibis.ifelse(base > 0, e[col].cast("float64") / base, ibis.null("float64"))
        return ibis.ifelse(r > 0, (r.ln() / n).exp() - 1, ibis.null("float64")).round(DECIMALS)
    raise ValueError(f"unknown measure {name!r}")


def _points(value: ir.Value, bands: list[tuple[float, float]], direction: str = "higher") -> ir.Value:
    import ibis

    if direction == "higher":
        cases = [(value >= b, float(p)) for b, p in sorted(bands, reverse=True)]
    else:
        cases = [(value <= b, float(p)) for b, p in sorted(bands)]
    return ibis.cases(*cases, else_=ibis.null("float64")) if cases else ibis.null("float64")


def _component_bounds(value: ir.Value, comp: Component) -> tuple[ir.Value, ir.Value]:
    """(least, most) points of a component: equal when the value is known and fully scored."""
    import ibis

    p = _points(value, comp.bands, comp.direction)
    pts = [b[1] for b in comp.bands] + [b[1] for b in comp.upper_bands]
    lo = ibis.coalesce(p, float(min(b[1] for b in comp.bands)))
    top = _points(value, comp.upper_bands, comp.direction) if comp.upper_bands else p
    hi = ibis.coalesce(ibis.greatest(top, p) if comp.upper_bands else p, float(max(pts)))
    return lo, hi


def _exact(lo: ir.Value, hi: ir.Value) -> ir.Value:
    import ibis

    return ibis.ifelse(lo == hi, lo, ibis.null("float64"))


def _threshold(c: Criterion, m: dict[str, ir.Value]) -> ir.Value:
    import ibis

    if c.threshold is not None:
        return ibis.literal(float(c.threshold))
    by = m[c.by]  # type: ignore[index]
    return ibis.cases(*[(by <= up, float(t)) for up, t in sorted(c.bands)], else_=float(c.otherwise))  # type: ignore[arg-type]


def _compare(v: ir.Value, op: str, t: ir.Value) -> ir.Value:
    return {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t, "==": v == t}[op]


def _compare_interval(lo: ir.Value, hi: ir.Value, op: str, t: ir.Value) -> ir.Value:
    """Kleene comparison of a value known only to lie in [lo, hi]: pass if every value in it passes, fail if
    none does, else NULL (unknown).  The ops are monotone, so the two ends decide (== needs lo = hi)."""
    import ibis

    a, b = _compare(lo, op, t), _compare(hi, op, t)
    if op == "==":
        return ibis.ifelse(lo == hi, a, ibis.ifelse((lo > t) | (hi < t), False, ibis.null("boolean")))
    return ibis.ifelse(a & b, True, ibis.ifelse(~a & ~b, False, ibis.null("boolean")))


def _and(xs: list[ir.Value]) -> ir.Value:
    out = xs[0]
    for x in xs[1:]:
        out = out & x
    return out


def _sum(xs: list[ir.Value]) -> ir.Value:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _or(xs: list[ir.Value]) -> ir.Value:
    out = xs[0]
    for x in xs[1:]:
        out = out | x
    return out


def measures_used(rules: TierRules) -> set[str]:
    names = {c.measure for t in rules.tier for _, _, c in criterion_keys(t)}
    names |= {c.by for t in rules.tier for _, _, c in criterion_keys(t) if c.by}
    names |= {comp.measure for s in rules.score for comp in s.component}
    return names


def tier_expr(ent: ir.Table, rules: TierRules, years: tuple[int, int], zone: str | None = None) -> ir.Table:
    """Per enterprise × year of ``years``: keys, every tier (bool, NULL unknown) and per criterion
    ``v|key`` value, ``t|key`` threshold, ``p|key`` pass.  ``ent`` = the snapshot's visible enterprise rows."""
    score_ids = {s.id for s in rules.score} | {c.id for s in rules.score for c in s.component}
    names = measures_used(rules) - score_ids
    lags = _needed_lags(names)
    depth = max((k for ks in lags.values() for k in ks), default=0)
    e = ent.filter((ent.year >= years[0] - depth) & (ent.year <= years[1]))
    if lags:  # the firm's own rows k years back: joins on the store key for the wanted years only (at 10M rows
        # 2.4× the hand-written SQL with RANGE-frame windows over every year read, bench/enterprise.py)
        from gaoxin.indicators.lower import add_row_lags, lag_column

        wanted = {(col, k) for col, ks in lags.items() for k in ks}
        e = add_row_lags(e.filter((e.year >= years[0]) & (e.year <= years[1])), wanted, history=e)
        e = e.rename(**{f"{col}__l{k}": lag_column(col, k) for col, k in wanted})
    m: dict[str, ir.Value] = {n: _measure(e, n) for n in sorted(names)}
    e = e.mutate(**{f"m|{n}": v for n, v in m.items()})  # each measure computed once, not inlined per criterion
    m = {n: e[f"m|{n}"] for n in m}
    bounds: dict[str, tuple[ir.Value, ir.Value]] = {}  # score measures: (least, most) points
    for s in rules.score:
        if s.parts:
            los, his = [bounds[p][0] for p in s.parts], [bounds[p][1] for p in s.parts]
        else:
            los, his = [], []
            for comp in s.component:
                v = m[comp.measure] if comp.measure in m else _measure(e, comp.measure)
                bounds[comp.id] = _component_bounds(v, comp)
                m[comp.id] = _exact(*bounds[comp.id])
                los.append(bounds[comp.id][0])
                his.append(bounds[comp.id][1])
        bounds[s.id] = (_sum(los), _sum(his))
        m[s.id] = _exact(*bounds[s.id])
    out: dict[str, ir.Value] = {}
    for t in rules.tier:
        alls, blocks = [], {}
        for key, part, c in criterion_keys(t):
            v, th = m[c.measure], _threshold(c, m)
            ok = _compare_interval(*bounds[c.measure], c.op, th) if c.measure in bounds else _compare(v, c.op, th)
            out[f"v|{key}"], out[f"t|{key}"], out[f"p|{key}"] = v, th, ok
            if part == "all":
                alls.append(ok)
            else:
                blocks.setdefault(block_of(part), {}).setdefault(part, []).append(ok)
        parts = [*([_and(alls)] if alls else []), *[_or([_and(g) for g in grp.values()]) for grp in blocks.values()]]
        out[t.id] = _and(parts)
    res = e.select("credit_code", "year", "zone_id", **out)
    res = res.filter((res.year >= years[0]) & (res.year <= years[1]))
    if zone is not None:
        res = res.filter(res.zone_id == zone)
    return res.order_by(["credit_code", "year"])


# ---- frames ----------------------------------------------------------------------------------------------

def status(col: pd.Series) -> pd.Series:
    """pass / fail / unknown from a nullable boolean column."""
    import numpy as np
    import pandas as pd

    b = col.astype("boolean")
    return pd.Series(np.select([b.eq(True).fillna(False), b.eq(False).fillna(False)], ["pass", "fail"], "unknown"),
                     index=col.index)


def _options(keys: list[tuple[str, str, Criterion]]) -> list[list[str]]:
    """Every way into a tier: the all-of keys plus one group from each any-of block (cartesian product)."""
    from itertools import product

    alls = [k for k, p, _ in keys if p == "all"]
    blocks: dict[str, dict[str, list[str]]] = {}
    for k, p, _ in keys:
        if p != "all":
            blocks.setdefault(block_of(p), {}).setdefault(p, []).append(k)
    return [alls + [k for g in combo for k in g] for combo in product(*[list(b.values()) for b in blocks.values()])]


@cache
def builtin_rules() -> tuple[TierRules, str]:
    return load_rules(None)


def compute_tiers(con, rules: TierRules, years: tuple[int, int], snapshot: int,
                  zone: str | None = None) -> pd.DataFrame:
    """Run :func:`tier_expr` on the store's DuckDB connection for ``snapshot`` (one query)."""
    import ibis

    from gaoxin.indicators.backend import duckdb_backend, duckdb_schemas, run_on_duckdb
    from gaoxin.indicators.tables import unbound_tables, visible

    backend = duckdb_backend(con)
    ent = visible(unbound_tables(duckdb_schemas(con)).enterprise_year, ibis.literal(int(snapshot), "int64"))
    df = run_on_duckdb(backend, str(ibis.to_sql(tier_expr(ent, rules, years, zone), dialect="duckdb")))
    for t in rules.tier:  # nullable booleans: NULL stays unknown
        df[t.id] = df[t.id].astype("boolean")
    return df
