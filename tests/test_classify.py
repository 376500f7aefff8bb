"""Zone types and grades (``gaoxin.evaluation.classify``): rules files, boundaries, hand-worked numbers."""

from __future__ import annotations

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
