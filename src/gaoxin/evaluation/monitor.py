"""Plan monitoring: progress of actual values towards plan targets (年度监测、中期评估和总结评估).

Plan 001 §四(四) asks for annual monitoring, a mid-term and a final evaluation of the plan. Targets are
data (``targets/*.toml``) because the seeds publish one number only (169 → about 220 national zones), so
each user brings the targets of their own plan; the status thresholds sit beside the targets they judge.
A targets file is a :class:`TargetsFile` (every key in docs/configuration.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from gaoxin.config import validate
from gaoxin.evaluation.classify import Int, Num, RuleConfigError, RuleError, RuleModel, RulesMeta, load_rule_file

TARGET_COLUMNS = ["indicator", "scope", "scope_id", "baseline_year", "baseline_value", "target_year",
                  "target_value", "direction", "label_zh", "label_en", "source"]
OPTIONAL_COLUMNS = ["unit", "note", "midterm_year", "path"]
ACTUAL_COLUMNS = ["indicator", "scope", "scope_id", "year", "value"]
SCOPES = ("nation", "province", "zone")
DIRECTIONS = ("increase", "decrease")
PATHS = ("linear", "geometric")
STATUS_ZH = {"ahead": "超前", "on_track": "符合进度", "behind": "滞后", "at_risk": "严重滞后", "no_data": "无数据",
             "achieved": "已实现", "missed": "未实现"}
PACKAGED = {"fyp14-national": "targets/fyp14-national.toml", "example-zone": "targets/example-zone-targets.toml"}
_EPS = 1e-9


_SCOPE_ID = {"nation": r"^CN$", "province": r"^\d{2}$", "zone": r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"}
_SCOPE_ID_TEXT = {"nation": '"CN"', "province": "a two-digit GB/T 2260 province code, e.g. \"44\"",
                  "zone": "a zone id of letters, digits, _ or - (e.g. \"GX001\")"}


class MonitorRules(RuleModel):
    """``[monitor]``: status thresholds (in units of progress, 1 = the whole way) and projection window."""

    at_risk_gap: Num = Field(0.25, ge=0)  # at_risk if progress < expected - at_risk_gap
    behind_gap: Num = Field(0.05, ge=0)  # behind if progress < expected - behind_gap
    ahead_gap: Num = Field(0.05, ge=0)  # ahead if progress > expected + ahead_gap
    cagr_window: Int = Field(3, ge=1)  # years of the growth rate used for the projection

    @model_validator(mode="after")
    def _order(self) -> MonitorRules:
        if self.at_risk_gap < self.behind_gap:
            raise ValueError("at_risk_gap must be >= behind_gap / at_risk_gap 不得小于 behind_gap")
        return self


class Target(RuleModel):
    """One ``[[targets]]`` row. ``indicator`` and ``scope_id`` are checked against tight patterns: they name
    data, and must never carry anything else (defence in depth for the queries that use them)."""

    indicator: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")  # a framework indicator code or national_zone_count
    formula: str | None = None  # formula language (docs/indicators.md) when no framework defines the indicator
    scope: Literal[SCOPES]  # type: ignore[valid-type]
    scope_id: str  # nation: "CN"; province: GB/T 2260 two digits; zone: its zone_id
    baseline_year: Int = Field(ge=1949, le=2100)
    baseline_value: Num
    target_year: Int = Field(ge=1949, le=2100)
    target_value: Num
    direction: Literal[DIRECTIONS]  # type: ignore[valid-type]
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    source: str = Field(min_length=1)  # the plan and article the number comes from
    unit: str = ""
    note: str = ""
    midterm_year: Int | None = None  # default: baseline_year + ceil(span / 2)
    # expected path from baseline to target: linear, or geometric (constant annual rate) when the plan
    # states the target as 年均增长 x % (decision 0035); geometric needs both values > 0
    path: Literal[PATHS] = "linear"  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.path == "geometric" and not (self.baseline_value > 0 and self.target_value > 0):
            raise ValueError('path = "geometric" needs baseline_value and target_value > 0 '
                             "/ 几何路径要求基期值与目标值均为正")
        if not re.fullmatch(_SCOPE_ID[self.scope], self.scope_id):
            raise ValueError(f"scope_id {self.scope_id!r} of scope {self.scope!r} must be {_SCOPE_ID_TEXT[self.scope]}"
                             " / scope_id 格式不符")
        if self.target_year <= self.baseline_year:
            raise ValueError("target_year must be after baseline_year / 目标年须晚于基期年")
        if self.midterm_year is not None and not self.baseline_year < self.midterm_year < self.target_year:
            raise ValueError("midterm_year must lie between baseline_year and target_year")
        up = self.target_value > self.baseline_value
        if self.target_value == self.baseline_value or up != (self.direction == "increase"):
            raise ValueError(f"direction {self.direction!r} contradicts baseline {self.baseline_value} → target "
                             f"{self.target_value} / 方向与基期、目标值矛盾")
        return self


class TargetsFile(RuleModel):
    """A targets file (``targets/*.toml``)."""

    meta: RulesMeta = RulesMeta()
    monitor: MonitorRules = MonitorRules()
    targets: tuple[Target, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TargetsFile:
        keys = [(t.indicator, t.scope, t.scope_id, t.target_year) for t in self.targets]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate (indicator, scope, scope_id, target_year) / 目标重复")
        return self


@dataclass(frozen=True)
class TargetSet:
    targets: pd.DataFrame
    rules: MonitorRules = field(default_factory=MonitorRules)
    meta: RulesMeta = field(default_factory=RulesMeta)


def _py(v: Any) -> Any:
    """numpy scalars as Python ones; missing as None (a frame's empty optional cell)."""
    if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _frame(targets: Sequence[Target]) -> pd.DataFrame:
    return pd.DataFrame([t.model_dump() for t in targets], columns=list(Target.model_fields))


def validate_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Checked copy of a targets table (each row a :class:`Target`); a target whose direction contradicts its
    numbers is an error, since progress would then read backwards."""
    if missing := [c for c in TARGET_COLUMNS if c not in targets.columns]:
        raise RuleError(f"targets lack columns {missing} / 目标表缺少列")
    rows = [{k: v for k, v in ((k, _py(v)) for k, v in r.items()) if v is not None}
            for r in targets.to_dict("records")]
    return _frame(validate(TargetsFile, {"targets": rows}, "targets", error=RuleConfigError).targets)


def parse_targets(raw: Mapping[str, Any], source: str = "targets file") -> TargetSet:
    f = validate(TargetsFile, raw, source, error=RuleConfigError)
    return TargetSet(_frame(f.targets), f.monitor, f.meta)


def load_targets(path: str | Path | None = None, packaged: str = "fyp14-national") -> TargetSet:
    """Targets from ``path``, else a packaged file: "fyp14-national" (seed 001) or "example-zone" (invented)."""
    if path is None and packaged not in PACKAGED:
        raise RuleError(f"no packaged targets {packaged!r} (have {', '.join(PACKAGED)}) / 没有该内置目标文件")
    f = load_rule_file(path, PACKAGED[packaged], TargetsFile)
    return TargetSet(_frame(f.targets), f.monitor, f.meta)


def _status(progress: float, expected: float, rules: MonitorRules) -> str:
    if math.isnan(progress):
        return "no_data"
    if progress < expected - rules.at_risk_gap - _EPS:
        return "at_risk"
    if progress < expected - rules.behind_gap - _EPS:
        return "behind"
    if progress > expected + rules.ahead_gap + _EPS:
        return "ahead"
    return "on_track"


def _series(t: Mapping[str, Any], actuals: pd.DataFrame) -> pd.Series:
    """Actual values by year for one target; the baseline fills its own year when no actual is given."""
    a = actuals[(actuals["indicator"] == t["indicator"]) & (actuals["scope"] == t["scope"])
                & (actuals["scope_id"] == t["scope_id"])]
    s = a.dropna(subset=["value"]).groupby("year")["value"].last().astype(float)
    if int(t["baseline_year"]) not in s.index:
        s.loc[int(t["baseline_year"])] = float(t["baseline_value"])
    return s.sort_index()


def expected_value(t: Mapping[str, Any], year: int) -> float:
    """The plan's expected value in ``year`` (clipped to the plan period): linear from baseline to target, or
    geometric — baseline·(target/baseline)^(elapsed share), a constant annual rate — when ``path`` says so."""
    by, ty = int(t["baseline_year"]), int(t["target_year"])
    base, target = float(t["baseline_value"]), float(t["target_value"])
    share = min(max((year - by) / (ty - by), 0.0), 1.0)
    if t.get("path") == "geometric":
        return base * (target / base) ** share
    return base + share * (target - base)


def _evaluate(t: Mapping[str, Any], s: pd.Series, year: int, view: str, rules: MonitorRules) -> dict[str, Any]:
    by, ty = int(t["baseline_year"]), int(t["target_year"])
    base, target = float(t["baseline_value"]), float(t["target_value"])
    actual = float(s.get(year, np.nan))
    progress = (actual - base) / (target - base)
    expected = (expected_value(t, year) - base) / (target - base)  # the path's share of the way
    window = s[(s.index >= year - rules.cagr_window) & (s.index < year)]
    cagr = projected = required = np.nan
    cagr_from = pd.NA
    if not math.isnan(actual) and len(window) and actual > 0 and window.iloc[0] > 0:
        y0, v0 = int(window.index[0]), float(window.iloc[0])
        cagr, cagr_from = (actual / v0) ** (1 / (year - y0)) - 1, y0
    if not math.isnan(actual):
        left = max(ty - year, 0)
        projected = actual if left == 0 else actual * (1 + cagr) ** left
        if left and actual > 0 and target > 0:
            required = (target / actual) ** (1 / left) - 1
    reaches: bool | Any = pd.NA
    if not math.isnan(projected):
        reaches = projected >= target - _EPS if t["direction"] == "increase" else projected <= target + _EPS
    if view == "final":
        status = "no_data" if math.isnan(progress) else ("achieved" if progress >= 1 - _EPS else "missed")
    else:
        status = _status(progress, expected, rules)
    return {
        "view": view, "year": year, "indicator": t["indicator"], "scope": t["scope"], "scope_id": t["scope_id"],
        "label_zh": t["label_zh"], "label_en": t["label_en"], "unit": t["unit"],
        "baseline_year": by, "baseline_value": base, "target_year": ty, "target_value": target,
        "direction": t["direction"], "path": t.get("path") or "linear", "actual": actual, "progress": progress,
        "expected_progress": expected,
        "gap": progress - expected, "status": status, "status_zh": STATUS_ZH[status],
        "cagr": cagr, "cagr_from_year": cagr_from, "projected_value": projected,
        "projection_reaches_target": reaches, "required_cagr": required, "source": t["source"],
    }


def _run(targets: pd.DataFrame | TargetSet, actuals: pd.DataFrame, years: Any, view: str,
         rules: MonitorRules | None) -> pd.DataFrame:
    if isinstance(targets, TargetSet):
        rules = rules or targets.rules
        targets = targets.targets
    rules = rules or MonitorRules()
    t_df = validate_targets(targets)
    if missing := [c for c in ACTUAL_COLUMNS if c not in actuals.columns]:
        raise RuleError(f"actuals lack columns {missing}")
    a = actuals.assign(scope_id=actuals["scope_id"].astype(str), year=actuals["year"].astype(int))
    rows = []
    for t in t_df.to_dict("records"):
        y = years(t) if callable(years) else int(years)
        rows.append(_evaluate(t, _series(t, a), y, view, rules))
    out = pd.DataFrame(rows)
    out["cagr_from_year"] = out["cagr_from_year"].astype("Int64")
    out["projection_reaches_target"] = out["projection_reaches_target"].astype("boolean")
    return out


def monitor(targets: pd.DataFrame | TargetSet, actuals: pd.DataFrame, year: int,
            rules: MonitorRules | None = None) -> pd.DataFrame:
    """Annual monitoring view for ``year``: one row per target.

    ``actuals``: (indicator, scope, scope_id, year, value). progress = (actual − baseline)/(target − baseline);
    expected_progress = share of the plan period elapsed (linear path); status ahead / on_track / behind /
    at_risk (no_data without an actual for ``year``); cagr over the last ``cagr_window`` years (baseline counts),
    projected_value at target_year at that rate, projection_reaches_target, and required_cagr to get there.
    Thresholds come from ``rules``, else from the TargetSet, else the defaults.
    """
    return _run(targets, actuals, year, "annual", rules)


def midterm_year(baseline_year: int, target_year: int) -> int:
    """2020→2025 gives 2023: the plan's mid-term evaluation reviews the first half, rounded up."""
    return baseline_year + math.ceil((target_year - baseline_year) / 2)


def midterm(targets: pd.DataFrame | TargetSet, actuals: pd.DataFrame,
            rules: MonitorRules | None = None) -> pd.DataFrame:
    """Mid-term evaluation (中期评估): each target at its midterm_year column if set, else its midpoint."""

    def year_of(t: Mapping[str, Any]) -> int:
        if pd.notna(t.get("midterm_year")):
            return int(t["midterm_year"])
        return midterm_year(int(t["baseline_year"]), int(t["target_year"]))

    return _run(targets, actuals, year_of, "midterm", rules)


def final(targets: pd.DataFrame | TargetSet, actuals: pd.DataFrame,
          rules: MonitorRules | None = None) -> pd.DataFrame:
    """Final evaluation (总结评估): each target at its target_year; status achieved / missed / no_data."""
    return _run(targets, actuals, lambda t: int(t["target_year"]), "final", rules)
