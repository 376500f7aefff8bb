"""Variance-based (Sobol) global sensitivity analysis.

Pure functions over numpy arrays so the same estimators serve analytic test functions and the rank
sensitivity of composite indices (``gaoxin.evaluation.uncertainty.rank_sensitivity``).

Design (Saltelli 2010): two independent base matrices A and B (N × k) and, for each input factor i,
A_B^(i) = A with the columns of factor i taken from B, i.e. N(d + 2) model runs for d factors.
Estimators: first order S_i (Saltelli 2010, eq. (b) of table 2), total ST_i (Jansen 1999).
A factor may span several columns (a *group*, e.g. all weights): the design swaps the whole group at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SobolResult", "saltelli_sample", "sobol", "sobol_indices"]

Sampler = tuple[float, float] | Callable[[np.ndarray], np.ndarray]


def _factor_of_column(k: int, groups: Sequence[int] | None) -> np.ndarray:
    """Factor id per column; factors are numbered 0..d-1 in order of first appearance."""
    if groups is None:
        return np.arange(k)
    g = np.asarray(groups)
    if g.shape != (k,):
        raise ValueError(f"groups must give one factor per column ({k}), got shape {g.shape}")
    _, first, inv = np.unique(g, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))  # renumber by first appearance
    return order[inv]


def saltelli_sample(
    n: int,
    d: int,
    rng: np.random.Generator | int | None = None,
    *,
    groups: Sequence[int] | None = None,
    qmc_points: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Saltelli design on the unit hypercube: ``A``, ``B`` (n × d) and ``AB`` (n_factors × n × d).

    ``d`` is the number of uniform columns; ``groups`` (one label per column) lets several columns act as
    one factor. With ``qmc_points`` the rows of [A | B] are a scrambled Sobol' sequence in 2d dimensions,
    which converges much faster than pseudo-random points (powers of two for ``n`` keep its balance).
    """
    if n < 2 or d < 1:
        raise ValueError("need n >= 2 and d >= 1")
    factor = _factor_of_column(d, groups)
    n_factors = int(factor.max()) + 1
    if qmc_points:
        with warnings.catch_warnings():  # non-power-of-two n: slightly worse balance, still valid
            warnings.simplefilter("ignore", UserWarning)
            from scipy.stats import qmc  # heavy: only when a Sobol sample is drawn

            base = qmc.Sobol(d=2 * d, scramble=True, rng=rng).random(n)
    else:
        base = np.random.default_rng(rng).random((n, 2 * d))
    a, b = base[:, :d], base[:, d:]
    swap = factor[None, :] == np.arange(n_factors)[:, None]  # (n_factors, d)
    ab = np.where(swap[:, None, :], b[None, :, :], a[None, :, :])
    return a, b, ab


def sobol_indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices from model outputs on the design.

    ``f_a``, ``f_b``: shape (N,); ``f_ab``: shape (d, N). A trailing batch axis is allowed on all three
    (e.g. bootstrap resamples). Returns (S, ST), each of shape (d, ...). Zero output variance gives NaN.
    """
    f_a, f_b, f_ab = np.asarray(f_a, float), np.asarray(f_b, float), np.asarray(f_ab, float)
    var = np.var(np.concatenate([f_a, f_b], axis=0), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.mean(f_b[None] * (f_ab - f_a[None]), axis=1) / var
        st = 0.5 * np.mean((f_a[None] - f_ab) ** 2, axis=1) / var
    return s, st


@dataclass(frozen=True)
class SobolResult:
    """Sobol indices per factor; ``conf`` holds bootstrap 95 % half-widths when requested."""

    indices: pd.DataFrame  # index: factor names; columns S, ST (+ S_conf, ST_conf)
    n_runs: int

    @property
    def S(self) -> pd.Series:
        return self.indices["S"]

    @property
    def ST(self) -> pd.Series:
        return self.indices["ST"]


def _to_ppf(sampler: Sampler) -> Callable[[np.ndarray], np.ndarray]:
    if callable(sampler):
        return sampler
    lo, hi = sampler
    return lambda u: lo + (hi - lo) * u


def sobol(
    func: Callable[[np.ndarray], np.ndarray],
    samplers: Sequence[Sampler],
    n: int,
    seed: int | None = 0,
    *,
    groups: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    n_boot: int = 0,
) -> SobolResult:
    """Sobol indices of a vectorised ``func`` ((m, d) -> (m,)) with independent inputs.

    Each sampler is a (low, high) uniform range or an inverse CDF mapping U(0,1) draws to the input's
    distribution. All N(d + 2) runs go through ``func`` in one call, so numpy does the looping.
    ``n_boot`` > 0 adds bootstrap 95 % half-widths (resampling design rows), a cheap convergence check.
    """
    d = len(samplers)
    a, b, ab = saltelli_sample(n, d, seed, groups=groups)
    n_f = ab.shape[0]
    ppfs = [_to_ppf(s) for s in samplers]
    u = np.concatenate([a, b, ab.reshape(n_f * n, d)], axis=0)
    x = np.column_stack([ppfs[j](u[:, j]) for j in range(d)])
    y = np.asarray(func(x), float).reshape(-1)
    f_a, f_b, f_ab = y[:n], y[n : 2 * n], y[2 * n :].reshape(n_f, n)
    s, st = sobol_indices(f_a, f_b, f_ab)
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(n_f)]
    out = pd.DataFrame({"S": s, "ST": st}, index=pd.Index(names, name="factor"))
    if n_boot > 0:
        idx = np.random.default_rng(seed).integers(0, n, size=(n, n_boot))
        bs, bst = sobol_indices(f_a[idx], f_b[idx], f_ab[:, idx])
        out["S_conf"] = 1.96 * bs.std(axis=1)
        out["ST_conf"] = 1.96 * bst.std(axis=1)
    return SobolResult(out, n_runs=len(y))
