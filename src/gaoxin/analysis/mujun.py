"""亩均效益综合评价 ("亩均论英雄"): per-enterprise indicators, weighted score against benchmarks, grades.

Small pure functions over the enterprise-year frame the query compiler returns (one row per firm and year:
``credit_code, zone_id, year`` and the contract fields, money in 千元). Indicators are in the units the
published schemes use (万元, 亩, tce, t, persons), so the Huangyan 2022 benchmarks apply as printed. Rules
(weights, benchmarks, populations, grade cut-offs) come from a TOML file (``rules/mujun/``); see docs/mujun.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gaoxin.config import ConfigError, StrictModel, load_toml


class MujunRuleError(ConfigError):
    """A 亩均 rule or price-schedule file that does not validate."""


# indicator code → (numerator, denominator, numerator scale, label zh, label en, unit)
INDICATORS: dict[str, tuple[str, str, float, str, str, str]] = {
    "tax_per_mu": ("taxes", "land_area_mu", 0.1, "亩均税收", "tax per mu", "万元/亩"),
    "va_per_mu": ("value_added", "land_area_mu", 0.1, "亩均增加值", "value added per mu", "万元/亩"),
    "va_per_energy": ("value_added", "energy_tce", 0.1, "单位能耗增加值", "value added per tce", "万元/tce"),
    "va_per_emission": ("value_added", "emissions_t", 0.1, "单位排放增加值", "value added per t of emissions",
                        "万元/t"),
    "labour_productivity": ("value_added", "employees", 0.1, "全员劳动生产率", "labour productivity", "万元/人"),
    "rd_intensity": ("rd_expense", "revenue", 1.0, "R&D 经费投入强度", "R&D intensity", "ratio"),
    # taxes (千元) / electricity (MWh) = 万元 / 万kWh
    "tax_per_electricity": ("taxes", "electricity_mwh", 1.0, "单位电耗税收", "tax per 10 MWh", "万元/万千瓦时"),
}
MISSING_TAKES_GROUP_MEAN = ("va_per_emission",)  # domain.md: a missing emission figure takes the group average
POPULATIONS = {"above_scale": ("规上企业", "above-scale firms"),
               "below_scale_3mu": ("规下企业（≥3 亩）", "below-scale firms with ≥ 3 mu"),
               "below_scale_small": ("规下企业（<3 亩）", "below-scale firms with < 3 mu"),
               "tenant": ("租赁企业（无自有用地）", "tenants without own industrial land")}
INPUT_COLUMNS = ("taxes", "value_added", "land_area_mu", "energy_tce", "electricity_mwh", "emissions_t",
                 "employees", "rd_expense", "revenue", "founded_year")


class Term(StrictModel):
    config_error = MujunRuleError
    indicator: Literal["tax_per_mu", "va_per_mu", "va_per_energy", "va_per_emission", "labour_productivity",
                       "rd_intensity", "tax_per_electricity"]
    weight: float = Field(gt=0)
    # a number (published benchmark) or computed from the data: the aggregate ratio of the firm's
    # population in its zone, of its zone, or of every firm evaluated
    benchmark: float | Literal["population", "zone", "all"]
    cap: float | None = Field(default=None, gt=0)  # optional: term score at most cap × weight

    @model_validator(mode="after")
    def _positive(self) -> Term:
        if isinstance(self.benchmark, float) and self.benchmark <= 0:
            raise ValueError("a benchmark must be > 0")
        return self


class Formula(StrictModel):
    config_error = MujunRuleError
    name_zh: str
    terms: list[Term] = Field(min_length=1)


class Populations(StrictModel):
    config_error = MujunRuleError
    above_scale_revenue_kyuan: float = Field(ge=0)
    small_land_mu: float = Field(ge=0)
    land_floor_mu: float = Field(ge=0)
    excluded_industries: list[str] = Field(default_factory=list)
    startup_years: int = Field(ge=0)


class Grades(StrictModel):
    config_error = MujunRuleError
    cuts_pct: list[float]
    labels: list[str]

    @model_validator(mode="after")
    def _shape(self) -> Grades:
        if len(self.labels) != len(self.cuts_pct) + 1:
            raise ValueError("labels must be one more than cuts_pct")
        if any(not 0 < c < 100 for c in self.cuts_pct) or self.cuts_pct != sorted(set(self.cuts_pct)):
            raise ValueError("cuts_pct must rise strictly inside (0, 100)")
        return self


class Assign(StrictModel):
    config_error = MujunRuleError
    above_scale: str
    below_scale_3mu: str
    below_scale_small: str
    tenant: str


class RuleMeta(StrictModel):
    config_error = MujunRuleError
    id: str
    name_zh: str
    name_en: str
    version: str
    source: str


class MujunRules(StrictModel):
    """A 亩均 rule file (``gaoxin config check`` kind ``mujun``)."""

    config_error = MujunRuleError
    mujun: RuleMeta
    populations: Populations
    formulas: dict[str, Formula]
    assign: Assign
    grading: Grades

    @model_validator(mode="after")
    def _formulas_exist(self) -> MujunRules:
        for pop, name in self.assign.model_dump().items():
            if name not in self.formulas:
                raise ValueError(f"assign.{pop} names formula {name!r}, not one of {sorted(self.formulas)}")
        return self


class CarbonMeta(StrictModel):
    config_error = MujunRuleError
    id: str
    tco2_per_tce: float = Field(gt=0)
    source: str


class CarbonFile(StrictModel):
    """The carbon-estimate factor file (kind ``carbon-factor``)."""

    config_error = MujunRuleError
    carbon: CarbonMeta


class Schedule(StrictModel):
    config_error = MujunRuleError
    id: str
    name_zh: str
    source: str
    base: Literal["electricity"]
    yuan_per_kwh: dict[str, float]


class ScheduleFile(StrictModel):
    """A differentiated price schedule by grade (kind ``price-schedule``)."""

    config_error = MujunRuleError
    schedule: Schedule


RULES_DIR = resources.files("gaoxin.analysis").joinpath("rules", "mujun")


def load_rules(path: str | Path | None = None) -> MujunRules:
    return load_toml(RULES_DIR.joinpath("huangyan-2022.toml") if path is None else Path(path), MujunRules,
                     MujunRuleError)


def load_schedule(path: str | Path | None = None) -> ScheduleFile:
    return load_toml(RULES_DIR.joinpath("electricity-surcharge.toml") if path is None else Path(path),
                     ScheduleFile, MujunRuleError)


def load_carbon(path: str | Path | None = None) -> CarbonFile:
    return load_toml(RULES_DIR.joinpath("carbon-factors.toml") if path is None else Path(path), CarbonFile,
                     MujunRuleError)


def ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    """``scale · num / den``; NaN when either is missing or the denominator is not > 0."""
    n, d = num.astype("float64"), den.astype("float64")
    return (scale * n / d.where(d > 0)).where(n.notna())


def indicators(firms: pd.DataFrame) -> pd.DataFrame:
    """The seven 亩均 indicators per row (NaN where an input is missing or a denominator is 0)."""
    return pd.DataFrame({code: ratio(firms[n], firms[d], s) for code, (n, d, s, *_) in INDICATORS.items()},
                        index=firms.index)


def population(firms: pd.DataFrame, pops: Populations) -> pd.Series:
    """Which graded population a firm belongs to (docs/mujun.md): no own land (0 or blank) → tenant;
    revenue ≥ the 规上 threshold → above_scale; else ≥ ``small_land_mu`` 亩 → below_scale_3mu, else small."""
    land = firms["land_area_mu"].astype("float64")
    rev = firms["revenue"].astype("float64")
    out = np.where(~(land > 0), "tenant",
                   np.where(rev >= pops.above_scale_revenue_kyuan, "above_scale",
                            np.where(land >= pops.small_land_mu, "below_scale_3mu", "below_scale_small")))
    return pd.Series(out, index=firms.index, name="population")


def gradable(firms: pd.DataFrame, pops: Populations) -> pd.Series:
    """Scored-but-not-graded reasons: excluded class (public utilities), start-up, land below the floor."""
    land = firms["land_area_mu"].astype("float64")
    founded = firms["founded_year"].astype("float64")
    reason = pd.Series("", index=firms.index, dtype=object)
    reason[(land > 0) & (land < pops.land_floor_mu)] = "land_below_floor"
    reason[founded > firms["year"] - pops.startup_years] = "startup"
    reason[firms["excluded"].astype("float64") > 0] = "excluded_class"
    return reason


def _group_ratio(firms: pd.DataFrame, code: str, keys: list[str], rows: pd.Series) -> pd.Series:
    """Aggregate ratio Σ numerator / Σ denominator over ``keys`` groups, among ``rows`` where both are known
    (a zone's average tax per 亩 is its total tax over its total land, not a mean of firms' ratios)."""
    n, d, s, *_ = INDICATORS[code]
    ok = rows & firms[n].notna() & (firms[d].astype("float64") > 0)
    num = firms[n].astype("float64").where(ok)
    den = firms[d].astype("float64").where(ok)
    g = pd.DataFrame({"n": num, "d": den, **{k: firms[k] for k in keys}}).groupby(keys, dropna=False)
    return s * g["n"].transform("sum") / g["d"].transform("sum").where(lambda x: x > 0)


BENCH_KEYS = {"population": ["year", "zone_id", "population"], "zone": ["year", "zone_id"], "all": ["year"]}


def score(firms: pd.DataFrame, rules: MujunRules) -> pd.DataFrame:
    """Per firm: population, each term's score, total score (NaN = unknown) and which inputs were missing.

    ``firms`` needs ``year, zone_id``, the :data:`INPUT_COLUMNS` and ``excluded`` (1 = excluded class).
    """
    firms = firms.copy()
    firms["population"] = population(firms, rules.populations)
    ind = indicators(firms)
    out = pd.DataFrame({"population": firms["population"]}, index=firms.index)
    formula_of = firms["population"].map(rules.assign.model_dump())
    out["formula"] = formula_of
    total = pd.Series(0.0, index=firms.index)
    missing = pd.Series("", index=firms.index, dtype=object)
    group = ["year", "zone_id", "population"]
    for fname, formula in rules.formulas.items():
        rows = formula_of == fname
        if not rows.any():
            continue
        for term in formula.terms:
            col = f"score_{term.indicator}"
            if isinstance(term.benchmark, str):
                # population: among the firms this formula scores; zone / all: every firm of the zone / year
                among = rows if term.benchmark == "population" else pd.Series(True, index=firms.index)
                bench = _group_ratio(firms, term.indicator, BENCH_KEYS[term.benchmark], among)
            else:
                bench = pd.Series(term.benchmark, index=firms.index)
            s = term.weight * ind[term.indicator] / bench
            if term.cap is not None:
                s = s.clip(upper=term.cap * term.weight)
            s = s.where(rows)
            if term.indicator in MISSING_TAKES_GROUP_MEAN:
                fill = s.groupby([firms[k] for k in group], dropna=False).transform("mean")
                s = s.where(s.notna() | ~rows, fill)
            gap = rows & s.isna()
            missing[gap] = missing[gap] + term.indicator + ";"
            out[col] = out[col].where(~rows, s) if col in out else s
            total = total.where(~rows, total + s.fillna(0.0))
    out["score"] = total.where(missing == "")
    out["missing"] = missing.str.rstrip(";")
    return pd.concat([ind, out], axis=1)


def grade(scored: pd.DataFrame, keys: pd.DataFrame, grades: Grades, reason: pd.Series) -> pd.DataFrame:
    """Rank and grade within (year, zone, population) among gradable firms with a known score.

    Rank 1 = highest score; ties share the best rank. A firm's percentile is the share of graded firms ranked
    ahead of it, 100·(rank − 1)/n; it is in the first grade while that is below the first cut (25 %), and so
    on: among 20 firms ranks 1–5 are A, 6–14 B, 15–19 C, 20 D; a population of one firm is all A (nobody is
    ahead of it), and D appears only once n ≥ 20 (the bottom 5 % of fewer than 20 firms is less than one firm).
    """
    ok = (reason == "") & scored["score"].notna()
    frame = pd.DataFrame({"year": keys["year"], "zone_id": keys["zone_id"], "population": scored["population"],
                          "score": scored["score"].where(ok)})
    g = frame.groupby(["year", "zone_id", "population"], dropna=False)["score"]
    rank = g.rank(method="min", ascending=False)
    n = g.transform("count")
    pct = 100.0 * (rank - 1) / n
    idx = np.searchsorted(np.asarray(grades.cuts_pct), pct.fillna(0).to_numpy(), side="right")
    labels = np.asarray(grades.labels, dtype=object)[idx]
    out = pd.DataFrame({"rank": rank.astype("Int64"), "n_graded": n.where(ok).astype("Int64"),
                        "percentile": pct, "grade": pd.Series(labels, index=scored.index).where(ok)},
                       index=scored.index)
    out["not_graded"] = reason.where(reason != "", np.where(scored["score"].isna(), "unknown_score", ""))
    out.loc[ok, "not_graded"] = ""
    return out


def evaluate(firms: pd.DataFrame, rules: MujunRules) -> pd.DataFrame:
    """Indicators, scores and grades per firm (the frame the service and the store keep)."""
    scored = score(firms, rules)
    reason = gradable(firms, rules.populations)
    graded = grade(scored, firms, rules.grading, reason)
    return pd.concat([firms[["credit_code", "zone_id", "year"]], scored, graded], axis=1)


def rollup(result: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """Per zone, year and grade (ungraded as "—"): firms, land, share of the zone's land, tax per 亩 (万元)."""
    land = firms["land_area_mu"].astype("float64").where(lambda x: x > 0)
    tax = firms["taxes"].astype("float64").where(land.notna())
    f = pd.DataFrame({"zone_id": result["zone_id"], "year": result["year"],
                      "grade": result["grade"].fillna("—"), "land": land, "tax": tax})
    g = f.groupby(["zone_id", "year", "grade"], dropna=False).agg(
        firms=("grade", "size"), land_mu=("land", "sum"), tax=("tax", "sum")).reset_index()
    zone_land = g.groupby(["zone_id", "year"])["land_mu"].transform("sum")
    g["land_share"] = g["land_mu"] / zone_land.where(zone_land > 0)
    g["tax_per_mu"] = 0.1 * g["tax"] / g["land_mu"].where(g["land_mu"] > 0)
    return g.drop(columns="tax")


def simulate(result: pd.DataFrame, firms: pd.DataFrame, schedule: Schedule) -> pd.DataFrame:
    """Extra cost per firm (万元) of a price schedule by grade: rate (元/kWh) × electricity (MWh × 1000 kWh).

    Ungraded firms pay no surcharge; a graded firm without an electricity figure has an unknown cost.
    """
    rate = result["grade"].map(schedule.yuan_per_kwh).astype("float64")
    kwh = 1000.0 * firms["electricity_mwh"].astype("float64")
    cost = (rate * kwh / 1e4).where(rate.notna())
    return pd.DataFrame({"credit_code": result["credit_code"], "zone_id": result["zone_id"],
                         "grade": result["grade"], "rate_yuan_per_kwh": rate, "electricity_mwh": kwh / 1000.0,
                         "cost_wan": cost})
