"""Benchmarks computed from the data (``benchmark_from``), on a hand-computed example of five firms in three
zones of two provinces, and the record of the benchmark values used."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gaoxin.analysis import mujun as am
from gaoxin.analysis import mujun_expr as mx

BASE = am.load_rules()


def rules(benchmark_from: str) -> am.MujunRules:
    """Every firm scored by 100 × 亩均税收 / benchmark."""
    doc = BASE.model_dump()
    doc["formulas"] = {"tax": {"name_zh": "税收", "terms": [{"indicator": "tax_per_mu", "weight": 100,
                                                            "benchmark_from": benchmark_from}]}}
    doc["assign"] = dict.fromkeys(doc["assign"], "tax")
    return am.MujunRules(**doc)


def firm(code: str, zone: str, province: str, taxes: float, land: float) -> dict:
    return {"credit_code": code, "zone_id": zone, "province_code": province, "year": 2024, "industry_code": None,
            "taxes": taxes, "value_added": np.nan, "land_area_mu": land, "energy_tce": np.nan,
            "electricity_mwh": np.nan, "emissions_t": np.nan, "employees": 10.0, "rd_expense": np.nan,
            "revenue": 50000.0, "founded_year": 2000.0}


# 亩均税收 = 0.1 × taxes (千元) / land: a 1.0, b 3.0, c 4.0, d 2.0 万元/亩; e has no tax figure
FIRMS = pd.DataFrame([firm("a", "Z1", "11", 100, 10), firm("b", "Z1", "11", 300, 10),
                      firm("c", "Z2", "11", 800, 20), firm("d", "Z3", "22", 600, 30),
                      firm("e", "Z3", "22", np.nan, 5)])

# Σ tax / Σ land over firms with both: Z1 40/20 = 2, Z2 80/20 = 4, Z3 60/30 = 2 (e's land does not count);
# province 11: 120/40 = 3, province 22: 2; all: 180/70; medians of the firms' own ratios: Z1 (1, 3) → 2,
# province 11 (1, 3, 4) → 3, all (1, 3, 4, 2) → 2.5
EXPECTED = {
    "zone_mean": {"a": 2.0, "b": 2.0, "c": 4.0, "d": 2.0},
    "province_mean": {"a": 3.0, "b": 3.0, "c": 3.0, "d": 2.0},
    "all_mean": dict.fromkeys("abcd", 180 / 70),
    "zone_median": {"a": 2.0, "b": 2.0, "c": 4.0, "d": 2.0},
    "province_median": {"a": 3.0, "b": 3.0, "c": 3.0, "d": 2.0},
    "all_median": dict.fromkeys("abcd", 2.5),
    "population_mean": {"a": 2.0, "b": 2.0, "c": 4.0, "d": 2.0},  # one population per zone here
}
TAX_PER_MU = {"a": 1.0, "b": 3.0, "c": 4.0, "d": 2.0}


@pytest.mark.parametrize("source", list(EXPECTED))
def test_benchmark_from_the_data_by_hand(source):
    r = mx.evaluate_frame(FIRMS, rules(source), 2.66).to_pandas().set_index("credit_code")
    for code, bench in EXPECTED[source].items():
        assert r.at[code, "bench_tax_per_mu"] == pytest.approx(bench, rel=1e-12)
        assert r.at[code, "score"] == pytest.approx(100 * TAX_PER_MU[code] / bench, rel=1e-12)
    assert math.isnan(r.at["e", "score"]) and r.at["e", "missing"] == "tax_per_mu"  # e has its benchmark, no tax


def test_a_scope_without_data_gives_no_benchmark_and_an_unknown_score():
    lone = pd.DataFrame([firm("x", "Z9", "33", np.nan, 5), firm("a", "Z1", "11", 100, 10)])
    r = mx.evaluate_frame(lone, rules("zone_mean"), 2.66).to_pandas().set_index("credit_code")
    assert math.isnan(r.at["x", "bench_tax_per_mu"]) and math.isnan(r.at["x", "score"])
    assert r.at["a", "score"] == pytest.approx(100.0)  # its own zone's average: 100 × 1 / 1


def test_the_result_records_the_benchmark_values_used():
    r = mx.evaluate_frame(FIRMS, rules("province_mean"), 2.66)
    rec = mx.benchmark_records(r, rules("province_mean"), 2024)
    assert rec == [
        {"formula": "tax", "indicator": "tax_per_mu", "benchmark_from": "province_mean", "year": 2024,
         "zone_id": None, "province_code": "11", "population": None, "value": pytest.approx(3.0)},
        {"formula": "tax", "indicator": "tax_per_mu", "benchmark_from": "province_mean", "year": 2024,
         "zone_id": None, "province_code": "22", "population": None, "value": pytest.approx(2.0)}]
    fixed = BASE
    r = mx.evaluate_frame(FIRMS, fixed, 2.66)
    rec = pd.DataFrame(mx.benchmark_records(r, fixed, 2024))
    full = rec[rec["formula"] == "full"].set_index("indicator")
    assert full.at["tax_per_mu", "value"] == 24.097 and full.at["tax_per_mu", "benchmark_from"] == "fixed"
    assert full["zone_id"].isna().all() and len(full) == 6  # one row per fixed term and year


def test_missing_emission_mean_when_the_emission_benchmark_is_computed():
    doc = BASE.model_dump()
    doc["formulas"] = {"em": {"name_zh": "排放", "terms": [{"indicator": "va_per_emission", "weight": 10,
                                                           "benchmark_from": "zone_mean"}]}}
    doc["assign"] = dict.fromkeys(doc["assign"], "em")
    rules = am.MujunRules(**doc)
    rows = [firm(c, "Z", "11", 1.0, 10) | {"value_added": 13616.0, "emissions_t": em}
            for c, em in (("a", 0.5), ("b", 0.25), ("c", np.nan))]
    r = mx.evaluate_frame(pd.DataFrame(rows), rules, 2.66).to_pandas().set_index("credit_code")
    # benchmark: 0.1 × (13616 + 13616) / (0.5 + 0.25) = 3630.93 万元/t (c has no emission figure: not in it);
    # terms 10 × 2723.2 / 3630.93 = 7.5 and 10 × 5446.4 / 3630.93 = 15; c takes their mean, 11.25
    assert r.at["a", "bench_va_per_emission"] == pytest.approx(0.1 * 27232 / 0.75)
    assert r.at["a", "score"] == pytest.approx(7.5) and r.at["b", "score"] == pytest.approx(15.0)
    assert r.at["c", "score"] == pytest.approx(11.25) and r.at["c", "missing"] == ""
