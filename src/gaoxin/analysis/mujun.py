"""亩均效益综合评价 ("亩均论英雄") rules: the rule-file models, the indicator table and the price simulation.

A rule file (``rules/mujun/*.toml``, docs/mujun.md) gives weights, benchmarks (a number, or computed from the
data: ``benchmark_from``), populations, the formula of each population and the grade cut-offs. The computation
itself is one Ibis expression over the enterprise-year rows (:mod:`gaoxin.analysis.mujun_expr`), run by the
query compiler's backend; only the policy simulation, per-firm arithmetic on the graded result, is pandas.
Indicators are in the units the published schemes use (万元, 亩, tce, t, persons; money is stored in 千元), so
the Huangyan 2022 benchmarks apply as printed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from gaoxin.config import ConfigError, StrictModel, load_toml

if TYPE_CHECKING:
    import pandas as pd


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
IndicatorCode = Literal["tax_per_mu", "va_per_mu", "va_per_energy", "va_per_emission", "labour_productivity",
                        "rd_intensity", "tax_per_electricity"]
MISSING_TAKES_GROUP_MEAN = ("va_per_emission",)  # domain.md: a missing emission figure takes the group average
POPULATIONS = {"above_scale": ("规上企业", "above-scale firms"),
               "below_scale_3mu": ("规下企业（≥3 亩）", "below-scale firms with ≥ 3 mu"),
               "below_scale_small": ("规下企业（<3 亩）", "below-scale firms with < 3 mu"),
               "tenant": ("租赁企业（无自有用地）", "tenants without own industrial land")}
INPUT_COLUMNS = ("taxes", "value_added", "land_area_mu", "energy_tce", "electricity_mwh", "emissions_t",
                 "employees", "rd_expense", "revenue", "founded_year")

# benchmark_from = "<scope>_<statistic>": the scope is the firms the benchmark is computed over (the firm's
# population in its zone, its zone, its province, every firm of the year); mean = Σ numerator / Σ denominator
# (the denominator-weighted mean of the firms' ratios: a zone's 亩均税收 is its total tax over its total land),
# median = the median of the firms' own ratios.
BENCH_SCOPES = ("population", "zone", "province", "all")
BENCH_STATS = ("mean", "median")
BenchmarkFrom = Literal["population_mean", "population_median", "zone_mean", "zone_median", "province_mean",
                        "province_median", "all_mean", "all_median"]


class Term(StrictModel):
    config_error = MujunRuleError
    indicator: IndicatorCode
    weight: float = Field(gt=0)
    benchmark: float | None = Field(default=None, gt=0, description="published benchmark (a number)")
    benchmark_from: BenchmarkFrom | None = Field(default=None, description="benchmark computed from the data")
    cap: float | None = Field(default=None, gt=0)  # optional: term score at most cap × weight

    @model_validator(mode="before")
    @classmethod
    def _number_or_from(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("benchmark"), str):
            raise ValueError(f"benchmark 须为数字，按数据计算请写 benchmark_from = \"{data['benchmark']}_mean\" 等 / "
                             "benchmark must be a number; a benchmark computed from the data is benchmark_from = "
                             f"one of {', '.join(BenchmarkFrom.__args__)}")
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Term:
        if (self.benchmark is None) == (self.benchmark_from is None):
            raise ValueError("benchmark 与 benchmark_from 须且只须给一个 / give exactly one of benchmark (a number) "
                             "and benchmark_from")
        return self

    @property
    def source(self) -> str:
        """``fixed`` or the ``benchmark_from`` value: how the benchmark was obtained."""
        return self.benchmark_from or "fixed"


class Formula(StrictModel):
    config_error = MujunRuleError
    name_zh: str
    terms: list[Term] = Field(min_length=1)

    @model_validator(mode="after")
    def _once_each(self) -> Formula:
        codes = [t.indicator for t in self.terms]
        if len(codes) != len(set(codes)):
            raise ValueError("同一公式中每个指标只能出现一次 / an indicator appears at most once per formula")
        return self


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


def simulate(result: pd.DataFrame, schedule: Schedule) -> pd.DataFrame:
    """Extra cost per firm (万元) of a price schedule by grade: rate (元/kWh) × electricity (MWh × 1000 kWh).

    Per-firm arithmetic on the graded result (``credit_code, zone_id, grade, electricity_mwh``), so pandas
    over the (small) result rather than the query compiler. Ungraded firms pay no surcharge; a graded firm
    without an electricity figure has an unknown cost.
    """
    import pandas as pd

    rate = result["grade"].map(schedule.yuan_per_kwh).astype("float64")
    kwh = 1000.0 * result["electricity_mwh"].astype("float64")
    cost = (rate * kwh / 1e4).where(rate.notna())
    return pd.DataFrame({"credit_code": result["credit_code"], "zone_id": result["zone_id"],
                         "grade": result["grade"], "rate_yuan_per_kwh": rate, "electricity_mwh": kwh / 1000.0,
                         "cost_wan": cost})
