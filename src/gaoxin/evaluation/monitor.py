"""Plan monitoring: progress of actual values towards plan targets (年度监测、中期评估和总结评估).

Plan 001 §四(四) asks for annual monitoring, a mid-term and a final evaluation of the plan. Targets are
data (``targets/*.toml``) because the seeds publish one number only (169 → about 220 national zones), so
each user brings the targets of their own plan; the status thresholds sit beside the targets they judge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gaoxin.evaluation.classify import RuleError, read_toml

TARGET_COLUMNS = ["indicator", "scope", "scope_id", "baseline_year", "baseline_value", "target_year",
                  "target_value", "direction", "label_zh", "label_en", "source"]
OPTIONAL_COLUMNS = ["unit", "note", "midterm_year"]
ACTUAL_COLUMNS = ["indicator", "scope", "scope_id", "year", "value"]
SCOPES = ("nation", "province", "zone")
DIRECTIONS = ("increase", "decrease")
STATUS_ZH = {"ahead": "超前", "on_track": "符合进度", "behind": "滞后", "at_risk": "严重滞后", "no_data": "无数据",
             "achieved": "已实现", "missed": "未实现"}
PACKAGED = {"fyp14-national": "targets/fyp14-national.toml", "example-zone": "targets/example-zone-targets.toml"}
_EPS = 1e-9


@dataclass(frozen=True)
class MonitorRules:
    """Status thresholds (in units of progress, 1 = whole way) and projection window; gaoxin defaults."""

    at_risk_gap: float = 0.25
    behind_gap: float = 0.05
    ahead_gap: float = 0.05
    cagr_window: int = 3

    def __post_init__(self) -> None:
        for name in ("at_risk_gap", "behind_gap", "ahead_gap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise RuleError(f"monitor: {name} must be a number >= 0, got {v!r}")
        if self.at_risk_gap < self.behind_gap:
            raise RuleError("monitor: at_risk_gap must be >= behind_gap")
        if isinstance(self.cagr_window, bool) or not isinstance(self.cagr_window, int) or self.cagr_window < 1:
            raise RuleError(f"monitor: cagr_window must be an integer >= 1, got {self.cagr_window!r}")


@dataclass(frozen=True)
class TargetSet:
    targets: pd.DataFrame
    rules: MonitorRules = field(default_factory=MonitorRules)
    meta: Mapping[str, Any] = field(default_factory=dict)


def validate_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Checked copy of a targets table; a target whose direction contradicts its numbers is an error,
    since progress would then read backwards."""
    if missing := [c for c in TARGET_COLUMNS if c not in targets.columns]:
        raise RuleError(f"targets lack columns {missing}")
    df = targets.copy()
    for c in OPTIONAL_COLUMNS:
        if c not in df.columns:
            df[c] = pd.NA
    df["scope_id"] = df["scope_id"].astype(str)
    for i, t in df.iterrows():
        where = f"target {i} ({t['indicator']}/{t['scope']}/{t['scope_id']})"
        if t["scope"] not in SCOPES:
            raise RuleError(f"{where}: scope must be one of {SCOPES}, got {t['scope']!r}")
        if t["direction"] not in DIRECTIONS:
            raise RuleError(f"{where}: direction must be one of {DIRECTIONS}, got {t['direction']!r}")
        for c in ("baseline_year", "target_year", "baseline_value", "target_value"):
            if pd.isna(t[c]) or isinstance(t[c], str | bool):
                raise RuleError(f"{where}: {c} must be a number, got {t[c]!r}")
        if t["target_year"] <= t["baseline_year"]:
            raise RuleError(f"{where}: target_year must be after baseline_year")
        up = t["target_value"] > t["baseline_value"]
        if t["target_value"] == t["baseline_value"] or up != (t["direction"] == "increase"):
            raise RuleError(f"{where}: direction {t['direction']!r} contradicts baseline {t['baseline_value']} → "
                            f"target {t['target_value']}")
    if df.duplicated(["indicator", "scope", "scope_id", "target_year"]).any():
        raise RuleError("targets: duplicate (indicator, scope, scope_id, target_year)")
    return df.reset_index(drop=True)


def parse_targets(raw: Mapping[str, Any]) -> TargetSet:
    rows = raw.get("targets")
    if not isinstance(rows, list) or not rows:
        raise RuleError("targets file: need at least one [[targets]] entry")
    m = dict(raw.get("monitor", {}))
    if extra := set(m) - {"at_risk_gap", "behind_gap", "ahead_gap", "cagr_window"}:
        raise RuleError(f"targets file [monitor]: unknown keys {sorted(extra)}")
    return TargetSet(validate_targets(pd.DataFrame(rows)), MonitorRules(**m), dict(raw.get("meta", {})))


def load_targets(path: str | Path | None = None, packaged: str = "fyp14-national") -> TargetSet:
    """Targets from ``path``, else a packaged file: "fyp14-national" (seed 001) or "example-zone" (invented)."""
    if path is None and packaged not in PACKAGED:
        raise RuleError(f"no packaged targets {packaged!r} (have {', '.join(PACKAGED)})")
    return parse_targets(read_toml(path, PACKAGED[packaged]))


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


def _evaluate(t: Mapping[str, Any], s: pd.Series, year: int, view: str, rules: MonitorRules) -> dict[str, Any]:
    by, ty = int(t["baseline_year"]), int(t["target_year"])
    base, target = float(t["baseline_value"]), float(t["target_value"])
    actual = float(s.get(year, np.nan))
    progress = (actual - base) / (target - base)
    expected = min(max((year - by) / (ty - by), 0.0), 1.0)
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
        "direction": t["direction"], "actual": actual, "progress": progress, "expected_progress": expected,
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
