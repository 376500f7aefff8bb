"""Weights (``gaoxin.evaluation.methods.weights``): entropy, CRITIC and AHP against published values
(shared/reference/README.md §2, §4, §6); every method's weights sum to one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fixtures import frames, units_frame
from gaoxin.methods import (
    InconsistentMatrixError,
    ahp,
    ahp_weights,
    combine_weights,
    critic_weights,
    entropy_weights,
    equal_weights,
    fixed_weights,
    pca,
)

# --- entropy (README §2) -------------------------------------------------------------------------------


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


# --- CRITIC (README §4) --------------------------------------------------------------------------------


def test_critic_diakoulaki():
    X = pd.DataFrame([[61, 1.08, 4.33], [20.7, 0.26, 4.34], [16.3, 1.98, 2.53], [9.0, 3.29, 1.65],
                      [5.4, 2.77, 2.33], [4.0, 4.12, 1.21], [-6.1, 3.52, 2.10], [-34.6, 3.31, 0.98]])
    w = critic_weights(X)
    np.testing.assert_allclose(w.round(8), [0.20222554, 0.48090173, 0.31687273], atol=1e-12)


# --- AHP (README §6) -----------------------------------------------------------------------------------


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


# --- properties ----------------------------------------------------------------------------------------


@given(frames)
@settings(max_examples=30, deadline=None)
def test_weights_sum_to_one(a):
    X = units_frame(a + np.arange(a.shape[0])[:, None] * np.arange(1, a.shape[1] + 1))  # not constant columns
    for w in (equal_weights(X), entropy_weights(X), critic_weights(X), pca(X).weights,
              fixed_weights({c: i + 1 for i, c in enumerate(X.columns)}),
              combine_weights(equal_weights(X), entropy_weights(X)),
              combine_weights(equal_weights(X), critic_weights(X), "linear", 0.3)):
        assert w.sum() == pytest.approx(1.0)
        assert (w >= 0).all()


def test_multiplier_weights_shift_weight_within_a_pillar_only():
    from gaoxin.evaluation.methods.weights import multiplier_weights

    m = {"1.1": 0.8, "1.2": 1.2, "1.3": 1.0, "2.1": 1.0, "2.2": 1.0}
    g = {"1.1": "P1", "1.2": "P1", "1.3": "P1", "2.1": "P2", "2.2": "P2"}
    w = multiplier_weights(m, g, {"P1": 0.2, "P2": 0.8})
    # P1: 0.2 × (0.8, 1.2, 1.0) / 3.0; P2: 0.8 × ½ each
    np.testing.assert_allclose(w[["1.1", "1.2", "1.3", "2.1", "2.2"]], [0.16 / 3, 0.08, 0.2 / 3, 0.4, 0.4])
    assert w.groupby(pd.Series(g)).sum().to_dict() == pytest.approx({"P1": 0.2, "P2": 0.8})
    with pytest.raises(ValueError, match="P3"):
        multiplier_weights({"x": 1.0}, {"x": "P3"}, {"P1": 1.0})
