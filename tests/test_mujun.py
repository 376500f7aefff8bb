"""亩均 arithmetic on hand-made enterprises: indicators, the Huangyan 2022 score, populations at their thresholds,
the missing-emission rule, grades at the 25/70/95 cut-offs, the roll-up and the price-schedule simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.analysis import mujun as am
from gaoxin.config import ConfigError

RULES = am.load_rules()


def firm(**kw) -> dict:
    base = {"credit_code": "X", "zone_id": "Z", "year": 2022, "taxes": np.nan, "value_added": np.nan,
            "land_area_mu": np.nan, "energy_tce": np.nan, "electricity_mwh": np.nan, "emissions_t": np.nan,
            "employees": np.nan, "rd_expense": np.nan, "revenue": np.nan, "founded_year": 2000.0, "excluded": 0.0}
    return {**base, **kw}


FULL = firm(credit_code="A", revenue=50000, land_area_mu=10, taxes=2409.7, value_added=13616, energy_tce=680.8,
            emissions_t=0.5, employees=100, rd_expense=1510)


def test_huangyan_score_by_hand():
    r = am.evaluate(pd.DataFrame([FULL]), RULES).iloc[0]
    # 亩均税收 240.97 万元 / 10 亩 = 24.097 = B1; 亩均增加值 1361.6 / 10 = 136.16 = B2; 1361.6 / 680.8 = 2 万元/tce;
    # 1361.6 / 0.5 = 2723.2 万元/t; 1361.6 / 100 = 13.616 万元/人; 1510 / 50000 = 0.0302 = B6
    assert r["tax_per_mu"] == pytest.approx(24.097)
    assert r["va_per_energy"] == pytest.approx(2.0)
    expected = 30 + 20 + 20 * 2 / 2.694 + 10 * 2723.2 / 4929.81 + 10 * 13.616 / 18.14 + 10
    assert r["score"] == pytest.approx(expected)
    assert r["population"] == "above_scale" and r["formula"] == "full" and r["missing"] == ""


@pytest.mark.parametrize(("revenue", "land", "expected"), [
    (20000, 10, "above_scale"), (20000.1, 10, "above_scale"), (19999.9, 10, "below_scale_3mu"),
    (100, 3.0, "below_scale_3mu"), (100, 3.01, "below_scale_3mu"), (100, 2.99, "below_scale_small"),
    (50000, 0, "tenant"), (50000, np.nan, "tenant")])
def test_populations_at_their_thresholds(revenue, land, expected):
    df = pd.DataFrame([firm(revenue=revenue, land_area_mu=land)])
    assert am.population(df, RULES.populations).iloc[0] == expected


def test_missing_emission_takes_the_group_average_term_score():
    b = {**FULL, "credit_code": "B", "emissions_t": 0.25}  # 5446.4 万元/t
    c = {**FULL, "credit_code": "C", "emissions_t": np.nan}
    r = am.evaluate(pd.DataFrame([FULL, b, c]), RULES).set_index("credit_code")
    mean = (10 * 2723.2 / 4929.81 + 10 * 5446.4 / 4929.81) / 2
    assert r.at["C", "score_va_per_emission"] == pytest.approx(mean)
    assert r.at["C", "missing"] == "" and not np.isnan(r.at["C", "score"])


def test_other_missing_inputs_make_the_score_unknown_not_zero():
    r = am.evaluate(pd.DataFrame([{**FULL, "energy_tce": np.nan}]), RULES).iloc[0]
    assert np.isnan(r["score"]) and r["missing"] == "va_per_energy"
    assert pd.isna(r["grade"]) and r["not_graded"] == "unknown_score"


def test_small_firm_formula_against_the_population_benchmark():
    s1 = firm(credit_code="s1", revenue=100, taxes=100, land_area_mu=2, electricity_mwh=10)
    s2 = firm(credit_code="s2", revenue=100, taxes=300, land_area_mu=2, electricity_mwh=30)
    r = am.evaluate(pd.DataFrame([s1, s2, FULL]), RULES).set_index("credit_code")
    # benchmarks over the two small firms: 0.1·400/4 = 10 万元/亩, 400/40 = 10 万元/万kWh
    assert r.at["s1", "score"] == pytest.approx(50 * 5 / 10 + 50 * 10 / 10)
    assert r.at["s2", "score"] == pytest.approx(50 * 15 / 10 + 50 * 10 / 10)
    assert r.at["s1", "formula"] == "small"


def grades_of(scores: list[float]) -> list[str]:
    df = pd.DataFrame([firm(credit_code=f"f{i}") for i in range(len(scores))])
    scored = pd.DataFrame({"population": "above_scale", "score": scores})
    return list(am.grade(scored, df, RULES.grading, pd.Series("", index=df.index))["grade"])


def test_grades_at_the_25_70_95_cut_offs():
    g = grades_of([float(20 - i) for i in range(20)])  # rank i+1: 5·i % of the firms are ahead
    assert g[:5] == ["A"] * 5  # ranks 1–5: 0–20 % ahead (< 25)
    assert g[5:14] == ["B"] * 9  # ranks 6–14: 25 % (at the cut: B) … 65 %
    assert g[14:19] == ["C"] * 5  # ranks 15–19: 70 % … 90 %
    assert g[19] == "D"  # rank 20: 95 % ahead
    g21 = grades_of([float(21 - i) for i in range(21)])  # just above 20 firms: 100·5/21 = 23.8 % → rank 6 is A
    assert g21[:6] == ["A"] * 6 and g21[6] == "B"


def test_tied_scores_share_the_better_grade():
    assert grades_of([5.0, 5.0, 5.0, 5.0]) == ["A"] * 4
    assert grades_of([4.0, 3.0, 2.0, 1.0]) == ["A", "B", "B", "C"]  # 0, 25, 50, 75 % ahead
    assert grades_of([3.0, 2.0, 2.0, 1.0]) == ["A", "B", "B", "C"]
    assert grades_of([7.0]) == ["A"]


def test_populations_are_graded_separately():
    df = pd.DataFrame([firm(credit_code=f"f{i}") for i in range(8)])
    scored = pd.DataFrame({"population": ["above_scale"] * 4 + ["tenant"] * 4,
                           "score": [100.0, 90.0, 80.0, 70.0, 10.0, 9.0, 8.0, 7.0]})
    got = list(am.grade(scored, df, RULES.grading, pd.Series("", index=df.index))["grade"])
    assert got == ["A", "B", "B", "C"] * 2  # a tenant's 10 points is an A among tenants


@pytest.mark.parametrize(("kw", "reason"), [
    ({"founded_year": 2022.0}, "startup"), ({"founded_year": 2021.0}, ""), ({"excluded": 1.0}, "excluded_class"),
    ({"land_area_mu": 0.99}, "land_below_floor"), ({"land_area_mu": 1.0}, ""), ({"land_area_mu": 0.0}, "")])
def test_scored_but_not_graded(kw, reason):
    pops = RULES.populations.model_copy(update={"land_floor_mu": 1.0})
    assert am.gradable(pd.DataFrame([firm(**kw)]), pops).iloc[0] == reason


def test_rollup_land_share_and_tax_per_mu_by_grade():
    firms = pd.DataFrame([firm(credit_code="a", land_area_mu=10, taxes=100),
                          firm(credit_code="b", land_area_mu=30, taxes=300), firm(credit_code="t", taxes=5)])
    result = firms[["credit_code", "zone_id", "year"]].assign(grade=["A", "B", None])
    r = am.rollup(result, firms).set_index("grade")
    assert r.at["A", "land_share"] == pytest.approx(0.25) and r.at["B", "land_share"] == pytest.approx(0.75)
    assert r.at["A", "tax_per_mu"] == pytest.approx(1.0)  # 10 万元 / 10 亩
    assert r.at["—", "firms"] == 1 and np.isnan(r.at["—", "tax_per_mu"])


def test_simulation_cost_per_firm():
    sched = am.load_schedule().schedule
    firms = pd.DataFrame([firm(credit_code=c, electricity_mwh=100) for c in "abc"]
                         + [firm(credit_code="d")])
    result = firms[["credit_code", "zone_id"]].assign(grade=["A", "C", "D", "C"])
    s = am.simulate(result, firms, sched).set_index("credit_code")
    assert s.at["a", "cost_wan"] == 0.0
    assert s.at["b", "cost_wan"] == pytest.approx(1.0)  # 100 MWh = 100 000 kWh × 0.10 元 = 1 万元
    assert s.at["c", "cost_wan"] == pytest.approx(1.5)
    assert np.isnan(s.at["d", "cost_wan"])  # graded C, no electricity figure: unknown


def test_zero_denominators_are_missing_not_infinite():
    ind = am.indicators(pd.DataFrame([firm(taxes=10, land_area_mu=0, value_added=10, employees=0)]))
    assert ind.isna().all(axis=None)


def test_rule_file_is_strict(tmp_path):
    text = am.RULES_DIR.joinpath("huangyan-2022.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("startup_years", "startup_yeers"), encoding="utf-8")
    with pytest.raises(ConfigError, match="startup_yeers"):
        am.load_rules(bad)
    bad.write_text(text.replace('tenant = "tenant"', 'tenant = "nope"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="nope"):
        am.load_rules(bad)
