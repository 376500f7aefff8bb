"""Evaluation methods against published reference values (shared/reference/README.md §1–4, §6) and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from gaoxin.methods import (
    InconsistentMatrixError,
    aggregate_tree,
    ahp,
    ahp_weights,
    arithmetic,
    carry_forward,
    combine_weights,
    critic_weights,
    distance_to_target,
    entropy_weights,
    equal_weights,
    fixed_weights,
    geometric,
    goalposts,
    harmonic,
    impute,
    minmax,
    normalise,
    pca,
    percentile_rank,
    rank,
    rank_scores,
    rank_within,
    ratio_to_benchmark,
    screen_units,
    skew_kurt,
    strengths_weaknesses,
    topsis,
    treat_indicator,
    treat_outliers,
    unit_availability,
    yoy_change,
    zscore,
)

# --- treatment oracle (README §1 step 4) -----------------------------------------------------------------


def test_treatment_oracle():
    x = pd.Series([*range(1, 11), 30, 100], dtype=float)
    s, k = skew_kurt(x)
    assert round(s, 6) == 3.063241
    assert round(k, 6) == 9.741391
    treated, log = treat_indicator(x)
    assert log["status"] == "winsorised"
    assert log["steps"] == 1
    assert treated.max() == 30 and (treated == 30).sum() == 2
    assert round(log["skew_after"], 6) == 1.712038
    assert round(log["kurt_after"], 6) == 1.815781


def test_winsorise_ties_count_as_one_step():
    x = pd.Series([*range(1, 21), 500, 500, 500], dtype=float)
    treated, log = treat_indicator(x, winmax=5)
    assert log["steps"] >= 1
    assert log["n_winsorised"] >= 3  # the three tied maxima changed in the first step
    assert (treated == 500).sum() == 0


def test_log_fallback_uses_original_column():
    # lognormal quantiles (sigma 2.5): a tail that five winsorising steps cannot fix
    x = pd.Series(np.exp(2.5 * stats.norm.ppf((np.arange(1, 101) - 0.5) / 100)))
    treated, log = treat_indicator(x, winmax=5)
    assert log["status"] == "log"
    mn, mx = x.min(), x.max()
    np.testing.assert_allclose(treated, np.log(x - mn + 0.01 * (mx - mn)))


def test_negative_skew_winsorises_minimum():
    x = pd.Series([-100.0, *range(1, 12)], dtype=float)
    treated, log = treat_indicator(x)
    assert log["status"] == "winsorised"
    assert treated.min() == 1.0


def test_gii_thresholds_are_parameters():
    x = pd.Series([*range(1, 11), 30, 100], dtype=float)
    _, log = treat_indicator(x, skew_thresh=3.1, kurt_thresh=3.5)
    assert log["status"] == "ok"  # |skew| 3.06 < 3.1 passes
    frame, tlog = treat_outliers(pd.DataFrame({"a": x, "b": np.arange(12.0)}), 2.25, 3.5)
    assert list(tlog["status"]) == ["winsorised", "ok"]
    assert frame["b"].equals(pd.Series(np.arange(12.0)))


# --- entropy (README §2) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "expected"),
    [
        ([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]], [0.4630, 0.3992, 0.1378, 0.0000]),
        ([[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]], [0.1146, 0.1981, 0.4185, 0.2689]),
    ],
    ids=["Xu2004", "Zavadskas2016"],
)
def test_entropy_references(X, expected):
    w = entropy_weights(pd.DataFrame(X))
    np.testing.assert_allclose(w.round(4).to_numpy(), expected, atol=1e-12)
    assert w.sum() == pytest.approx(1.0)


def test_entropy_rejects_negative():
    with pytest.raises(ValueError, match="non-negative"):
        entropy_weights(pd.DataFrame({"a": [1.0, -1.0, 2.0], "b": [1.0, 2.0, 3.0]}))


# --- TOPSIS (README §3) ------------------------------------------------------------------------------------


def test_topsis_tzeng_huang():
    X = pd.DataFrame([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], dtype=float)
    c = topsis(X, [0.3, 0.4, 0.3])["closeness"]
    np.testing.assert_allclose(c.round(4), [0.5037, 0.6581, 0.7482, 0.3340], atol=1e-12)


def test_topsis_vector_vs_minmax_caution():
    X = pd.DataFrame([[1, 3000], [2, 3750], [5, 4500]], dtype=float)
    vec = topsis(X, [0.5, 0.5], [-1, 1])["closeness"]
    mm = topsis(X, [0.5, 0.5], [-1, 1], normalisation="minmax")["closeness"]
    np.testing.assert_allclose(vec.round(4), [0.7621, 0.7222, 0.2379], atol=1e-12)
    np.testing.assert_allclose(mm.round(3), [0.500, 0.617, 0.500], atol=1e-12)
    with pytest.raises(ValueError):
        topsis(X, [0.5, 0.5], [-1, 1], normalisation="zscore")


# --- CRITIC (README §4) ------------------------------------------------------------------------------------


def test_critic_diakoulaki():
    X = pd.DataFrame([[61, 1.08, 4.33], [20.7, 0.26, 4.34], [16.3, 1.98, 2.53], [9.0, 3.29, 1.65],
                      [5.4, 2.77, 2.33], [4.0, 4.12, 1.21], [-6.1, 3.52, 2.10], [-34.6, 3.31, 0.98]])
    w = critic_weights(X)
    np.testing.assert_allclose(w.round(8), [0.20222554, 0.48090173, 0.31687273], atol=1e-12)


# --- AHP (README §6) ---------------------------------------------------------------------------------------


@given(arrays(float, st.integers(1, 10), elements=st.floats(0.05, 20.0)))
@settings(max_examples=60, deadline=None)
def test_ahp_consistent_matrix_returns_weights(raw):
    w = raw / raw.sum()
    A = np.outer(w, 1.0 / w)
    res = ahp(A)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-9, atol=1e-12)
    assert res.cr == 0.0
    assert res.lambda_max == pytest.approx(len(w), rel=1e-9)


def test_ahp_inconsistent_raises_and_can_be_allowed():
    A = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], dtype=float)
    with pytest.raises(InconsistentMatrixError, match="CR") as exc:
        ahp_weights(A)
    assert "一致性" in str(exc.value)
    res = ahp(A, allow_inconsistent=True)
    assert res.cr > 0.10 and not res.consistent
    assert res.weights.sum() == pytest.approx(1.0)


def test_ahp_rejects_non_reciprocal():
    with pytest.raises(ValueError, match="reciprocal"):
        ahp([[1, 2], [2, 1]])


# --- properties ----------------------------------------------------------------------------------------------

# integer-valued floats: ties happen, but no sub-normal values whose differences vanish in rounding
frames = arrays(float, st.tuples(st.integers(3, 12), st.integers(2, 5)), elements=st.integers(0, 1000).map(float))


def _df(a: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(a, index=[f"u{i}" for i in range(a.shape[0])], columns=[f"i{j}" for j in range(a.shape[1])])


@given(frames)
@settings(max_examples=30, deadline=None)
def test_weights_sum_to_one(a):
    X = _df(a + np.arange(a.shape[0])[:, None] * np.arange(1, a.shape[1] + 1))  # not constant columns
    for w in (equal_weights(X), entropy_weights(X), critic_weights(X), pca(X).weights,
              fixed_weights({c: i + 1 for i, c in enumerate(X.columns)}),
              combine_weights(equal_weights(X), entropy_weights(X)),
              combine_weights(equal_weights(X), critic_weights(X), "linear", 0.3)):
        assert w.sum() == pytest.approx(1.0)
        assert (w >= 0).all()


@given(frames, st.lists(st.sampled_from([1, -1]), min_size=5, max_size=5))
@settings(max_examples=30, deadline=None)
def test_minmax_then_rank_equals_rank(a, dirs):
    X = _df(a)
    d = pd.Series(dirs[: X.shape[1]], index=X.columns)
    pd.testing.assert_frame_equal(rank(minmax(X, d)), rank(X, d))


@given(frames)
@settings(max_examples=30, deadline=None)
def test_monotone_transform_leaves_rank_normalisation_unchanged(a):
    X = _df(a)
    for f in (np.log1p, np.sqrt, lambda v: 3 * v + 7, np.exp2):
        pd.testing.assert_frame_equal(rank(f(X)), rank(X))
        pd.testing.assert_frame_equal(percentile_rank(f(X)), percentile_rank(X))


@given(arrays(float, st.integers(1, 15), elements=st.floats(0.01, 1e3)), st.integers(1, 6))
@settings(max_examples=30, deadline=None)
def test_aggregating_identical_columns_returns_column(v, k):
    X = pd.DataFrame({f"c{j}": v for j in range(k)})
    w = np.arange(1, k + 1, dtype=float)
    for f in (arithmetic, geometric, harmonic):
        np.testing.assert_allclose(f(X, w).to_numpy(), v, rtol=1e-9)


# --- normalisation ------------------------------------------------------------------------------------------


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


# --- screening and imputation ---------------------------------------------------------------------------


def test_screen_and_impute():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "b": [0.0, 2.0, np.nan, 4.0], "c": [1.0, np.nan, 1.0, 1.0]},
                     index=list("pqrs"))
    assert unit_availability(X).tolist() == pytest.approx([1, 1 / 3, 2 / 3, 1])
    kept, report = screen_units(X, 2 / 3)
    assert list(kept.index) == ["p", "r", "s"] and not report.loc["q", "kept"]
    kept0, _ = screen_units(X, 1.0, zero_as_missing=True)
    assert list(kept0.index) == ["s"]
    groups = pd.Series({"p": "E", "q": "E", "r": "W", "s": "W"})
    assert impute(X, "group_mean", groups).loc["q", "a"] == 1.0
    assert impute(X, "group_median", groups).loc["r", "b"] == 4.0
    assert impute(X, "mean").loc["q", "a"] == 3.0
    assert impute(X, "median").loc["r", "b"] == 2.0
    assert impute(X, "none").isna().sum().sum() == 3


def test_carry_forward():
    panel = pd.DataFrame({"unit": ["a"] * 4 + ["b"] * 2, "year": [2019, 2020, 2021, 2022, 2020, 2021],
                          "x": [1.0, np.nan, np.nan, 4.0, np.nan, 2.0]})
    out = carry_forward(panel)
    np.testing.assert_array_equal(out["x"], [1.0, 1.0, 1.0, 4.0, np.nan, 2.0])
    np.testing.assert_array_equal(carry_forward(panel, max_gap=1)["x"], [1.0, 1.0, np.nan, 4.0, np.nan, 2.0])


# --- aggregation ---------------------------------------------------------------------------------------------


def test_missing_values_renormalise_weights():
    X = pd.DataFrame({"a": [10.0, 10.0], "b": [20.0, np.nan], "c": [30.0, 40.0]})
    out = arithmetic(X, [1, 1, 2])
    assert out.tolist() == pytest.approx([(10 + 20 + 60) / 4, (10 + 80) / 3])


def test_geometric_zero_guard():
    X = pd.DataFrame({"a": [0.0, 4.0], "b": [9.0, 1.0]})
    with pytest.raises(ValueError, match="positive"):
        geometric(X)
    assert geometric(X, offset=1.0).iloc[1] == pytest.approx(np.sqrt(5 * 2) - 1)


def test_aggregate_tree_renormalises_within_parent():
    X = pd.DataFrame({"i1": [0.0, 100.0], "i2": [100.0, np.nan], "i3": [50.0, 50.0]}, index=["u", "v"])
    tree = pd.DataFrame({"iCode": ["i1", "i2", "i3", "P1", "P2", "T"], "Parent": ["P1", "P1", "P2", "T", "T", None],
                         "Weight": [1, 3, 1, 1, 1, 1], "Level": [1, 1, 1, 2, 2, 3]})
    out = aggregate_tree(X, tree)
    assert out.loc["u", "P1"] == 75.0 and out.loc["v", "P1"] == 100.0
    assert out.loc["u", "T"] == 62.5 and out.loc["v", "T"] == 75.0


# --- results -------------------------------------------------------------------------------------------------


def test_ranks_groups_yoy_strengths():
    s = pd.Series({"a": 90.0, "b": 80.0, "c": 80.0, "d": 70.0})
    assert rank_scores(s).tolist() == [1, 2, 2, 4]
    g = pd.Series({"a": "东部", "b": "西部", "c": "东部", "d": "西部"})
    assert rank_within(s, g).tolist() == [1, 1, 2, 2]
    panel = pd.DataFrame({"unit": ["a", "a", "a"], "year": [2020, 2021, 2023], "x": [10.0, 12.0, 20.0]})
    ch = yoy_change(panel)["x_change"].tolist()
    assert ch[0] != ch[0] and ch[1] == 2.0 and ch[2] != ch[2]  # gap year -> NaN
    assert yoy_change(panel, relative=True)["x_change"].iloc[1] == pytest.approx(0.2)
    scores = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [4.0, 3, 2, 1]}, index=list("abcd"))
    overall = pd.Series({"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0})
    sw = strengths_weaknesses(scores, overall, threshold=2)
    # x ranks: a 4, b 3, c 2, d 1 against overall 1, 2, 3, 4: only a and d differ by >= 2 places
    found = set(zip(sw["unit"], sw["iCode"], sw["kind"], strict=True))
    assert found == {("a", "x", "weakness"), ("d", "x", "strength")}
    assert len(strengths_weaknesses(scores, overall, threshold=0.25)) == 4  # 0.25 * 4 units = 1 place; y = overall


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
