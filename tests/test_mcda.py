"""TOPSIS, VIKOR and grey relational analysis against published worked examples; vectorised = one by one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.evaluation.methods.aggregate import AGGREGATE_METHODS, topsis
from gaoxin.evaluation.methods.mcda import (
    grey_relational,
    grey_relational_array,
    topsis_array,
    topsis_score,
    vikor,
    vikor_score_array,
)
from gaoxin.evaluation.pipeline import run_pipeline


def test_vikor_papathanasiou_ploskas_2018() -> None:
    """Papathanasiou, J. & Ploskas, N. (2018) "VIKOR", in *Multiple Criteria Decision Aid*, Springer,
    pp. 31–55 (doi:10.1007/978-3-319-91648-4_2): six alternatives, four benefit criteria, v = 0.625.
    Published Q (3 decimals): 0.640, 1.000, 0.693, 0.271, 0.000, 0.694."""
    X = pd.DataFrame([[8, 7, 2, 1], [5, 3, 7, 5], [7, 5, 6, 4], [9, 9, 7, 3], [11, 10, 3, 7], [6, 9, 5, 4]],
                     dtype=float)
    out = vikor(X, [0.4, 0.3, 0.1, 0.2], v=0.625)
    np.testing.assert_array_equal(out["Q"].round(3), [0.640, 1.000, 0.693, 0.271, 0.000, 0.694])
    # by hand for A5 (the best on criteria 1, 2, 4): S = R = 0.1 · (7 − 3)/(7 − 2) = 0.08
    assert out.loc[4, "S"] == pytest.approx(0.08) and out.loc[4, "R"] == pytest.approx(0.08)


def test_grey_relational_yildirim_onder_2015() -> None:
    """Worked example of Yıldırım, B. F. & Önder, E. (eds., 2015) *Çok Kriterli Karar Verme Yöntemleri*,
    Dora, 2nd ed. (ISBN 978-605-9929-44-8), as reproduced in the JMcDM documentation: five alternatives,
    six criteria (K1, K3, K6 cost), ρ = 0.5. Published grades: 0.525, 0.7007142857, 0.5464285714,
    0.5762820513, 0.6509523810."""
    X = pd.DataFrame({"K1": [105000.0, 120000, 150000, 115000, 135000], "K2": [105.0, 110, 120, 105, 115],
                      "K3": [10.0, 15, 12, 20, 15], "K4": [4.0, 4, 3, 4, 5], "K5": [300.0, 500, 550, 600, 400],
                      "K6": [10.0, 8, 12, 9, 9]})
    g = grey_relational(X, [0.05, 0.20, 0.10, 0.15, 0.10, 0.40], [-1, 1, -1, 1, 1, -1])
    np.testing.assert_allclose(g, [0.525, 0.7007142857142857, 0.5464285714285715, 0.5762820512820512,
                                   0.650952380952381], rtol=0, atol=1e-12)


def test_topsis_equals_the_reference_implementation() -> None:
    """``aggregate.topsis`` reproduces Tzeng & Huang (tests/test_aggregate.py); the vectorised one equals it."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((9, 4)) + 0.1)
    w, d = [0.1, 0.2, 0.3, 0.4], [1, -1, 1, 1]
    np.testing.assert_allclose(topsis_score(X, w, d), topsis(X, w, d)["closeness"], rtol=0, atol=1e-15)


@pytest.mark.parametrize("f", [topsis_array, vikor_score_array, grey_relational_array])
def test_vectorised_over_replications_equals_one_by_one(f) -> None:
    """A leading replication axis on the weights gives, row by row, the numbers of single calls, exactly."""
    rng = np.random.default_rng(2)
    x = rng.random((15, 5))
    x[3, 2] = np.nan  # an incomplete unit: NaN, and left out of the ideal / anti-ideal
    W = rng.random((7, 5))
    together = f(x[None], W)
    for i in range(7):
        np.testing.assert_array_equal(together[i], f(x, W[i]))
    assert np.isnan(together[:, 3]).all() and not np.isnan(together[:, :3]).any()


def test_scores_higher_is_better_and_dominance() -> None:
    """A unit better on every criterion than another scores higher under all three methods."""
    x = np.array([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [0.5, 1.0, 1.0], [3.0, 1.0, 2.0]])
    w = np.array([0.2, 0.3, 0.5])
    for f in (topsis_array, vikor_score_array, grey_relational_array):
        s = f(x, w)
        assert s[1] > s[0] > s[2], f.__name__


@pytest.mark.parametrize("method", ["topsis", "vikor", "gra"])
def test_aggregate_step_methods(method: str) -> None:
    """Registered as pipeline aggregate methods: each pillar and the index are that method's score."""
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.random((12, 4)), columns=list("abcd"), index=[f"u{i}" for i in range(12)])
    meta = pd.DataFrame([
        {"iCode": "a", "Parent": "P", "Level": 1, "Weight": 1.0, "Direction": 1, "Type": "Indicator"},
        {"iCode": "b", "Parent": "P", "Level": 1, "Weight": 2.0, "Direction": 1, "Type": "Indicator"},
        {"iCode": "c", "Parent": "Q", "Level": 1, "Weight": 1.0, "Direction": -1, "Type": "Indicator"},
        {"iCode": "d", "Parent": "Q", "Level": 1, "Weight": 1.0, "Direction": 1, "Type": "Indicator"},
        {"iCode": "P", "Parent": "I", "Level": 2, "Weight": 1.0, "Direction": 1, "Type": "Aggregate"},
        {"iCode": "Q", "Parent": "I", "Level": 2, "Weight": 3.0, "Direction": 1, "Type": "Aggregate"},
        {"iCode": "I", "Parent": None, "Level": 3, "Weight": 1.0, "Direction": 1, "Type": "Aggregate"}])
    res = run_pipeline(data, meta, [{"name": "normalise"}, {"name": "aggregate", "method": method}])
    n = res.datasets["normalise"]
    f = AGGREGATE_METHODS[method]
    pd.testing.assert_series_equal(res.scores["P"], f(n[["a", "b"]], pd.Series({"a": 1.0, "b": 2.0})),
                                   check_names=False)
    pd.testing.assert_series_equal(res.scores["I"], f(res.scores[["P", "Q"]], pd.Series({"P": 1.0, "Q": 3.0})),
                                   check_names=False)


@pytest.mark.parametrize("f", [topsis_array, vikor_score_array, grey_relational_array])
def test_children_that_all_weigh_zero_give_no_score(f) -> None:
    """As a weighted mean whose children all weigh 0 (the only child of a parent left out): NaN, no error;
    other replications are unaffected."""
    x = np.arange(12.0).reshape(4, 3)
    W = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    out = f(x[None], W)
    assert np.isnan(out[0]).all()
    np.testing.assert_array_equal(out[1], f(x, W[1]))
    assert AGGREGATE_METHODS["arithmetic"](pd.DataFrame(x), [0.0, 0.0, 0.0]).isna().all()
