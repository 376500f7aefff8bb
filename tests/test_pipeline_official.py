"""Official-style scoring (configs/official-2021.toml) on a 4-zone example worked by hand.

Tree: index ← P1 (weight 0.6) ← i1 (benefit, multiplier 1), i2 (cost, multiplier 3)
            ← P2 (weight 0.4) ← i3 (benefit, multiplier 1.5), i4 (benefit, multiplier 0.5)

Raw values (D lacks i1 and i4):

        i1   i2   i3   i4
    A   10    2    3    1
    B    5    4    6    1
    C   20    1    0    2
    D    —    8   12    —

Benchmarks (all-zone best): i1 20, i2 1 (min: cost), i3 12, i4 2. Scores ×100, missing = 0:

        i1    i2     i3    i4
    A   50    50     25    50
    B   25    25     50    50
    C  100   100      0   100
    D    0   12.5   100     0      (i2: cost, 1/8)

Within-pillar shares m_i / Σ m_j: i1 1/4, i2 3/4; i3 3/4, i4 1/4.
P1 = ¼ i1 + ¾ i2: A 50, B 25, C 100, D 9.375.   P2 = ¾ i3 + ¼ i4: A 31.25, B 50, C 25, D 75.
Index = 0.6 P1 + 0.4 P2: A 42.5, B 35, C 70, D 35.625 → ranks C 1, A 2, D 3, B 4.
Effective indicator weights: i1 0.15, i2 0.45, i3 0.30, i4 0.10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.evaluation import pipeline as pl
from gaoxin.evaluation.pipeline import PipelineError, fixed_base, packaged_config, rerun, run_pipeline

NAN = np.nan
DATA = pd.DataFrame({"i1": [10, 5, 20, NAN], "i2": [2, 4, 1, 8], "i3": [3, 6, 0, 12], "i4": [1, 1, 2, NAN]},
                    index=pd.Index(["A", "B", "C", "D"], name="uCode"), dtype=float)
META = pd.DataFrame([
    {"iCode": "i1", "Parent": "P1", "Type": "Indicator", "Level": 1, "Weight": 1.0, "Multiplier": 1.0, "Direction": 1},
    {"iCode": "i2", "Parent": "P1", "Type": "Indicator", "Level": 1, "Weight": 3.0, "Multiplier": 3.0, "Direction": -1},
    {"iCode": "i3", "Parent": "P2", "Type": "Indicator", "Level": 1, "Weight": 1.5, "Multiplier": 1.5, "Direction": 1},
    {"iCode": "i4", "Parent": "P2", "Type": "Indicator", "Level": 1, "Weight": 0.5, "Multiplier": 0.5, "Direction": 1},
    {"iCode": "P1", "Parent": "Index", "Type": "Aggregate", "Level": 2, "Weight": 0.6, "Multiplier": 1.0,
     "Direction": 1},
    {"iCode": "P2", "Parent": "Index", "Type": "Aggregate", "Level": 2, "Weight": 0.4, "Multiplier": 1.0,
     "Direction": 1},
    {"iCode": "Index", "Parent": None, "Type": "Aggregate", "Level": 3, "Weight": 1.0, "Multiplier": 1.0,
     "Direction": 1},
])


@pytest.fixture(scope="module")
def official():
    return run_pipeline(DATA, META, packaged_config("official-2021"))


def test_indicator_scores_by_hand(official):
    want = pd.DataFrame({"i1": [50, 25, 100, 0], "i2": [50, 25, 100, 12.5], "i3": [25, 50, 0, 100],
                         "i4": [50, 50, 100, 0]}, index=DATA.index, dtype=float)
    pd.testing.assert_frame_equal(official.scores[["i1", "i2", "i3", "i4"]], want, check_names=False)


def test_pillars_index_and_ranks_by_hand(official):
    s = official.scores
    np.testing.assert_allclose(s["P1"], [50, 25, 100, 9.375])
    np.testing.assert_allclose(s["P2"], [31.25, 50, 25, 75])
    np.testing.assert_allclose(s["Index"], [42.5, 35, 70, 35.625])
    assert official.ranks["Index"].tolist() == [2, 4, 1, 3]


def test_benchmarks_and_weights_logged(official):
    norm = next(e for e in official.log if e["step"] == "normalise")
    assert norm["resolved"]["benchmark"] == {"i1": 20.0, "i2": 1.0, "i3": 12.0, "i4": 2.0}
    assert norm["resolved"]["worst"] == {"i1": 5.0, "i2": 8.0, "i3": 0.0, "i4": 1.0}
    imp = next(e for e in official.log if e["step"] == "impute")
    assert imp["details"]["imputed"] == 2  # D's i1 and i4 count 0
    eff = next(e for e in official.log if e["step"] == "weight")["details"]["effective"]
    assert eff == pytest.approx({"i1": 0.15, "i2": 0.45, "i3": 0.30, "i4": 0.10})


def test_published_benchmarks_clip_at_one():
    steps = packaged_config("official-2021")
    steps[0] = pl.Step("normalise", {**steps[0].params, "reference": "values",
                                     "values": {"i1": 15.0, "i2": 2.0, "i3": 12.0, "i4": 2.0}})
    s = run_pipeline(DATA, META, steps).scores
    np.testing.assert_allclose(s["i1"], [200 / 3, 100 / 3, 100, 0])  # C: 20/15 clipped to 1
    np.testing.assert_allclose(s["i2"], [100, 50, 100, 25])  # cost 2/x: A at the benchmark, C better: clipped


def test_rerun_identical_and_hash_stable(official):
    again = rerun(DATA, META, official.log)
    pd.testing.assert_frame_equal(again.scores, official.scores)
    assert again.config_hash == official.config_hash == pl.config_hash(packaged_config("official-2021"))


def test_fixed_base_identical_data_same_index(official):
    """A zone whose data are the same in two years gets the same fixed-base index, whatever the others do."""
    later = DATA.copy()
    later.loc["B"] = [40, 0.5, 24, 4]  # B improves beyond every base benchmark; A stays the same
    steps = fixed_base(packaged_config("official-2021"), official.log, 2021)
    base_again = run_pipeline(DATA, META, steps).scores["Index"]
    year2 = run_pipeline(later, META, steps).scores["Index"]
    assert base_again.tolist() == official.scores["Index"].tolist()
    assert year2["A"] == official.scores["Index"]["A"]
    assert year2["B"] == 100.0  # every indicator at or beyond the base year's benchmark
    floating = run_pipeline(later, META, packaged_config("official-2021")).scores["Index"]
    assert floating["A"] < official.scores["Index"]["A"]  # year-on-year benchmarks move A although A did not


def test_fixed_base_needs_benchmark_normalisation():
    with pytest.raises(PipelineError, match="benchmark"):
        fixed_base(packaged_config("robust"), [], 2021)


# ---------------------------------------------------------------- properties on random data

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

_values = arrays(float, (6, 4), elements=st.one_of(st.floats(-50, 1000, allow_nan=False, width=32),
                                                   st.just(np.nan)))


@settings(max_examples=60, deadline=None)
@given(_values)
def test_index_is_the_effective_weighted_sum_of_indicator_scores(a):
    """Additive by construction (what rank-change explanations rely on): index = Σ effective weight × score,
    every score in [0, 100]; the index too."""
    data = pd.DataFrame(a, index=list("ABCDEF"), columns=["i1", "i2", "i3", "i4"])
    r = run_pipeline(data, META, packaged_config("official-2021"))
    s = r.scores[["i1", "i2", "i3", "i4"]]
    assert ((s >= 0) & (s <= 100)).all().all()
    eff = pd.Series(next(e for e in r.log if e["step"] == "weight")["details"]["effective"])
    np.testing.assert_allclose(r.scores["Index"], s[eff.index] @ eff, rtol=1e-12, atol=1e-9)
    assert r.scores["Index"].between(0, 100 + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(_values, st.integers(0, 5), st.floats(0.1, 500))
def test_more_of_a_benefit_indicator_never_lowers_a_zone_under_fixed_benchmarks(a, zone, extra):
    data = pd.DataFrame(a, index=list("ABCDEF"), columns=["i1", "i2", "i3", "i4"])
    base = run_pipeline(data, META, packaged_config("official-2021"))
    steps = fixed_base(packaged_config("official-2021"), base.log, 2021)
    more = data.copy()
    more.iloc[zone, 0] = (0.0 if np.isnan(more.iloc[zone, 0]) else more.iloc[zone, 0]) + extra  # i1: benefit
    before = run_pipeline(data, META, steps).scores["Index"].iloc[zone]
    after = run_pipeline(more, META, steps).scores["Index"].iloc[zone]
    assert after >= before - 1e-9
