"""Normalisation (``gaoxin.evaluation.methods.normalise``): ranges, directions, benchmarks, rank invariance,
the array path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import frames, units_frame
from gaoxin.methods import (
    distance_to_target,
    goalposts,
    minmax,
    normalise,
    percentile_rank,
    rank,
    ratio_to_benchmark,
    zscore,
)


def test_minmax_range_and_direction():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0]})
    out = minmax(X, pd.Series({"a": 1, "b": -1}))
    assert out["a"].tolist() == [0.0, 50.0, 100.0]
    assert out["b"].tolist() == [100.0, 50.0, 0.0]
    assert normalise(X, "minmax", None, lo=1, hi=10)["a"].tolist() == [1.0, 5.5, 10.0]


def test_zscore_ratio_goalposts_target():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": [2.0, 4.0, 8.0]})
    z = zscore(X)
    assert z["a"].tolist() == [-1.0, 0.0, 1.0]
    r = ratio_to_benchmark(X, "max", {"a": 1, "c": -1})
    assert r["a"].tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert r["c"].tolist() == pytest.approx([1.0, 0.5, 0.25])
    assert ratio_to_benchmark(X, {"a": 2.0, "c": 4.0})["a"].tolist() == [0.5, 1.0, 1.0]
    assert ratio_to_benchmark(X, "total")["c"].tolist() == pytest.approx([2 / 14, 4 / 14, 8 / 14])
    g = goalposts(X, lower=0, upper=4, directions={"a": 1, "c": -1})
    assert g["a"].tolist() == [25.0, 50.0, 75.0]
    assert g["c"].tolist() == [50.0, 0.0, 0.0]
    t = distance_to_target(X, {"a": 2.0, "c": 4.0}, {"a": 1, "c": -1})
    assert t["a"].tolist() == [0.0, 1.0, 1.0]
    assert t["c"].tolist() == [1.0, 1.0, 0.0]


def test_array_normalisation_matches_the_pandas_functions():
    from gaoxin.evaluation.methods.normalise import normalise_array, rank_share

    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(30, 4)), columns=list("abcd"))
    X.loc[[2, 11], "a"] = np.nan
    X["d"] = 3.0  # constant column: minmax → 0.5, zscore → 0
    pairs = {"minmax": minmax(X, lo=0.0, hi=1.0), "zscore": zscore(X), "rank": rank_share(X)}
    for method, expected in pairs.items():
        np.testing.assert_allclose(normalise_array(X.to_numpy(), method), expected.to_numpy(), rtol=1e-12,
                                   equal_nan=True, err_msg=method)
    assert rank_share(X)["b"].max() == 1.0 and rank_share(X)["b"].min() == pytest.approx(1 / 30)
    with pytest.raises(ValueError, match="unknown"):
        normalise_array(X.to_numpy(), "goalposts")


# --- properties ----------------------------------------------------------------------------------------


@given(frames, st.lists(st.sampled_from([1, -1]), min_size=5, max_size=5))
@settings(max_examples=30, deadline=None)
def test_minmax_then_rank_equals_rank(a, dirs):
    X = units_frame(a)
    d = pd.Series(dirs[: X.shape[1]], index=X.columns)
    pd.testing.assert_frame_equal(rank(minmax(X, d)), rank(X, d))


@given(frames)
@settings(max_examples=30, deadline=None)
def test_monotone_transform_leaves_rank_normalisation_unchanged(a):
    X = units_frame(a)
    for f in (np.log1p, np.sqrt, lambda v: 3 * v + 7, np.exp2):
        pd.testing.assert_frame_equal(rank(f(X)), rank(X))
        pd.testing.assert_frame_equal(percentile_rank(f(X)), percentile_rank(X))


# ---------------------------------------------------------------- benchmark scoring (official style)

from gaoxin.evaluation.methods.normalise import benchmark_score, benchmark_values  # noqa: E402


def test_benchmark_values_best_and_percentile_by_hand():
    x = np.array([[1.0, 8.0], [2.0, 4.0], [3.0, 2.0], [np.nan, 1.0], [10.0, np.nan]])
    d = np.array([1.0, -1.0])
    b, w = benchmark_values(x, d)
    assert b.tolist() == [10.0, 1.0] and w.tolist() == [1.0, 8.0]  # cost: best = min, worst = max
    # 90th percentile of (1, 2, 3, 10), linear: position 0.9·3 = 2.7 → 3 + 0.7·7 = 7.9; cost: 10th of
    # (1, 2, 4, 8): position 0.3 → 1 + 0.3·1 = 1.3
    b, _ = benchmark_values(x, d, "percentile", 90)
    np.testing.assert_allclose(b, [7.9, 1.3])


def test_benchmark_score_ratio_cost_reversal_and_clip():
    x = np.array([[5.0, 2.0], [10.0, 4.0], [20.0, 0.5], [np.nan, -1.0]])
    s = benchmark_score(x, np.array([1.0, -1.0]), np.array([10.0, 1.0]), scale=1.0)
    np.testing.assert_allclose(s[:, 0], [0.5, 1.0, 1.0, np.nan])  # 20/10 clipped to 1; NaN stays NaN
    np.testing.assert_allclose(s[:, 1], [0.5, 0.25, 1.0, 1.0])  # cost 1/x; ≤ 0 is at least as good
    unclipped = benchmark_score(x, np.array([1.0, -1.0]), np.array([10.0, 1.0]), clip=False, scale=1.0)
    assert unclipped[2, 0] == 2.0 and unclipped[2, 1] == 2.0


def test_benchmark_not_positive_scores_linearly_between_worst_and_best():
    # a cost indicator whose best zone has a negative value (CO2 growth −10 %): linear from worst (+20 %) to −10 %
    x = np.array([[-0.10], [0.05], [0.20]])
    b, w = benchmark_values(x, np.array([-1.0]))
    np.testing.assert_allclose(benchmark_score(x, np.array([-1.0]), b, w, scale=1.0)[:, 0], [1.0, 0.5, 0.0])
    # benefit indicator where nobody has a positive value: nobody earns points (W = B)
    z = np.zeros((3, 1))
    assert benchmark_score(z, np.array([1.0]), *benchmark_values(z, np.array([1.0]))).tolist() == [[0], [0], [0]]


def test_benchmark_functions_take_a_leading_replication_axis():
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 5, size=(4, 6, 3))
    d = np.array([1.0, -1.0, 1.0])
    b, w = benchmark_values(x, d, "percentile", 75)
    s = benchmark_score(x, d, b, w)
    for r in range(4):  # each replication equals the 2-D computation on its own slice
        br, wr = benchmark_values(x[r], d, "percentile", 75)
        np.testing.assert_array_equal(s[r], benchmark_score(x[r], d, br, wr))
    assert s.shape == (4, 6, 3) and np.nanmax(s) <= 100.0
