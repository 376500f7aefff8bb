"""Zone types, grades, dynamic management and plan monitoring: rules files, boundaries, hand-worked numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gaoxin.evaluation.classify import (
    RuleError,
    classify,
    grade,
    load_grades,
    load_zone_types,
    parse_condition,
    parse_grades,
    parse_zone_types,
)
from gaoxin.evaluation.manage import ManageRules, load_rules, manage, parse_rules, timeline
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

# ---------------------------------------------------------------- rules parsing


def test_parse_condition_ok_and_errors() -> None:
    c = parse_condition({"column": "rank", "op": "<=", "value": 10})
    assert (c.column, c.op, c.value) == ("rank", "<=", 10)
    assert parse_condition({"column": "region", "op": "==", "value": "东部"}).value == "东部"
    bad = [
        {"column": "rank", "op": "=<", "value": 1},  # unknown operator
        {"column": "rank", "op": "<="},  # missing value
        {"column": "rank", "op": "<=", "value": 1, "extra": 2},  # unknown key
        {"column": "", "op": "<=", "value": 1},
        {"column": "region", "op": "<", "value": "东部"},  # ordering on a string
        {"column": "rank", "op": "<=", "value": [1, 2]},
        {"column": "rank", "op": "<=", "value": float("nan")},
        "rank <= 10",  # a string is never evaluated
    ]
    for raw in bad:
        with pytest.raises(RuleError):
            parse_condition(raw)  # type: ignore[arg-type]


def _types(*types: dict) -> dict:
    return {"types": list(types)}


FALLBACK = {"id": "f", "label_zh": "创新型特色园区", "label_en": "featured", "conditions": []}


def test_zone_type_rules_errors() -> None:
    top = {"id": "t", "label_zh": "x", "label_en": "x", "conditions": [{"column": "rank", "op": "<=", "value": 1}]}
    with pytest.raises(RuleError, match="fallback"):
        parse_zone_types(_types(top))
    with pytest.raises(RuleError, match="only the last"):
        parse_zone_types(_types(FALLBACK, top, FALLBACK | {"id": "g"}))
    with pytest.raises(RuleError, match="duplicate"):
        parse_zone_types(_types(top, top, FALLBACK))
    with pytest.raises(RuleError, match="match"):
        parse_zone_types(_types(top | {"match": "some"}, FALLBACK))
    with pytest.raises(RuleError, match="label_en"):
        parse_zone_types(_types({"id": "t", "label_zh": "x", "conditions": []}))


def test_packaged_rules_load_and_are_marked_as_assumptions() -> None:
    zt = load_zone_types()
    assert [t.label_zh for t in zt.types] == [
        "世界领先科技园区", "具有世界影响力的高科技园区", "创新型科技园区", "创新型特色园区"]
    assert zt.meta.assumption is True and all(t.assumption for t in zt.types)
    g = load_grades()
    assert [(x.grade, x.max_pct) for x in g.grades] == [("A", 0.25), ("B", 0.70), ("C", 0.95), ("D", 1.0)]
    r = load_rules()
    assert r == ManageRules(meta=r.meta)  # the file and the code defaults agree
    assert r.meta.assumption is True


# ---------------------------------------------------------------- classify


def test_classify_default_top_down() -> None:
    res = pd.DataFrame({"zone_id": [f"Z{i:03d}" for i in range(1, 101)], "score": range(100, 0, -1)})
    out = classify(res).set_index("zone_id")
    assert out.loc["Z001", "zone_type_zh"] == "世界领先科技园区"
    assert out.loc["Z002", "zone_type_zh"] == out.loc["Z010", "zone_type_zh"] == "具有世界影响力的高科技园区"
    assert out.loc["Z011", "zone_type"] == out.loc["Z040", "zone_type"] == "innovative_st"  # rank_pct 0.40 inclusive
    assert out.loc["Z041", "zone_type"] == "innovative_featured"
    assert out.loc["Z041", "type_rule"] == "fallback"
    assert out["zone_type"].notna().all()


def test_classify_indicator_conditions_any_and_missing_values() -> None:
    rules = parse_zone_types(_types(
        {"id": "st", "label_zh": "创新型科技园区", "label_en": "st", "match": "any",
         "conditions": [{"column": "innovation", "op": ">=", "value": 0.8},
                        {"column": "rank", "op": "==", "value": 1}]},
        FALLBACK,
    ))
    res = pd.DataFrame({"zone_id": ["a", "b", "c", "d"], "rank": [1, 2, 3, 4], "innovation": [0.1, 0.8, None, 0.79]})
    out = classify(res, rules).set_index("zone_id")
    assert out["zone_type"].to_dict() == {"a": "st", "b": "st", "c": "f", "d": "f"}  # None never meets a condition
    assert out.loc["b", "type_rule"] == "innovation >= 0.8 or rank == 1"
    with pytest.raises(RuleError, match="innovation"):
        classify(res.drop(columns="innovation"), rules)


# ---------------------------------------------------------------- grades


def test_grade_cutoffs_at_boundaries() -> None:
    out = grade(pd.DataFrame({"score": range(100, 0, -1)}))  # 100 units: rank r ↔ r %
    g = dict(zip(out["rank"].astype(int), out["grade"], strict=True))
    assert [g[r] for r in (1, 25, 26, 70, 71, 95, 96, 100)] == ["A", "A", "B", "B", "C", "C", "D", "D"]
    out20 = grade(pd.DataFrame({"score": range(20, 0, -1)}))  # 20 units: 5 A, 9 B, 5 C, 1 D
    assert out20["grade"].value_counts().to_dict() == {"A": 5, "B": 9, "C": 5, "D": 1}


def test_grade_ties_missing_and_groups() -> None:
    df = pd.DataFrame({"zone_id": list("abcdefgh"), "score": [9, 8, 8, 7, 6, 5, 4, None],
                       "region": ["东部", "东部", "东部", "东部", "西部", "西部", "西部", "西部"]})
    out = grade(df, by="region").set_index("zone_id")
    assert out.loc["b", "rank"] == out.loc["c", "rank"] == 2  # ties share the best rank
    assert out.loc["b", "grade"] == "B"  # 2/7 > 0.25
    assert pd.isna(out.loc["h", "grade"]) and pd.isna(out.loc["h", "rank"])  # no score → not graded
    assert out.loc["e", "rank_in_region"] == 1 and out.loc["e", "grade_in_region"] == "B"  # 1/3 of 3 scored
    assert out.loc["g", "rank_pct_in_region"] == 1.0 and out.loc["g", "grade_in_region"] == "D"
    assert out.loc["d", "grade_in_region"] == "D" and out.loc["a", "grade_in_region"] == "A"


def test_grade_rules_errors() -> None:
    with pytest.raises(RuleError, match="increase"):
        parse_grades({"grades": [{"grade": "A", "max_pct": 0.5}, {"grade": "B", "max_pct": 0.5},
                                 {"grade": "C", "max_pct": 1.0}]})
    with pytest.raises(RuleError, match=r"1\.0"):
        parse_grades({"grades": [{"grade": "A", "max_pct": 0.5}, {"grade": "B", "max_pct": 0.9}]})
    with pytest.raises(RuleError, match="max_pct"):
        parse_grades({"grades": [{"grade": "A", "max_pct": 1.5}]})
    two = parse_grades({"grades": [{"grade": "甲", "max_pct": 0.5}, {"grade": "乙", "max_pct": 1}]})
    assert grade(pd.DataFrame({"score": [4, 3, 2, 1]}), two)["grade"].tolist() == ["甲", "甲", "乙", "乙"]


# ---------------------------------------------------------------- dynamic management

# Best-first order per year for 10 zones. With bottom 20 % (ranks 9–10) as "poor":
# BAD is poor 2020–2024 → 约谈 2020, 通报 2021, exit 2022 on; FIX is poor 2020–2021, then rank 5 → cleared;
# G and H are poor in 2019 (cleared 2020); H is poor again 2022–2024 → a new episode starting with 约谈.
ORDER = {
    2019: ["A", "B", "C", "D", "E", "F", "BAD", "FIX", "G", "H"],
    2020: ["A", "B", "C", "D", "E", "F", "G", "H", "FIX", "BAD"],
    2021: ["A", "B", "C", "D", "E", "F", "G", "H", "FIX", "BAD"],
    2022: ["A", "B", "C", "D", "FIX", "E", "F", "G", "H", "BAD"],
    2023: ["B", "A", "C", "D", "FIX", "E", "F", "G", "H", "BAD"],
    2024: ["B", "A", "C", "D", "FIX", "E", "F", "G", "BAD", "H"],
}
RULES = ManageRules(top_k=2, bottom_pct=0.2, consecutive_years=1, exit_after_years=2, clear_after_years=1)


@pytest.fixture
def panel() -> pd.DataFrame:
    rows = [{"zone_id": z, "year": y, "rank": r, "score": 100.0 - 5 * r,
             "region": "东部" if z in ("A", "C", "E", "G", "BAD") else "西部"}
            for y, order in ORDER.items() for r, z in enumerate(order, start=1)]
    return pd.DataFrame(rows)


def _status(panel: pd.DataFrame, year: int, rules: ManageRules = RULES) -> dict[str, str]:
    out = manage(panel, rules, year=year)
    return dict(zip(out["zone_id"], out["status"], strict=True))


def test_warning_sequence_to_exit_and_clearing(panel: pd.DataFrame) -> None:
    seq = {y: _status(panel, y) for y in ORDER}
    assert [seq[y]["BAD"] for y in ORDER] == ["normal", "warning_interview", "warning_notice", "exit_recommended",
                                              "exit_recommended", "exit_recommended"]
    assert [seq[y]["FIX"] for y in ORDER] == ["normal", "warning_interview", "warning_notice", "normal", "normal",
                                              "normal"]
    assert seq[2019]["G"] == seq[2019]["H"] == "warning_interview"
    assert seq[2020]["G"] == "normal"
    # the 2019 episode was cleared: a new one starts with 约谈, not 通报
    assert [seq[y]["H"] for y in (2022, 2023, 2024)] == ["warning_interview", "warning_notice", "exit_recommended"]
    # the same states come out of the year-by-year timeline
    tl = timeline(panel, RULES).set_index(["zone_id", "year"])
    assert tl.loc[("BAD", 2022), "status"] == "exit_recommended" and tl.loc[("BAD", 2022), "first_warning"] == 2020


def test_exit_row_carries_its_evidence(panel: pd.DataFrame) -> None:
    out = manage(panel, RULES, year=2022).set_index("zone_id")
    bad = out.loc["BAD"]
    assert [(h["year"], h["rank"], h["n"], h["score"]) for h in bad["history"]] == [
        (2020, 10, 10, 50.0), (2021, 10, 10, 50.0), (2022, 10, 10, 50.0)]
    assert bad["status_zh"] == "建议撤销" and bad["first_warning"] == 2020
    assert "2020年第10/10名" in bad["reason_zh"] and "退出国家高新区序列" in bad["reason_zh"]
    assert "exit recommended" in bad["reason_en"] and "2020" in bad["reason_en"]
    fix = out.loc["FIX"]
    assert "警告解除" in fix["reason_zh"] and [h["year"] for h in fix["history"]] == [2020, 2021, 2022]
    assert out.index[0] == "BAD"  # most severe first


def test_praise_top_k_latest_year(panel: pd.DataFrame) -> None:
    out = manage(panel, RULES)  # latest year 2024
    assert set(out["year"]) == {2024}
    praised = out[out["status"] == "praise"]
    assert praised["zone_id"].tolist() == ["B", "A"]  # by rank
    assert "通报表扬" in praised["reason_zh"].iloc[0] and "2024年第1/10名" in praised["reason_zh"].iloc[0]
    assert _status(panel, 2024, ManageRules(top_k=3, bottom_pct=0.2))["C"] == "praise"


def test_consecutive_years_and_slow_clearing(panel: pd.DataFrame) -> None:
    two = ManageRules(top_k=0, bottom_pct=0.2, consecutive_years=2, exit_after_years=2)
    assert [_status(panel, y, two)["BAD"] for y in ORDER] == [
        "normal", "normal", "warning_interview", "warning_notice", "exit_recommended", "exit_recommended"]
    assert _status(panel, 2019, two)["G"] == "normal"  # one poor year is not enough
    slow = ManageRules(top_k=0, bottom_pct=0.2, clear_after_years=2)
    out = manage(panel, slow, year=2022).set_index("zone_id")
    assert out.loc["FIX", "status"] == "normal" and out.loc["FIX", "first_warning"] == 2020  # still open
    assert "尚未解除" in out.loc["FIX", "reason_zh"]
    assert pd.isna(manage(panel, slow, year=2023).set_index("zone_id").loc["FIX", "first_warning"])


def test_score_threshold_rank_from_score_and_groups(panel: pd.DataFrame) -> None:
    by_score = ManageRules(top_k=0, bottom_pct=0.0, score_below=52.0)  # only rank 10 (score 50) is poor
    st = _status(panel.drop(columns="rank"), 2021, by_score)  # ranks recomputed from score
    assert st["BAD"] == "warning_notice" and st["FIX"] == "normal"
    regional = ManageRules(top_k=1, bottom_pct=0.2, group_by="region")  # rank within 5-zone regions
    out = manage(panel, regional, year=2020).set_index("zone_id")
    assert out.loc["BAD", "rank"] == 5 and out.loc["BAD", "n_ranked"] == 5
    assert out.loc["BAD", "status"] == "warning_interview" and out.loc["FIX", "status"] == "warning_interview"
    assert out.loc["A", "status"] == out.loc["B", "status"] == "praise"


def test_manage_rules_errors(panel: pd.DataFrame) -> None:
    with pytest.raises(RuleError):
        ManageRules(bottom_pct=1.5)
    with pytest.raises(RuleError):
        ManageRules(bottom_pct=0.0)
    with pytest.raises(RuleError):
        ManageRules(exit_after_years=0)
    with pytest.raises(RuleError, match=r"warning\.bottom_pc: .*unknown key; did you mean `bottom_pct`"):
        parse_rules({"warning": {"bottom_pc": 0.1}})
    assert parse_rules({"warning": {"bottom_pct": 0.2}}).bottom_pct == 0.2
    with pytest.raises(RuleError, match="one row"):
        manage(pd.concat([panel, panel.head(1)]), RULES)


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
