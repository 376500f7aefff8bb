"""亩均 arithmetic on hand-made enterprises: indicators, the Huangyan 2022 score, populations at their thresholds,
the missing-emission rule, grades at the 25/70/95 cut-offs, the roll-up and the price-schedule simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.analysis import mujun as am
from gaoxin.analysis import mujun_expr as mx
from gaoxin.config import ConfigError

RULES = am.load_rules()


def firm(**kw) -> dict:
    base = {"credit_code": "X", "zone_id": "Z", "year": 2022, "industry_code": None, "taxes": np.nan,
            "value_added": np.nan, "land_area_mu": np.nan, "energy_tce": np.nan, "electricity_mwh": np.nan,
            "emissions_t": np.nan, "employees": np.nan, "rd_expense": np.nan, "revenue": np.nan,
            "founded_year": 2000.0}
    return {**base, **kw}


def evaluate(rows: list[dict], rules: am.MujunRules = RULES) -> pd.DataFrame:
    """The 亩均 expression run on hand-made firms (in-process DuckDB), indexed by credit code."""
    out = mx.evaluate_frame(pd.DataFrame(rows), rules, 2.66)
    return out.to_pandas().set_index("credit_code")


FULL = firm(credit_code="A", revenue=50000, land_area_mu=10, taxes=2409.7, value_added=13616, energy_tce=680.8,
            emissions_t=0.5, employees=100, rd_expense=1510)


def test_huangyan_score_by_hand():
    r = evaluate([FULL]).loc["A"]
    # 亩均税收 240.97 万元 / 10 亩 = 24.097 = B1; 亩均增加值 1361.6 / 10 = 136.16 = B2; 1361.6 / 680.8 = 2 万元/tce;
    # 1361.6 / 0.5 = 2723.2 万元/t; 1361.6 / 100 = 13.616 万元/人; 1510 / 50000 = 0.0302 = B6
    assert r["tax_per_mu"] == pytest.approx(24.097)
    assert r["va_per_energy"] == pytest.approx(2.0)
    expected = 30 + 20 + 20 * 2 / 2.694 + 10 * 2723.2 / 4929.81 + 10 * 13.616 / 18.14 + 10
    assert r["score"] == pytest.approx(expected)
    assert r["population"] == "above_scale" and r["formula"] == "full" and r["missing"] == ""
    # the benchmark applied, where some formula computes it (tax_per_mu: the small firms); published-only ones
    # are in the benchmark record, not repeated on every row
    assert r["bench_tax_per_mu"] == 24.097 and "bench_rd_intensity" not in r


@pytest.mark.parametrize(("revenue", "land", "expected"), [
    (20000, 10, "above_scale"), (20000.1, 10, "above_scale"), (19999.9, 10, "below_scale_3mu"),
    (100, 3.0, "below_scale_3mu"), (100, 3.01, "below_scale_3mu"), (100, 2.99, "below_scale_small"),
    (50000, 0, "tenant"), (50000, np.nan, "tenant")])
def test_populations_at_their_thresholds(revenue, land, expected):
    assert evaluate([firm(revenue=revenue, land_area_mu=land)]).at["X", "population"] == expected


def test_missing_emission_takes_the_group_average_term_score():
    b = {**FULL, "credit_code": "B", "emissions_t": 0.25}  # 5446.4 万元/t
    c = {**FULL, "credit_code": "C", "emissions_t": np.nan}
    r = evaluate([FULL, b, c])
    mean = (10 * 2723.2 / 4929.81 + 10 * 5446.4 / 4929.81) / 2
    assert r.at["C", "score_va_per_emission"] == pytest.approx(mean)
    assert r.at["C", "missing"] == "" and not np.isnan(r.at["C", "score"])


def test_other_missing_inputs_make_the_score_unknown_not_zero():
    r = evaluate([{**FULL, "energy_tce": np.nan}]).loc["A"]
    assert np.isnan(r["score"]) and r["missing"] == "va_per_energy"
    assert pd.isna(r["grade"]) and r["not_graded"] == "unknown_score"
    r = evaluate([{**FULL, "energy_tce": np.nan, "employees": np.nan}]).loc["A"]
    assert r["missing"] == "va_per_energy;labour_productivity"  # in the formula's order


def test_small_firm_formula_against_the_population_benchmark():
    s1 = firm(credit_code="s1", revenue=100, taxes=100, land_area_mu=2, electricity_mwh=10)
    s2 = firm(credit_code="s2", revenue=100, taxes=300, land_area_mu=2, electricity_mwh=30)
    r = evaluate([s1, s2, FULL])
    # benchmarks over the two small firms: 0.1·400/4 = 10 万元/亩, 400/40 = 10 万元/万kWh
    assert r.at["s1", "score"] == pytest.approx(50 * 5 / 10 + 50 * 10 / 10)
    assert r.at["s2", "score"] == pytest.approx(50 * 15 / 10 + 50 * 10 / 10)
    assert r.at["s1", "formula"] == "small" and r.at["s1", "bench_tax_per_mu"] == pytest.approx(10.0)


def one_term(**populations) -> am.MujunRules:
    """Every population scored by R&D intensity / 1: a firm's score is rd_expense / revenue, exactly."""
    doc = RULES.model_dump()
    doc["formulas"] = {"one": {"name_zh": "一项", "terms": [{"indicator": "rd_intensity", "weight": 1,
                                                            "benchmark": 1.0}]}}
    doc["assign"] = dict.fromkeys(doc["assign"], "one")
    doc["populations"].update(populations)
    return am.MujunRules(**doc)


ONE = one_term()


def scored(score: float, i: int, **kw) -> dict:
    """A gradable tenant (no land) whose score is ``score``."""
    return firm(credit_code=f"f{i:03d}", revenue=1.0, rd_expense=score, **kw)


def grades_of(scores: list[float]) -> list[str]:
    r = evaluate([scored(x, i) for i, x in enumerate(scores)], ONE)
    return [r.at[f"f{i:03d}", "grade"] for i in range(len(scores))]


def test_grades_at_the_25_70_95_cut_offs():
    g = grades_of([float(20 - i) for i in range(20)])  # rank i+1: 5·i % of the firms are ahead
    assert g[:5] == ["A"] * 5  # ranks 1–5: 0–20 % ahead (< 25)
    assert g[5:14] == ["B"] * 9  # ranks 6–14: 25 % (at the cut: B) … 65 %
    assert g[14:19] == ["C"] * 5  # ranks 15–19: 70 % … 90 %
    assert g[19] == "D"  # rank 20: 95 % ahead
    g21 = grades_of([float(21 - i) for i in range(21)])  # just above 20 firms: 100·5/21 = 23.8 % → rank 6 is A
    assert g21[:6] == ["A"] * 6 and g21[6] == "B"


def test_grades_exactly_at_just_below_and_just_above_each_cut():
    g = grades_of([float(100 - i) for i in range(100)])  # 100 firms: rank k has k − 1 % ahead
    assert (g[23], g[24], g[25]) == ("A", "A", "B")  # ranks 24, 25, 26: 23 %, 24 %, 25 % (at the cut: B)
    assert (g[68], g[69], g[70]) == ("B", "B", "C")  # 68 %, 69 %, 70 %
    assert (g[93], g[94], g[95]) == ("C", "C", "D")  # 93 %, 94 %, 95 %
    assert g.count("A") == 25 and g.count("B") == 45 and g.count("C") == 25 and g.count("D") == 5
    g19 = grades_of([float(19 - i) for i in range(19)])  # the last of 19 has 18/19 = 94.7 % ahead: C, no D
    assert g19[-1] == "C" and "D" not in g19


def test_ties_across_a_cut_share_the_better_grade():
    # 8 firms: ranks 1, 2, 2, 2, 5, …: the tied firms have 1/8 = 12.5 % ahead → A, though the fourth of them
    # would be at 37.5 % by position
    g = grades_of([9.0, 8.0, 8.0, 8.0, 7.0, 6.0, 5.0, 4.0])
    assert g == ["A", "A", "A", "A", "B", "B", "C", "C"]  # 50 %, 62.5 %, 75 %, 87.5 % ahead


def test_tied_scores_share_the_better_grade():
    assert grades_of([5.0, 5.0, 5.0, 5.0]) == ["A"] * 4
    assert grades_of([4.0, 3.0, 2.0, 1.0]) == ["A", "B", "B", "C"]  # 0, 25, 50, 75 % ahead
    assert grades_of([3.0, 2.0, 2.0, 1.0]) == ["A", "B", "B", "C"]
    assert grades_of([7.0]) == ["A"]


def test_populations_are_graded_separately():
    above = [firm(credit_code=f"a{i}", revenue=20000, land_area_mu=10, rd_expense=20000 * x)
             for i, x in enumerate([100.0, 90.0, 80.0, 70.0])]
    tenants = [scored(x, i) for i, x in enumerate([10.0, 9.0, 8.0, 7.0])]
    r = evaluate(above + tenants, ONE)
    assert list(r.loc[["a0", "a1", "a2", "a3"], "grade"]) == ["A", "B", "B", "C"]
    assert list(r.loc[["f000", "f001", "f002", "f003"], "grade"]) == ["A", "B", "B", "C"]  # 10 points: A
    assert set(r["n_graded"]) == {4}


FLOOR = one_term(land_floor_mu=1.0)


@pytest.mark.parametrize(("kw", "reason"), [
    ({"founded_year": 2022.0}, "startup"), ({"founded_year": 2021.0}, ""),
    ({"industry_code": "4411"}, "excluded_class"), ({"industry_code": "3911"}, ""),
    ({"land_area_mu": 0.99}, "land_below_floor"), ({"land_area_mu": 1.0}, ""), ({"land_area_mu": 0.0}, ""),
    ({"land_area_mu": 0.5, "industry_code": "4411"}, "excluded_class")])
def test_scored_but_not_graded(kw, reason):
    r = evaluate([scored(1.0, 0, **kw)], FLOOR).loc["f000"]
    assert r["not_graded"] == reason and r["score"] == 1.0  # scored either way
    assert (r["grade"] == "A") if reason == "" else pd.isna(r["grade"])


def test_firms_below_the_land_floor_do_not_count_among_the_graded():
    # four firms; the two below the 1-亩 floor are scored but neither ranked nor counted
    r = evaluate([scored(4.0, 0, land_area_mu=0.99), scored(3.0, 1, land_area_mu=1.0),
                  scored(2.0, 2, land_area_mu=0.5), scored(1.0, 3, land_area_mu=2.0)], FLOOR).sort_index()
    assert set(r["population"]) == {"below_scale_small"}  # one population: 0 < land < 3 亩
    assert list(r["not_graded"]) == ["land_below_floor", "", "land_below_floor", ""]
    assert r["rank"].fillna(0).tolist() == [0, 1, 0, 2] and set(r["n_graded"].dropna()) == {2}
    assert list(r["grade"].fillna("—")) == ["—", "A", "—", "B"]  # 0 % and 50 % ahead of the two graded


def test_rollup_land_share_and_tax_per_mu_by_grade():
    result = pd.DataFrame([firm(credit_code="a", land_area_mu=10, taxes=100),
                           firm(credit_code="b", land_area_mu=30, taxes=300),
                           firm(credit_code="t", taxes=5)]).assign(grade=["A", "B", None])
    r = mx.on_table(result, mx.rollup_expr).to_pandas().set_index("grade")
    assert list(r.index) == ["A", "B", "—"]
    assert r.at["A", "land_share"] == pytest.approx(0.25) and r.at["B", "land_share"] == pytest.approx(0.75)
    assert r.at["A", "tax_per_mu"] == pytest.approx(1.0)  # 10 万元 / 10 亩
    assert r.at["—", "firms"] == 1 and r.at["—", "land_mu"] == 0 and np.isnan(r.at["—", "tax_per_mu"])


def test_simulation_cost_per_firm():
    sched = am.load_schedule().schedule
    result = pd.DataFrame([firm(credit_code=c, electricity_mwh=100) for c in "abc"]
                          + [firm(credit_code="d")]).assign(grade=["A", "C", "D", "C"])
    s = am.simulate(result, sched).set_index("credit_code")
    assert s.at["a", "cost_wan"] == 0.0
    assert s.at["b", "cost_wan"] == pytest.approx(1.0)  # 100 MWh = 100 000 kWh × 0.10 元 = 1 万元
    assert s.at["c", "cost_wan"] == pytest.approx(1.5)
    assert np.isnan(s.at["d", "cost_wan"])  # graded C, no electricity figure: unknown


def test_zero_denominators_are_missing_not_infinite():
    r = evaluate([firm(taxes=10, land_area_mu=0, value_added=10, employees=0)]).loc["X"]
    assert r[list(am.INDICATORS)].isna().all()


def test_rule_file_is_strict(tmp_path):
    text = am.RULES_DIR.joinpath("huangyan-2022.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("startup_years", "startup_yeers"), encoding="utf-8")
    with pytest.raises(ConfigError, match="startup_yeers"):
        am.load_rules(bad)
    bad.write_text(text.replace('tenant = "tenant"', 'tenant = "nope"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="nope"):
        am.load_rules(bad)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('benchmark_from = "population_mean" },', 'benchmark = "population" },', "benchmark_from"),
    ('benchmark_from = "population_mean" },', 'benchmark_from = "zone_avg" },', "zone_mean"),
    ('benchmark_from = "population_mean" },', 'benchmark = 3, benchmark_from = "zone_mean" },', "exactly one"),
    ("benchmark = 24.097 }", "benchmark = 0 }", "greater than 0"),
    ("benchmark = 136.16 }", "benchmark = 136.16 },\n  { indicator = \"va_per_mu\", weight = 1, benchmark = 1 }",
     "at most once")])
def test_benchmark_keys_are_checked(tmp_path, old, new, message):
    text = am.RULES_DIR.joinpath("huangyan-2022.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as e:
        am.load_rules(bad)
    assert "formulas." in str(e.value)  # the key path of the offending term
