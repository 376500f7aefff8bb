"""The engine: the nominal replication is the pipeline's result, every replication is the plain pipeline
run with its options and weights, leave-one-out is the zero-weight re-run, and the Sobol analysis finds
what was made uncertain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures import frames, units_frame
from gaoxin.evaluation.coin import DEFAULT_STEPS, read_coin
from gaoxin.evaluation.engine import CHOICES, Engine, rank_min
from gaoxin.evaluation.methods.results import rank_scores
from gaoxin.evaluation.pipeline import PipelineError, run_pipeline
from gaoxin.evaluation.uncertainty import (
    UncertaintySpec,
    build_engine,
    index_frame,
    leave_one_out,
    rank_sensitivity,
    uncertainty_analysis,
)

ASEM = Path(__file__).parent / "data" / "coinr_asem"  # copy of shared/reference/coinr_asem (MIT)
PLAIN = [{"name": "impute", "method": "mean"}, {"name": "normalise"}, {"name": "aggregate"}]


@pytest.fixture(scope="module")
def index_data():
    rng = np.random.default_rng(11)
    units, p = 30, 12
    latent = rng.normal(size=(units, 1))
    x = pd.DataFrame(np.exp(latent + 0.7 * rng.normal(size=(units, p))),
                     index=[f"Z{i:02d}" for i in range(units)], columns=[f"I{j:02d}" for j in range(p)])
    x = x.mask(rng.random(x.shape) < 0.05)
    x.iloc[4, :5] = np.nan  # a unit with most of a pillar missing
    directions = pd.Series(np.where(np.arange(p) % 4 == 3, -1, 1), index=x.columns)
    weights = pd.Series(rng.uniform(0.5, 2.0, p), index=x.columns)
    groups = {c: f"P{j % 3}" for j, c in enumerate(x.columns)}
    data, meta = index_frame(x, directions, weights, groups, {"P0": 1.0, "P1": 2.0, "P2": 1.0})
    data["region"] = np.array(["东部", "中部", "西部"])[np.arange(units) % 3]
    return data, meta


@pytest.fixture(scope="module")
def asem():
    data, meta = read_coin(ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv")
    return data, meta


def published(data, meta, steps):
    res = run_pipeline(data, meta, steps)
    top = res.top[0]
    return res, top


PIPELINES = {
    "default-like": [{"name": "impute", "method": "group_median", "group": "region"}, {"name": "treat"},
                     {"name": "normalise"}, {"name": "aggregate"}],
    "zscore-geometric": [{"name": "impute", "method": "median"}, {"name": "normalise", "method": "zscore"},
                         {"name": "normalise", "method": "minmax", "lo": 1, "hi": 100},
                         {"name": "aggregate", "method": "geometric"}],
    "entropy-harmonic": [{"name": "impute", "method": "mean"}, {"name": "normalise", "lo": 1, "hi": 100},
                         {"name": "weight", "method": "entropy"}, {"name": "aggregate", "method": "harmonic"}],
    "pca-level2-topsis": [{"name": "impute", "method": "mean"}, {"name": "normalise"},
                          {"name": "weight", "method": "pca", "level": 2}, {"name": "aggregate", "method": "topsis"}],
    "missing-vikor": [{"name": "normalise", "method": "percentile_rank"}, {"name": "aggregate", "method": "vikor"}],
    "missing-arithmetic": [{"name": "normalise", "method": "rank"}, {"name": "aggregate"}],
    "gra": [{"name": "impute", "method": "mean"}, {"name": "treat"}, {"name": "normalise"},
            {"name": "aggregate", "method": "gra"}],
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_nominal_replication_is_the_published_result(index_data, name: str) -> None:
    data, meta = index_data
    steps = PIPELINES[name]
    res, top = published(data, meta, steps)
    scores, ranks = Engine(data, meta, steps).nominal()
    for code in scores.columns:  # every aggregate, not only the index
        np.testing.assert_allclose(scores[code], res.scores.loc[scores.index, code], rtol=0, atol=1e-12)
    pub = res.ranks[top].reindex(scores.index)
    assert (ranks[pub.notna().to_numpy()] == pub.dropna().to_numpy()).all()
    spec = UncertaintySpec(normalisations=("minmax", "percentile_rank"))  # entropy needs non-negative values
    mc = uncertainty_analysis(data, meta, steps, spec=spec, n=20, seed=1)
    assert (mc.summary["nominal_rank"][pub.notna()] == pub.dropna()).all()


def test_a_combination_the_pipeline_refuses_is_named(index_data) -> None:
    data, meta = index_data
    with pytest.raises(PipelineError, match=r"normalisation=zscore.*non-negative"):
        uncertainty_analysis(data, meta, PIPELINES["entropy-harmonic"], n=200, seed=1)


def test_nominal_on_a_four_level_tree_with_denominators_and_screening(asem) -> None:
    """COINr's build_example_coin on ASEM: denominate, group imputation, screen, treat, min-max, mean."""
    data, meta = asem
    res, top = published(data, meta, DEFAULT_STEPS)
    scores, ranks = Engine(data, meta, DEFAULT_STEPS).nominal()
    np.testing.assert_array_equal(scores.to_numpy(), res.scores.loc[scores.index, scores.columns].to_numpy())
    np.testing.assert_array_equal(ranks, res.ranks[top].loc[scores.index].to_numpy())


def test_a_fixed_spec_gives_the_nominal_ranks_everywhere(index_data) -> None:
    data, meta = index_data
    res = uncertainty_analysis(data, meta, PIPELINES["default-like"], spec=UncertaintySpec.fixed(), n=40, seed=0)
    assert (res.ranks == res.summary["nominal_rank"].to_numpy()).all()
    s = res.summary
    assert (s["rank_p05"] == s["rank_p95"]).all() and (s["mean_abs_shift"] == 0).all()


@pytest.mark.parametrize("weights", ["uniform", "dirichlet"])
@pytest.mark.parametrize("name", ["default-like", "pca-level2-topsis", "missing-arithmetic"])
def test_every_replication_is_the_plain_pipeline(index_data, weights: str, name: str) -> None:
    """Replay replications through run_pipeline with their options and weights: identical ranks."""
    data, meta = index_data
    steps = PIPELINES[name]
    spec = UncertaintySpec(weights=weights, concentration=30.0, aggregations=("arithmetic", "geometric", "topsis"))
    res = uncertainty_analysis(data, meta, steps, spec=spec, n=12, seed=5)
    assert res.design.nunique().min() >= 2  # every choice actually varied
    engine = build_engine(data, meta, steps, spec)
    choice = res.choices
    for i in range(12):
        r = run_pipeline(data, meta, engine.replay_steps(choice[i], res.weights.iloc[i].to_numpy()))
        ref = rank_scores(r.scores[engine.top]).reindex(engine.units)
        got = res.ranks[i]
        assert (got[ref.notna().to_numpy()] == ref.dropna().to_numpy()).all(), (i, res.design.iloc[i].to_dict())


def test_options_start_with_the_pipelines_own_steps(index_data) -> None:
    data, meta = index_data
    e = build_engine(data, meta, PIPELINES["default-like"], UncertaintySpec())
    own = {c: e.options[c][0] for c in CHOICES}
    assert own["imputation"].params == {"method": "group_median", "group": "region"}
    assert own["treatment"].name == "treat" and e.options["treatment"][1] is None
    assert e.sizes == [4, 2, 3, 2]  # group_median + mean, median, none; treat on/off; 3 norms; 2 aggs
    # an alternative equal to the pipeline's own step is not counted twice
    assert build_engine(data, meta, PLAIN, UncertaintySpec()).sizes[0] == 3


def test_ranks_use_the_pipelines_tie_rule() -> None:
    s = np.array([[3.0, 1.0, 3.0, np.nan, 2.0]])
    np.testing.assert_array_equal(rank_min(s), [[1, 4, 1, 5, 3]])
    ref = rank_scores(pd.Series(s[0])).to_numpy()
    assert list(ref[:3]) == [1, 4, 1] and ref[4] == 3


def test_intervals_contain_the_published_rank_mostly(index_data) -> None:
    data, meta = index_data
    res = uncertainty_analysis(data, meta, PIPELINES["default-like"], n=400, seed=3)
    s = res.summary
    assert (s["rank_p05"] <= s["median_rank"]).all() and (s["median_rank"] <= s["rank_p95"]).all()
    assert ((s["rank_p05"] <= s["nominal_rank"]) & (s["nominal_rank"] <= s["rank_p95"])).mean() >= 0.9
    np.testing.assert_allclose((res.weights > 0).sum(axis=1), len(res.weights.columns))


def test_dirichlet_weights_are_shares_around_the_nominal(index_data) -> None:
    """Within each parent the drawn weights are Dirichlet(c · nominal shares): they sum to the parent's
    nominal total and their mean share is the nominal share."""
    data, meta = index_data
    res = uncertainty_analysis(data, meta, PLAIN, spec=UncertaintySpec(weights="dirichlet", concentration=40.0),
                               n=4000, seed=2)
    w = meta.set_index("iCode")["Weight"]
    kids = list(meta.loc[meta["Parent"] == "P1", "iCode"])
    drawn = res.weights[kids]
    np.testing.assert_allclose(drawn.sum(axis=1), w[kids].sum(), rtol=1e-12)
    np.testing.assert_allclose((drawn / w[kids].sum()).mean(), w[kids] / w[kids].sum(), atol=0.01)


def test_deterministic_for_a_seed(index_data) -> None:
    data, meta = index_data
    one = uncertainty_analysis(data, meta, PLAIN, n=300, seed=7, chunk=64)
    two = uncertainty_analysis(data, meta, PLAIN, n=300, seed=7, block=50)
    three = uncertainty_analysis(data, meta, PLAIN, n=300, seed=8)
    np.testing.assert_array_equal(one.ranks, two.ranks)
    pd.testing.assert_frame_equal(one.summary, two.summary, check_exact=True)
    assert not np.array_equal(one.ranks, three.ranks)


def test_leave_one_out_is_the_zero_weight_rerun(asem) -> None:
    """Dropping an element at any level = the full pipeline with that element's weight set to 0."""
    data, meta = asem
    out = leave_one_out(data, meta, DEFAULT_STEPS, 2)
    assert set(out.summary["level"]) == {2} and len(out.summary) == 8
    for code in ["Physical", "Social", "Conn", "LPI", "Renew"]:
        m = meta.copy()
        m.loc[m["iCode"] == code, "Weight"] = 0.0
        ref = run_pipeline(data, m, DEFAULT_STEPS)
        single = leave_one_out(data, meta, DEFAULT_STEPS, code).ranks
        got = single[code]
        pd.testing.assert_series_equal(got, ref.ranks["Index"].reindex(got.index).astype("Int64"),
                                       check_names=False)
    assert (out.ranks["Physical"] == leave_one_out(data, meta, DEFAULT_STEPS, "Physical").ranks["Physical"]).all()


def test_leave_one_out_reweights_within_the_parent_only(index_data) -> None:
    """By hand on a two-level tree: without indicator I00 its pillar P0 is the weighted mean of the rest
    of P0 (weights renormalised there), and the other pillars are untouched."""
    data, meta = index_data
    e = Engine(data, meta, PLAIN)
    v = e.variant([0] * len(CHOICES))
    vals = e.aggregate(v, v.w[None] * e.drop(["I00"]))
    z = pd.DataFrame(v.zt.T, index=e.units, columns=e.indicators)
    w = meta.set_index("iCode")["Weight"]
    kids = [c for c in meta.loc[meta["Parent"] == "P0", "iCode"] if c != "I00"]
    np.testing.assert_allclose(vals["P0"][0], (z[kids] * w[kids]).sum(axis=1) / w[kids].sum(), atol=1e-12)
    full = e.aggregate(v, v.w[None])
    np.testing.assert_array_equal(vals["P1"], full["P1"])


def test_leave_one_out_errors(index_data) -> None:
    data, meta = index_data
    with pytest.raises(PipelineError, match="level 7"):
        leave_one_out(data, meta, PLAIN, 7)
    with pytest.raises(PipelineError, match="not an element"):
        leave_one_out(data, meta, PLAIN, "Index")


@pytest.mark.parametrize("weights", ["uniform", "dirichlet"])
def test_rank_sensitivity(index_data, weights: str) -> None:
    data, meta = index_data
    out = rank_sensitivity(data, meta, PIPELINES["default-like"], spec=UncertaintySpec(weights=weights), n=128,
                           seed=0)
    assert list(out.indices.index) == ["weights", *CHOICES]
    assert out.n_runs == 128 * 7
    assert (out.indices["ST"] > -0.05).all() and out.indices["ST"].max() > 0.1
    assert list(out.leave_one_out.index) == ["P0", "P1", "P2"]
    assert (out.leave_one_out["max_abs_shift"] >= out.leave_one_out["mean_abs_shift"]).all()


def test_sensitivity_finds_the_only_uncertain_input(index_data) -> None:
    data, meta = index_data
    spec = UncertaintySpec(weight_spread=0.0, imputations=(), treatments=(), normalisations=(),
                           aggregations=("geometric",))
    out = rank_sensitivity(data, meta, PLAIN, spec=spec, n=128, seed=1)
    np.testing.assert_allclose(out.indices.loc["aggregation", ["S", "ST"]].to_numpy(float), 1.0, atol=0.1)
    others = out.indices.drop(index="aggregation")
    assert np.allclose(others[["S", "ST"]].to_numpy(float), 0.0, atol=1e-12)


def test_bad_inputs(index_data) -> None:
    data, meta = index_data
    with pytest.raises(ValueError):
        UncertaintySpec(normalisations=("softmax",))
    with pytest.raises(ValueError):
        UncertaintySpec(weight_spread=1.5)
    with pytest.raises(PipelineError, match="indicators not in data"):
        uncertainty_analysis(data.drop(columns="I00"), meta, PLAIN, n=5)
    with pytest.raises(PipelineError, match="no aggregate step"):
        uncertainty_analysis(data, meta, PLAIN[:-1], n=5)
    with pytest.raises(ValueError):
        uncertainty_analysis(data, meta, PLAIN, n=0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=frames, method=st.sampled_from(["arithmetic", "geometric", "harmonic", "topsis", "vikor", "gra"]),
       norm=st.sampled_from(["minmax", "rank", "percentile_rank"]), w=st.lists(st.integers(0, 3), min_size=5,
                                                                                max_size=5))
def test_nominal_equals_pipeline_with_ties(a, method: str, norm: str, w: list[int]) -> None:
    """Integer-valued data (many ties, constant columns) and integer weights (some 0): the nominal
    replication's ranks are the pipeline's, ties included."""
    x = units_frame(a)
    cols = list(x.columns)
    weights = pd.Series([float(v) for v in w[: len(cols)]], index=cols)
    if weights.sum() == 0:
        weights.iloc[0] = 1.0
    groups = {c: ("A" if j % 2 == 0 else "B") for j, c in enumerate(cols)}
    data, meta = index_frame(x, pd.Series(1.0, index=cols), weights, groups)
    offset = {"offset": 1.0} if method in ("geometric", "harmonic") else {}
    steps = [{"name": "normalise", "method": norm}, {"name": "aggregate", "method": method, **offset}]
    res = run_pipeline(data, meta, steps)
    scores, ranks = Engine(data, meta, steps).nominal()
    pub = res.ranks["Index"].reindex(scores.index)
    np.testing.assert_allclose(scores["Index"], res.scores.loc[scores.index, "Index"], rtol=0, atol=1e-12)
    assert (ranks[pub.notna().to_numpy()] == pub.dropna().to_numpy()).all()
