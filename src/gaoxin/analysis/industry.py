"""Zone industry structure: shares by GB/T 4754 level and category, location quotients, Herfindahl, growth,
and the featured industry (一区一战略产业) by a rule file (docs/industry.md, decision 0025).

The aggregation to zone × industry × year is one Ibis expression over the store tables (it runs wherever
the query compiler runs); the measures are small vectorised functions over that aggregate, whose size
is zones × industries × years, not enterprises.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from gaoxin.config import StrictModel, load_toml

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

    from gaoxin.indicators.tables import StoreTables

Level = Literal["section", "division", "group"]
Measure = Literal["revenue", "employees"]
RULES = "rules/industry"


class Section(StrictModel):
    code: str = Field(pattern=r"^[A-T]$")
    name_zh: str
    name_en: str
    first: int = Field(ge=1, le=97)
    last: int = Field(ge=1, le=97)


class Category(StrictModel):
    """A 高技术产业 / 战略性新兴产业 category as GB/T 4754 code prefixes; ``complete`` false = list known partial."""

    scheme: Literal["hightech-manufacturing-2017", "hightech-services-2018", "strategic-emerging-2018"]
    code: str
    name_zh: str
    name_en: str
    prefixes: list[str] = Field(min_length=1)
    complete: bool

    @model_validator(mode="after")
    def _digits(self) -> Category:
        bad = [p for p in self.prefixes if not (p.isdigit() and 2 <= len(p) <= 4)]
        if bad:
            raise ValueError(f"prefixes must be 2–4 digits of a GB/T 4754 code: {bad}")
        return self


class IndustryMap(StrictModel):
    version: str
    source: str
    section: list[Section] = Field(min_length=1)
    category: list[Category] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> IndustryMap:
        seen: set[int] = set()
        for s in self.section:
            span = set(range(s.first, s.last + 1))
            if not span or span & seen:
                raise ValueError(f"section {s.code}: division range empty or overlapping")
            seen |= span
        owner: dict[tuple[str, str], str] = {}
        for c in self.category:  # within a scheme no code may fall in two categories: shares add up
            for p in c.prefixes:
                for (scheme, q), other in owner.items():
                    if scheme == c.scheme and other != c.code and (p.startswith(q) or q.startswith(p)):
                        raise ValueError(f"categories {other} and {c.code} overlap at {q}/{p}")
                owner[(c.scheme, p)] = c.code
        return self


class FeaturedRule(StrictModel):
    id: str
    source: str
    level: Level = "division"
    measure: Measure = "revenue"
    min_lq: float = Field(ge=0, description="strictly above")
    min_firms: int = Field(ge=1, default=1)


class FeaturedFile(StrictModel):
    featured: FeaturedRule


def _path(name: str) -> os.PathLike | str:
    return resources.files("gaoxin.analysis").joinpath(RULES, name)  # type: ignore[return-value]


@cache
def industry_map() -> IndustryMap:
    """The shipped GB/T 4754-2017 section table and category prefixes."""
    return load_toml(_path("gbt4754-2017.toml"), IndustryMap)


def categories_of(code: str, imap: IndustryMap | None = None) -> list[str]:
    """Category codes a GB/T 4754 code falls in by the shipped prefixes (what zone_categories counts)."""
    m = imap or industry_map()
    return [c.code for c in m.category if any(str(code).startswith(p) for p in c.prefixes)]


def load_featured(path: str | os.PathLike | None = None) -> FeaturedRule:
    """The featured-industry rule: the shipped one, or a local file of the same model."""
    return load_toml(path if path is not None else _path("featured.toml"), FeaturedFile).featured


def node(code: ir.StringValue, level: Level, imap: IndustryMap) -> ir.StringValue:
    """The industry of a GB/T 4754 code at ``level``: section letter, 2-digit division or 3-digit group."""
    import ibis

    if level == "division":
        return code.substr(0, 2)
    if level == "group":
        return code.substr(0, 3)
    div = code.substr(0, 2).try_cast("int64")
    return ibis.cases(*[((div >= s.first) & (div <= s.last), s.code) for s in imap.section], else_=ibis.null("string"))


def zone_industry(t: StoreTables, snapshot: ir.Value, years: tuple[int, int], level: Level,
                  imap: IndustryMap) -> ir.Table:
    """Zone × industry × year: firms, revenue (千元), employees; firms without a code are industry NULL."""
    from gaoxin.indicators.tables import visible

    e = visible(t.enterprise_year, snapshot)
    e = e.filter((e.year >= years[0]) & (e.year <= years[1]))
    e = e.mutate(industry=node(e.industry_code, level, imap))
    return e.group_by(["zone_id", "industry", "year"]).aggregate(
        firms=e.credit_code.count(), revenue=e.revenue.sum().cast("float64"),
        employees=e.employees.sum().cast("float64"))


def zone_categories(t: StoreTables, snapshot: ir.Value, year: int, imap: IndustryMap) -> ir.Table:
    """Zone × category for ``year``: firms and revenue of firms whose code starts with a category prefix."""
    import ibis

    from gaoxin.indicators.tables import visible

    e = visible(t.enterprise_year, snapshot)
    e = e.filter(e.year == year)
    parts = []
    for c in imap.category:
        hit = ibis.or_(*[e.industry_code.startswith(p) for p in c.prefixes])
        parts.append(e.filter(hit).group_by("zone_id").aggregate(
            firms=e.credit_code.count(), revenue=e.revenue.sum().cast("float64")).mutate(category=ibis.literal(c.code)))
    return ibis.union(*parts) if parts else None  # type: ignore[return-value]


def location_quotient(df: pd.DataFrame, measure: Measure) -> pd.Series:
    """LQ = (x_zi / x_z) / (X_i / X) per (zone, industry, year) row; NaN where a denominator is 0.

    Totals run over the rows given (all zones' coded firms of the year), so LQ compares a zone with all zones.
    """
    x = df[measure].astype("float64")
    zone_tot = x.groupby([df["zone_id"], df["year"]]).transform("sum")
    ind_tot = x.groupby([df["industry"], df["year"]]).transform("sum")
    all_tot = x.groupby(df["year"]).transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = (x / zone_tot) / (ind_tot / all_tot)
    return lq.where(np.isfinite(lq))


def share(df: pd.DataFrame, measure: Measure) -> pd.Series:
    """The industry's share of the zone's measure in the year (NaN for a zone whose total is 0)."""
    x = df[measure].astype("float64")
    tot = x.groupby([df["zone_id"], df["year"]]).transform("sum")
    return (x / tot).where(tot > 0)


def herfindahl(df: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """HHI = Σ share² over the zone's industries per zone and year (1 = one industry; 1/n = n equal ones)."""
    s = share(df, measure)
    out = (s * s).groupby([df["zone_id"], df["year"]]).sum(min_count=1)
    return out.rename("hhi").reset_index()


def growth(df: pd.DataFrame, measure: Measure) -> pd.Series:
    """Year-on-year growth x_y / x_{y−1} − 1 of the same zone and industry; NaN without a positive prior year."""
    import pandas as pd

    prev = df.assign(year=df["year"] + 1)[["zone_id", "industry", "year", measure]]
    m = df[["zone_id", "industry", "year"]].merge(prev, on=["zone_id", "industry", "year"], how="left")
    before = pd.Series(m[measure].to_numpy(dtype="float64"), index=df.index)
    g = df[measure].astype("float64") / before - 1
    return g.where(before > 0)


def featured(df: pd.DataFrame, rule: FeaturedRule) -> pd.DataFrame:
    """Per zone and year the featured industry: largest share among industries with LQ > min_lq and enough firms.

    ``df`` carries ``lq`` and ``share`` of ``rule.measure``.  A zone-year with no qualifying industry is absent.
    """
    ok = df[(df["lq"] > rule.min_lq) & (df["firms"] >= rule.min_firms) & df["share"].notna()]
    ok = ok.sort_values(["zone_id", "year", "share", "industry"], ascending=[True, True, False, True], kind="stable")
    return ok.groupby(["zone_id", "year"], as_index=False).head(1)[
        ["zone_id", "year", "industry", "share", "lq", "firms"]].reset_index(drop=True)
