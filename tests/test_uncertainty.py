"""Monte Carlo rank uncertainty: invariants, determinism, and equality with the naive pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.evaluation.uncertainty import UncertaintySpec, rank_once, rank_sensitivity, uncertainty_analysis


@pytest.fixture
def index_data():
    rng = np.random.default_rng(11)
    units, p = 30, 12
    latent = rng.normal(size=(units, 1))
    x = pd.DataFrame(np.exp(latent + 0.7 * rng.normal(size=(units, p))),
                     index=[f"Z{i:02d}" for i in range(units)], columns=[f"I{j:02d}" for j in range(p)])
    x = x.mask(rng.random(x.shape) < 0.05)
    x.iloc[4, :5] = np.nan  # a unit with a whole pillar missing
    directions = pd.Series(np.where(np.arange(p) % 4 == 3, -1, 1), index=x.columns)
    weights = pd.Series(rng.uniform(0.5, 2.0, p), index=x.columns)
    groups = {c: f"P{j % 3}" for j, c in enumerate(x.columns)}
    pillar_weights = {"P0": 1.0, "P1": 2.0, "P2": 1.0}
    return x, directions, weights, groups, pillar_weights


def replay(res, x, directions, groups, rows):
    return np.stack([
        rank_once(x, directions, res.weights.iloc[i], groups=groups, pillar_weights=res.pillar_weights.iloc[i],
                  **res.design.iloc[i].to_dict()).to_numpy()
        for i in range(rows)
    ])


@pytest.mark.parametrize("norm", ["minmax", "zscore", "rank"])
@pytest.mark.parametrize("agg", ["arithmetic", "geometric"])
def test_no_uncertainty_gives_nominal_everywhere(index_data, norm: str, agg: str) -> None:
    x, d, w, groups, pw = index_data
    spec = UncertaintySpec(weight_spread=0.0, normalisations=(norm,), aggregations=(agg,), imputations=("none",),
                           treatments=(False,))
    res = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, spec=spec, n=50, seed=0)
    assert (res.ranks == res.summary["nominal_rank"].to_numpy()).all()
    s = res.summary
    assert (s["rank_p05"] == s["rank_p95"]).all() and (s["mean_abs_shift"] == 0).all()
    nominal = rank_once(x, d, w, groups=groups, pillar_weights=pw, normalisation=norm, aggregation=agg,
                        imputation="none")
    assert np.array_equal(nominal.to_numpy(), s["nominal_rank"].to_numpy())


def test_ranks_are_permutations_and_intervals_cover_nominal(index_data) -> None:
    x, d, w, groups, pw = index_data
    spec = UncertaintySpec(normalisations=("minmax",), aggregations=("arithmetic",), imputations=("mean",),
                           treatments=(False, True))
    res = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, spec=spec, n=400, seed=3)
    assert res.ranks.shape == (400, len(x)) and res.ranks.dtype == np.int16
    assert (np.sort(res.ranks, axis=1) == np.arange(1, len(x) + 1)).all()
    s = res.summary
    assert (s["rank_p05"] <= s["median_rank"]).all() and (s["median_rank"] <= s["rank_p95"]).all()
    inside = (s["rank_p05"] <= s["nominal_rank"]) & (s["nominal_rank"] <= s["rank_p95"])
    assert inside.mean() >= 0.9
    assert set(res.design["treatment"]) == {False, True}


def test_deterministic_for_a_seed(index_data) -> None:
    x, d, w, groups, pw = index_data
    one = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, n=300, seed=7, chunk=64)
    two = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, n=300, seed=7)
    three = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, n=300, seed=8)
    assert np.array_equal(one.ranks, two.ranks)
    pd.testing.assert_frame_equal(one.summary, two.summary)
    pd.testing.assert_frame_equal(one.design, two.design)
    assert not np.array_equal(one.ranks, three.ranks)


@pytest.mark.parametrize("weights_dist", ["uniform", "dirichlet"])
def test_vectorised_equals_naive_loop(index_data, weights_dist: str) -> None:
    x, d, w, groups, pw = index_data
    spec = UncertaintySpec(weights=weights_dist, concentration=30.0)
    res = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, spec=spec, n=60, seed=5)
    assert res.design.nunique().min() >= 2  # every choice actually varied
    np.testing.assert_array_equal(replay(res, x, d, groups, 60), res.ranks)


def test_flat_index_equals_naive(index_data) -> None:
    x, d, w, _, _ = index_data
    res = uncertainty_analysis(x, d, w, n=30, seed=2)
    assert list(res.pillar_weights.columns) == ["index"]
    np.testing.assert_array_equal(replay(res, x, d, None, 30), res.ranks)


def test_effective_weights_sum_to_one_and_spread(index_data) -> None:
    x, d, w, groups, pw = index_data
    res = uncertainty_analysis(x, d, w, groups=groups, pillar_weights=pw, n=200, seed=1)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(res.pillar_weights.sum(axis=1), 1.0)
    assert res.weights.std().min() > 0


def test_rank_sensitivity(index_data) -> None:
    x, d, w, groups, pw = index_data
    out = rank_sensitivity(x, d, w, groups=groups, pillar_weights=pw, n=256, seed=0)
    assert list(out.indices.index) == ["weights", "normalisation", "aggregation", "imputation", "treatment"]
    assert out.n_runs == 256 * 7
    assert (out.indices["ST"] > -0.05).all() and out.indices["ST"].max() > 0.1
    assert list(out.leave_one_out.index) == ["P0", "P1", "P2"]
    assert (out.leave_one_out["max_abs_shift"] >= out.leave_one_out["mean_abs_shift"]).all()
    assert (out.leave_one_out["max_abs_shift"] > 0).all()


def test_sensitivity_finds_the_only_uncertain_input(index_data) -> None:
    x, d, w, groups, pw = index_data
    spec = UncertaintySpec(weight_spread=0.0, normalisations=("minmax",), aggregations=("arithmetic", "geometric"),
                           imputations=("mean",), treatments=(False,))
    out = rank_sensitivity(x, d, w, groups=groups, pillar_weights=pw, spec=spec, n=128, seed=1)
    np.testing.assert_allclose(out.indices.loc["aggregation", ["S", "ST"]].to_numpy(float), 1.0, atol=0.1)
    others = out.indices.drop(index="aggregation")
    assert np.allclose(others[["S", "ST"]].to_numpy(float), 0.0, atol=1e-12)


def test_leave_one_indicator_out_when_flat(index_data) -> None:
    x, d, w, _, _ = index_data
    out = rank_sensitivity(x, d, w, n=64, seed=0)
    assert list(out.leave_one_out.index) == list(x.columns)


def test_bad_inputs(index_data) -> None:
    x, d, w, _, _ = index_data
    with pytest.raises(ValueError):
        UncertaintySpec(normalisations=("softmax",))
    with pytest.raises(KeyError):
        uncertainty_analysis(x.drop(columns="I00"), d, w, n=5)
    with pytest.raises(ValueError):
        uncertainty_analysis(x, d * 2, w, n=5)
    with pytest.raises(KeyError):
        uncertainty_analysis(x, d, w, groups={"I00": "P0"}, n=5)
