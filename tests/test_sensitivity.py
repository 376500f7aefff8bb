"""Sobol estimators against the analytic references in /work/shared/reference/README.md §5."""

from __future__ import annotations

import numpy as np
import pytest

from gaoxin.evaluation.sensitivity import saltelli_sample, sobol, sobol_indices


def linear(x: np.ndarray) -> np.ndarray:
    return x[:, 0] + 2 * x[:, 1] + 3 * x[:, 2]


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_design_shapes_and_swaps() -> None:
    a, b, ab = saltelli_sample(64, 3, 0)
    assert a.shape == b.shape == (64, 3) and ab.shape == (3, 64, 3)
    for i in range(3):
        assert np.array_equal(ab[i][:, i], b[:, i])
        others = [j for j in range(3) if j != i]
        assert np.array_equal(ab[i][:, others], a[:, others])
    assert ((a >= 0) & (a < 1)).all()


def test_grouped_design_swaps_whole_group() -> None:
    a, b, ab = saltelli_sample(32, 4, 1, groups=[0, 0, 1, 2])
    assert ab.shape == (3, 32, 4)
    assert np.array_equal(ab[0][:, :2], b[:, :2]) and np.array_equal(ab[0][:, 2:], a[:, 2:])


@pytest.mark.parametrize("qmc_points", [True, False])
def test_design_deterministic(qmc_points: bool) -> None:
    first = saltelli_sample(16, 2, 5, qmc_points=qmc_points)
    second = saltelli_sample(16, 2, 5, qmc_points=qmc_points)
    assert all(np.array_equal(p, q) for p, q in zip(first, second, strict=True))


def test_linear_reference() -> None:
    res = sobol(linear, [(0.0, 1.0)] * 3, n=4096, seed=1)
    expected = np.array([1, 4, 9]) / 14  # 0.0714, 0.2857, 0.6429
    np.testing.assert_allclose(res.S, expected, atol=0.02)
    np.testing.assert_allclose(res.ST, expected, atol=0.02)
    assert res.n_runs == 4096 * 5


def test_ishigami_reference() -> None:
    res = sobol(ishigami, [(-np.pi, np.pi)] * 3, n=2**14, seed=0, n_boot=50)
    np.testing.assert_allclose(res.S, [0.3139, 0.4424, 0.0], atol=0.02)
    np.testing.assert_allclose(res.ST, [0.5576, 0.4424, 0.2437], atol=0.02)
    assert (res.indices["ST_conf"] < 0.05).all()


def test_ishigami_pseudo_random_points_looser() -> None:
    """Plain Monte Carlo points converge slower; still within ±0.03 at this N for the fixed seed."""
    f = lambda u: ishigami(-np.pi + 2 * np.pi * u)  # noqa: E731
    n, d = 2**15, 3
    a, b, ab = saltelli_sample(n, d, 3, qmc_points=False)
    s, st = sobol_indices(f(a), f(b), np.stack([f(m) for m in ab]))
    np.testing.assert_allclose(s, [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=0.03)


def test_inverse_cdf_samplers_and_names() -> None:
    res = sobol(linear, [lambda u: u, (0.0, 1.0), lambda u: u], n=1024, seed=2, names=["a", "b", "c"])
    assert list(res.indices.index) == ["a", "b", "c"]
    assert res.ST.idxmax() == "c"
