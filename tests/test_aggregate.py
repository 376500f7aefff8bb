"""Aggregation (``gaoxin.evaluation.methods.aggregate``): TOPSIS against published values
(shared/reference/README.md §3), weighted means with missing values, the tree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gaoxin.methods import (
    aggregate_tree,
    arithmetic,
    geometric,
    harmonic,
    topsis,
)

# --- TOPSIS (README §3) --------------------------------------------------------------------------------


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


# --- means and the tree --------------------------------------------------------------------------------


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


@given(arrays(float, st.integers(1, 15), elements=st.floats(0.01, 1e3)), st.integers(1, 6))
@settings(max_examples=30, deadline=None)
def test_aggregating_identical_columns_returns_column(v, k):
    X = pd.DataFrame({f"c{j}": v for j in range(k)})
    w = np.arange(1, k + 1, dtype=float)
    for f in (arithmetic, geometric, harmonic):
        np.testing.assert_allclose(f(X, w).to_numpy(), v, rtol=1e-9)


def test_weighted_sum_counts_missing_as_zero_and_keeps_weights():
    from gaoxin.evaluation.methods.aggregate import weighted_sum, weighted_sum_array

    X = pd.DataFrame({"a": [100.0, 50.0, np.nan], "b": [0.0, 50.0, 80.0]}, index=list("pqr"))
    s = weighted_sum(X, {"a": 3.0, "b": 1.0})  # weights normalised to 0.75 / 0.25 over all children
    np.testing.assert_allclose(s, [75.0, 50.0, 20.0])  # r: 0.25·80, its missing a counts 0 (arithmetic: 80)
    assert arithmetic(X, {"a": 3.0, "b": 1.0})["r"] == 80.0
    stacked = np.stack([X.to_numpy(), X.to_numpy() * 2])  # (replications, units, children)
    np.testing.assert_allclose(weighted_sum_array(stacked, np.array([0.75, 0.25])), [[75, 50, 20], [150, 100, 40]])
