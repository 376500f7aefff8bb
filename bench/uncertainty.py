"""Benchmark: Monte Carlo rank uncertainty, 10,000 replications of a 200-unit × 50-indicator index
(5 pillars of 10; weights ±25 %, 3 normalisations × 2 aggregations × 3 imputations × winsorising on/off),
against a naive loop calling ``rank_once`` (plain pandas: impute, treat, normalise, aggregate, rank) per
replication on the same draws, in the same run.

The naive loop is timed on --naive replications and extrapolated linearly to --n (stated in the output).
Checks that both give identical ranks on the first --check replications.
Run: .venv/bin/python bench/uncertainty.py [--n 10000] [--naive 300] [--repeat 3]
Targets: vectorised ≤ 5 s for 10,000 replications, ≥ 50× the naive loop.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from gaoxin.evaluation.uncertainty import UncertaintyResult, rank_once, rank_sensitivity, uncertainty_analysis


def synthetic(units: int = 200, pillars: int = 5, per_pillar: int = 10, seed: int = 3):
    """Skewed, correlated indicators with 3 % missing cells; a fifth of indicators are 'lower is better'."""
    rng = np.random.default_rng(seed)
    p = pillars * per_pillar
    latent = rng.normal(size=(units, 1))
    raw = np.exp(0.6 * latent + rng.normal(size=(units, p)))
    x = pd.DataFrame(raw, index=[f"Z{i:03d}" for i in range(units)], columns=[f"I{j:02d}" for j in range(p)])
    x = x.mask(rng.random(x.shape) < 0.03)
    directions = pd.Series(np.where(np.arange(p) % 5 == 4, -1, 1), index=x.columns)
    weights = pd.Series(rng.uniform(0.5, 1.5, p), index=x.columns)
    groups = {c: f"P{j // per_pillar}" for j, c in enumerate(x.columns)}
    pillar_weights = {f"P{g}": 1.0 for g in range(pillars)}
    return x, directions, weights, groups, pillar_weights


def naive(res: UncertaintyResult, x, directions, groups, rows: int) -> np.ndarray:
    out = np.empty((rows, len(x)), dtype=np.int64)
    for i in range(rows):
        out[i] = rank_once(x, directions, res.weights.iloc[i], groups=groups, pillar_weights=res.pillar_weights.iloc[i],
                           **res.design.iloc[i].to_dict()).to_numpy()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--naive", type=int, default=300)
    ap.add_argument("--check", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    x, directions, weights, groups, pw = synthetic()
    print(f"input: {x.shape[0]} units × {x.shape[1]} indicators (5 pillars), {int(x.isna().sum().sum())} missing; "
          f"{platform.machine()}, {os.cpu_count()} CPUs, numpy {np.__version__}, pandas {pd.__version__}")

    kw = {"groups": groups, "pillar_weights": pw}
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = uncertainty_analysis(x, directions, weights, n=args.n, seed=42, **kw)
        times.append(time.perf_counter() - t0)
    t_vec = min(times)
    print(f"vectorised: {args.n:,} replications in {t_vec:.3f} s (best of {args.repeat}; "
          f"{args.n / t_vec:,.0f} replications/s); rank matrix {res.ranks.shape} {res.ranks.dtype}")

    t0 = time.perf_counter()
    ranks_naive = naive(res, x, directions, groups, args.naive)
    t_naive_part = time.perf_counter() - t0
    t_naive = t_naive_part * args.n / args.naive
    print(f"naive loop: {args.naive} replications in {t_naive_part:.2f} s "
          f"({1e3 * t_naive_part / args.naive:.1f} ms each) → extrapolated linearly to {args.n:,}: {t_naive:.1f} s")
    same = np.array_equal(ranks_naive[: args.check], res.ranks[: args.check])
    same_all = np.array_equal(ranks_naive, res.ranks[: args.naive])
    print(f"identical ranks on the first {args.check} replications: {same} (all {args.naive}: {same_all})")
    ratio = t_naive / t_vec
    print(f"ratio naive / vectorised: {ratio:.0f}×  (targets: vectorised ≤ 5 s → {'met' if t_vec <= 5 else 'NOT met'}; "
          f"≥ 50× → {'met' if ratio >= 50 else 'NOT met'})")

    t0 = time.perf_counter()
    sens = rank_sensitivity(x, directions, weights, n=1024, seed=0, **kw)
    print(f"rank_sensitivity: N=1024, {sens.n_runs:,} runs in {time.perf_counter() - t0:.2f} s")
    print(sens.indices.round(3).to_string())
    print(sens.leave_one_out.to_string())
    if not same:
        raise SystemExit("vectorised and naive ranks differ")


if __name__ == "__main__":
    main()
