"""Enterprise criteria as data: typed rules that the formula language reads as row conditions.

``gazelle.toml`` holds the 瞪羚 rule (shared/domain.md, parameterised); :func:`gazelle_formula`
renders a rule as a row expression of the formula language (``prev(revenue, 3)`` … ), which the
language exposes as ``gazelle()``.  The enterprise-analytics stage reuses the same model and text.
No Ibis here.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field

from gaoxin.config import StrictModel, load_toml


class Growth(StrictModel):
    """Branch (a): young firms growing fast in revenue or in staff over the window."""

    max_age_years: int = Field(ge=0)
    revenue_cagr_min: float = Field(gt=-1)
    base_revenue_above: float = Field(ge=0, description="千元, base-year revenue strictly above")
    last_year_growth_positive: bool = True
    employment_cagr_min: float = Field(gt=-1)
    base_employees_above: int = Field(ge=0)


class LargeYoung(StrictModel):
    """Branches (b), (c): young firms already large."""

    max_age_years: int = Field(ge=0)
    revenue_above: float = Field(ge=0, description="千元, strictly above")


class Intensity(StrictModel):
    rd_intensity_above: float = Field(ge=0, description="R&D / revenue strictly above")


class GazelleRule(StrictModel):
    id: str
    name_zh: str
    name_en: str
    source: str
    confidence: Literal["V", "P", "M"] = "P"
    window_years: int = Field(ge=1, le=10)
    growth: Growth
    large_young: list[LargeYoung] = Field(default_factory=list)
    intensity: Intensity


class GazelleFile(StrictModel):
    rule: GazelleRule


def _num(x: float) -> str:
    """A threshold as formula text (round-trips exactly; 12 significant digits for powers such as 1.2³)."""
    return repr(round(float(x), 12))


def gazelle_formula(rule: GazelleRule) -> str:
    """The rule as a row condition: age from ``founded_year``, growth from the enterprise's own earlier rows.

    A firm without a row ``window_years`` earlier (or without a founding year) fails the growth branch.
    """
    w, g = rule.window_years, rule.growth
    age = "(year - founded_year)"
    rev = (f"({age} <= {g.max_age_years} and prev(revenue, {w}) > {_num(g.base_revenue_above)} and "
           f"revenue >= {_num((1 + g.revenue_cagr_min) ** w)} * prev(revenue, {w})"
           + (" and revenue > prev(revenue, 1))" if g.last_year_growth_positive else ")"))
    emp = (f"({age} <= {g.max_age_years} and prev(employees, {w}) > {g.base_employees_above} and "
           f"employees >= {_num((1 + g.employment_cagr_min) ** w)} * prev(employees, {w}))")
    big = [f"({age} <= {b.max_age_years} and revenue > {_num(b.revenue_above)})" for b in rule.large_young]
    return f"rd_expense > {_num(rule.intensity.rd_intensity_above)} * revenue and ({' or '.join([rev, emp, *big])})"


def load_gazelle(path: str | os.PathLike | None = None) -> GazelleRule:
    """The gazelle rule of ``path`` (default: the built-in ``criteria/gazelle.toml``), validated strictly."""
    if path is not None:
        return load_toml(path, GazelleFile).rule
    return _builtin()


@cache
def _builtin() -> GazelleRule:
    with resources.as_file(resources.files("gaoxin.indicators.criteria").joinpath("gazelle.toml")) as p:
        return load_toml(p, GazelleFile).rule


@cache
def builtin_gazelle_formula() -> str:
    return gazelle_formula(_builtin())
