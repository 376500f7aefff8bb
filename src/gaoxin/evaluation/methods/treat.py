"""Outlier treatment: skew/kurtosis check, stepwise winsorisation, log fallback.

The procedure of COINr ``Treat`` (defaults of the JRC COIN audits), as described in
``shared/reference/README.md`` §1 step 4:

* skew and kurtosis are the bias-corrected sample estimators
  (``scipy.stats.skew(x, bias=False)`` and ``scipy.stats.kurtosis(x, bias=False)``, excess kurtosis);
* an indicator *fails* when ``|skew| >= skew_thresh`` **and** ``kurtosis >= kurt_thresh``
  (defaults 2.0 / 3.5, COINr/JRC; the Global Innovation Index uses 2.25 / 3.5: :data:`GII_THRESHOLDS`);
* while it fails and fewer than ``winmax`` (default 5) steps were made: if skew >= 0 every value equal
  to the maximum is replaced by the next-highest value, else every value equal to the minimum by the
  next-lowest; one step counts once however many tied values it changed;
* if it still fails after ``winmax`` steps, ``ln(x - min + 0.01 (max - min))`` is applied to the
  ORIGINAL (untreated) column instead.

NaN values are ignored in the statistics and stay NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "COINR_THRESHOLDS",
    "GII_THRESHOLDS",
    "fails_skew_kurt",
    "log_ct",
    "skew_kurt",
    "treat_indicator",
    "treat_outliers",
]

COINR_THRESHOLDS = (2.0, 3.5)
GII_THRESHOLDS = (2.25, 3.5)


def skew_kurt(x) -> tuple[float, float]:
    """Bias-corrected sample skewness and excess kurtosis of the non-NaN values (NaN if n < 4)."""
    v = np.asarray(x, dtype=float)
    v = v[~np.isnan(v)]
    if v.size < 4 or np.all(v == v[0]):
        return math.nan, math.nan
    # scipy.stats.skew / kurtosis (bias=False) operation for operation (scipy 1.17 _stats_py), without
    # their ~2 ms of dispatch per call: the treatment calls this per indicator and per winsorising step,
    # and the Monte Carlo runs the treatment once per imputation option (tests: test_treat.py)
    n = v.size
    mean = np.mean(v, axis=0, keepdims=True)
    a0 = v - mean
    m2 = np.mean(a0**2, axis=0)
    s3 = a0.copy()
    s3 = s3**2
    s3 *= a0
    m3 = np.mean(s3, axis=0)
    s4 = a0**2
    s4 = s4**2
    m4 = np.mean(s4, axis=0)
    with np.errstate(all="ignore"):
        if m2 <= (np.finfo(m2.dtype).eps * mean[0]) ** 2:
            return math.nan, math.nan
        skew = ((n - 1.0) * n) ** 0.5 / (n - 2.0) * m3 / m2**1.5
        kurt = 1.0 / (n - 2) / (n - 3) * ((n**2 - 1.0) * m4 / m2**2.0 - 3 * (n - 1) ** 2.0) + 3.0
    return float(skew), float(kurt - 3)


def fails_skew_kurt(skew: float, kurt: float, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> bool:
    """True when ``|skew| >= skew_thresh`` and ``kurt >= kurt_thresh`` (NaN statistics never fail)."""
    if math.isnan(skew) or math.isnan(kurt):
        return False
    return abs(skew) >= skew_thresh and kurt >= kurt_thresh


def log_ct(x: pd.Series) -> pd.Series:
    """COINr ``log_CT``: ``ln(x - min + 0.01 (max - min))``; the result is defined for every value."""
    mn, mx = x.min(), x.max()
    return np.log(x - mn + 0.01 * (mx - mn))


def treat_indicator(
    x: pd.Series, skew_thresh: float = 2.0, kurt_thresh: float = 3.5, winmax: int = 5
) -> tuple[pd.Series, dict]:
    """Treat one indicator; return ``(treated, log)``.

    ``log`` keys: ``status`` ("ok", "winsorised", "log", "not_checked"), ``steps`` (winsorising steps
    made), ``n_winsorised`` (values changed), ``skew_before``, ``kurt_before``, ``skew_after``,
    ``kurt_after``, ``winsorised_units`` (list of changed unit codes).
    """
    x = x.astype(float)
    s0, k0 = skew_kurt(x)
    entry = {"status": "ok", "steps": 0, "n_winsorised": 0, "skew_before": s0, "kurt_before": k0,
             "skew_after": s0, "kurt_after": k0, "winsorised_units": []}
    if math.isnan(s0):
        entry["status"] = "not_checked"
        return x.copy(), entry
    if not fails_skew_kurt(s0, k0, skew_thresh, kurt_thresh):
        return x.copy(), entry
    w = x.to_numpy(dtype=float, copy=True)  # numpy inside the loop: pandas 3 costs ~1 ms a step here
    s, k = s0, k0
    changed = np.zeros(len(w), dtype=bool)
    steps = 0
    while fails_skew_kurt(s, k, skew_thresh, kurt_thresh) and steps < winmax:
        vals = w[~np.isnan(w)]
        if s >= 0:
            extreme = vals.max()
            rest = vals[vals < extreme]
            if rest.size == 0:
                break
            repl = rest.max()
        else:
            extreme = vals.min()
            rest = vals[vals > extreme]
            if rest.size == 0:
                break
            repl = rest.min()
        hit = w == extreme
        w[hit] = repl
        changed |= hit
        steps += 1
        s, k = skew_kurt(w)
    entry["steps"] = steps
    if not fails_skew_kurt(s, k, skew_thresh, kurt_thresh):
        entry.update(status="winsorised", n_winsorised=int(changed.sum()), skew_after=s, kurt_after=k,
                     winsorised_units=[str(u) for u in x.index[changed]])
        return pd.Series(w, index=x.index, name=x.name), entry
    t = log_ct(x)
    s, k = skew_kurt(t)
    entry.update(status="log", skew_after=s, kurt_after=k)
    return t, entry


def treat_outliers(
    X: pd.DataFrame, skew_thresh: float = 2.0, kurt_thresh: float = 3.5, winmax: int = 5,
    exclude: list | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply :func:`treat_indicator` to each column; return ``(treated_frame, log_frame)``.

    ``log_frame`` has one row per indicator (index = iCode) with the keys of :func:`treat_indicator`.
    Columns in ``exclude`` are copied untreated (status "excluded").
    """
    out = {}
    logs = {}
    excl = set(exclude or [])
    for col in X.columns:
        if col in excl:
            out[col] = X[col].copy()
            s, k = skew_kurt(X[col])
            logs[col] = {"status": "excluded", "steps": 0, "n_winsorised": 0, "skew_before": s, "kurt_before": k,
                         "skew_after": s, "kurt_after": k, "winsorised_units": []}
            continue
        out[col], logs[col] = treat_indicator(X[col], skew_thresh, kurt_thresh, winmax)
    treated = pd.DataFrame(out, index=X.index)[list(X.columns)]
    log = pd.DataFrame.from_dict(logs, orient="index")
    log.index.name = "iCode"
    return treated, log
