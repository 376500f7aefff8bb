"""Plan monitoring (``gaoxin.evaluation.monitor``): progress, status thresholds, projections, targets files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gaoxin.evaluation.classify import RuleError
from gaoxin.evaluation.monitor import (
    MonitorRules,
    final,
    load_targets,
    midterm,
    midterm_year,
    monitor,
    parse_targets,
    validate_targets,
)

# ---------------------------------------------------------------- monitoring


def _target(**kw) -> dict:
    t = {"indicator": "x", "scope": "zone", "scope_id": "GX001", "baseline_year": 2020, "baseline_value": 100.0,
         "target_year": 2025, "target_value": 200.0, "direction": "increase", "label_zh": "示例",
         "label_en": "example", "source": "test"}
    return t | kw


def _actuals(values: dict[int, float], **kw) -> pd.DataFrame:
    return pd.DataFrame([{"indicator": "x", "scope": "zone", "scope_id": "GX001", "year": y, "value": v} | kw
                         for y, v in values.items()])


def test_monitor_progress_status_projection_by_hand() -> None:
    targets = pd.DataFrame([_target()])
    row = monitor(targets, _actuals({2021: 120, 2022: 140, 2023: 160}), 2023).iloc[0]
    assert row["progress"] == pytest.approx(0.6) and row["expected_progress"] == pytest.approx(0.6)
    assert row["status"] == "on_track"
    # CAGR over 2020 (baseline) → 2023: 1.6^(1/3) − 1; projection 160 · 1.6^(2/3) = 218.88 ≥ 200
    assert row["cagr"] == pytest.approx(1.6 ** (1 / 3) - 1) and row["cagr_from_year"] == 2020
    assert row["projected_value"] == pytest.approx(218.877, abs=1e-3)
    assert bool(row["projection_reaches_target"]) is True
    assert row["required_cagr"] == pytest.approx(math.sqrt(1.25) - 1)
    one = monitor(targets, _actuals({2021: 120, 2022: 140, 2023: 160}), 2023, MonitorRules(cagr_window=1)).iloc[0]
    assert one["cagr"] == pytest.approx(160 / 140 - 1)
    assert one["projected_value"] == pytest.approx(160 * (8 / 7) ** 2)  # 208.98


@pytest.mark.parametrize(("actual", "status"), [
    (176, "ahead"),  # 0.76 > 0.65
    (165, "on_track"),  # 0.65: upper boundary inclusive
    (155, "on_track"),  # 0.55: lower boundary inclusive
    (154, "behind"),  # 0.54 < 0.55
    (135, "behind"),  # 0.35: the at_risk boundary itself is still behind
    (134, "at_risk"),  # 0.34 < 0.35
])
def test_monitor_status_thresholds(actual: float, status: str) -> None:
    assert monitor(pd.DataFrame([_target()]), _actuals({2023: actual}), 2023)["status"].iloc[0] == status


def test_monitor_decrease_no_data_and_views() -> None:
    dec = _target(baseline_value=0.50, target_value=0.40, direction="decrease")
    row = monitor(pd.DataFrame([dec]), _actuals({2023: 0.44}), 2023).iloc[0]
    assert row["progress"] == pytest.approx(0.6) and row["status"] == "on_track"
    assert row["cagr"] == pytest.approx((0.44 / 0.5) ** (1 / 3) - 1) and row["cagr"] < 0
    assert row["projected_value"] == pytest.approx(0.44 * 0.88 ** (2 / 3))  # 0.4041: not down to 0.40
    assert bool(row["projection_reaches_target"]) is False
    nd = monitor(pd.DataFrame([_target()]), _actuals({2022: 150}), 2023).iloc[0]
    assert nd["status"] == "no_data" and math.isnan(nd["progress"])
    t = pd.DataFrame([_target()])
    assert midterm_year(2020, 2025) == 2023 and midterm_year(2021, 2025) == 2023
    mid = midterm(t, _actuals({2023: 150})).iloc[0]
    assert (mid["view"], mid["year"], mid["status"]) == ("midterm", 2023, "behind")
    assert final(t, _actuals({2025: 200}))["status"].iloc[0] == "achieved"
    assert final(t, _actuals({2025: 199}))["status"].iloc[0] == "missed"
    assert final(t, _actuals({2024: 250}))["status"].iloc[0] == "no_data"


def test_fyp14_zone_count_target_with_actual_count() -> None:
    ts = load_targets()
    t = ts.targets.iloc[0]
    assert (t["baseline_year"], t["baseline_value"], t["target_year"], t["target_value"]) == (2020, 169, 2025, 220)
    assert "seed 001" in t["source"]
    # 178 national zones by Nov 2023 (domain.md): (178 − 169)/(220 − 169) = 9/51 = 0.176 vs 0.6 expected
    act = pd.DataFrame({"indicator": ["national_zone_count"], "scope": ["nation"], "scope_id": ["CN"],
                        "year": [2023], "value": [178]})
    row = monitor(ts, act, 2023).iloc[0]
    assert row["progress"] == pytest.approx(9 / 51) and row["status"] == "at_risk"
    assert row["projected_value"] == pytest.approx(178 * (178 / 169) ** (2 / 3))  # ≈ 184.3
    assert row["projected_value"] == pytest.approx(184.26, abs=0.01)
    assert bool(row["projection_reaches_target"]) is False
    assert midterm(ts, act)["status"].iloc[0] == "at_risk"


def test_example_targets_are_labelled_examples() -> None:
    ex = load_targets(packaged="example-zone")
    assert ex.meta.example is True and len(ex.targets) >= 1
    assert ex.targets["label_zh"].str.startswith("【示例】").all()
    assert ex.targets["label_en"].str.startswith("[EXAMPLE]").all()
    assert ex.targets["source"].str.contains("EXAMPLE").all()
    rd = ex.targets.set_index("indicator").loc["rd_intensity"]
    assert (rd["scope_id"], rd["baseline_value"], rd["target_value"]) == ("GX001", 0.02, 0.03)


def test_targets_errors() -> None:
    with pytest.raises(RuleError, match="contradicts"):
        validate_targets(pd.DataFrame([_target(direction="decrease")]))
    with pytest.raises(RuleError, match="scope"):
        validate_targets(pd.DataFrame([_target(scope="city")]))
    with pytest.raises(RuleError, match="target_year"):
        validate_targets(pd.DataFrame([_target(target_year=2020)]))
    with pytest.raises(RuleError, match="lack"):
        validate_targets(pd.DataFrame([_target()]).drop(columns="source"))
    with pytest.raises(RuleError, match="duplicate"):
        validate_targets(pd.DataFrame([_target(), _target()]))
    with pytest.raises(RuleError, match=r"monitor\.at_risk: .*did you mean `at_risk_gap`"):
        parse_targets({"monitor": {"at_risk": 0.2}, "targets": [_target()]})
    with pytest.raises(RuleError):
        MonitorRules(at_risk_gap=0.01, behind_gap=0.05)
    with pytest.raises(RuleError, match="packaged"):
        load_targets(packaged="nope")
