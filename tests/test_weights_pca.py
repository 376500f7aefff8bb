"""PCA weights (methods/weights.py ``pca``): the convention, and PCA at a level above the indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.evaluation.methods.aggregate import aggregate_tree
from gaoxin.evaluation.methods.weights import pca
from gaoxin.evaluation.pipeline import PipelineError, run_pipeline


def test_convention_squared_loadings_and_sign_rule() -> None:
    """Two standardised columns with correlation r: the first component is (1, 1)/√2 for r > 0, so the
    squared loadings are ½ each; reversing one column flips a loading, and the sign rule (Σ l > 0, then
    the largest |l| positive) fixes the eigenvector's arbitrary sign."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    X = pd.DataFrame({"a": a, "b": a + 0.5 * rng.normal(size=200)})
    r = pca(X)
    np.testing.assert_allclose(r.loadings, [2 ** -0.5, 2 ** -0.5], atol=1e-12)
    np.testing.assert_allclose(r.weights, [0.5, 0.5], atol=1e-12)
    assert r.negative == [] and 0.5 < r.explained_variance_ratio <= 1
    flipped = pca(X.assign(b=-X["b"]))  # Σ l = 0: the first largest |l| is made positive
    assert flipped.loadings["a"] > 0 and flipped.loadings["b"] < 0 and flipped.negative == ["b"]
    np.testing.assert_allclose(flipped.weights, [0.5, 0.5], atol=1e-12)
    three = pd.DataFrame({"a": a, "b": a + rng.normal(size=200), "c": rng.normal(size=200)})
    sq, ab = pca(three, "squared"), pca(three, "abs")
    np.testing.assert_allclose(sq.weights, sq.loadings**2 / (sq.loadings**2).sum())
    np.testing.assert_allclose(ab.weights, sq.loadings.abs() / sq.loadings.abs().sum())


def tree() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    latent = rng.normal(size=(40, 1))
    data = pd.DataFrame(latent + rng.normal(size=(40, 6)) * [0.3, 0.3, 1, 1, 3, 3], columns=list("abcdef"),
                        index=[f"u{i}" for i in range(40)])
    rows = [{"iCode": c, "Parent": p, "Level": 1, "Weight": 1.0, "Direction": 1, "Type": "Indicator"}
            for c, p in zip("abcdef", ["P", "P", "Q", "Q", "R", "R"], strict=True)]
    rows += [{"iCode": p, "Parent": "I", "Level": 2, "Weight": 1.0, "Direction": 1, "Type": "Aggregate"} for p in "PQR"]
    rows.append({"iCode": "I", "Parent": None, "Level": 3, "Weight": 1.0, "Direction": 1, "Type": "Aggregate"})
    return data, pd.DataFrame(rows)


def test_pca_weights_of_pillars() -> None:
    """``level = 2``: the pillars' weights are the PCA weights of their scores (weighted arithmetic means of
    the normalised indicators with the weights as they stand), and the indicators keep theirs."""
    data, meta = tree()
    res = run_pipeline(data, meta, [{"name": "normalise"}, {"name": "weight", "method": "pca", "level": 2},
                                    {"name": "aggregate"}])
    n = res.datasets["normalise"]
    pillars = aggregate_tree(n, meta)[["P", "Q", "R"]]
    expected = pca(pillars).weights
    np.testing.assert_allclose(res.weights[["P", "Q", "R"]], expected, atol=1e-12)
    assert (res.weights[list("abcdef")] == 1.0).all()
    # the index is the PCA-weighted mean of the pillars; the noisiest pillar (R) weighs least
    np.testing.assert_allclose(res.scores["I"], (pillars * expected).sum(axis=1), atol=1e-9)
    assert expected.idxmin() == "R"


def test_entropy_stays_on_indicators() -> None:
    data, meta = tree()
    with pytest.raises(PipelineError, match="level = 1"):
        run_pipeline(data, meta, [{"name": "weight", "method": "entropy", "level": 2}, {"name": "aggregate"}])
