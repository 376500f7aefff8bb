"""Outlier treatment (``gaoxin.evaluation.methods.treat``) against the GII/COINr oracle
(shared/reference/README.md §1 step 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from gaoxin.methods import (
    skew_kurt,
    treat_indicator,
    treat_outliers,
)


def test_treatment_oracle():
    x = pd.Series([*range(1, 11), 30, 100], dtype=float)
    s, k = skew_kurt(x)
    assert round(s, 6) == 3.063241
    assert round(k, 6) == 9.741391
    treated, log = treat_indicator(x)
    assert log["status"] == "winsorised"
    assert log["steps"] == 1
    assert treated.max() == 30 and (treated == 30).sum() == 2
    assert round(log["skew_after"], 6) == 1.712038
    assert round(log["kurt_after"], 6) == 1.815781


def test_winsorise_ties_count_as_one_step():
    x = pd.Series([*range(1, 21), 500, 500, 500], dtype=float)
    treated, log = treat_indicator(x, winmax=5)
    assert log["steps"] >= 1
    assert log["n_winsorised"] >= 3  # the three tied maxima changed in the first step
    assert (treated == 500).sum() == 0


def test_log_fallback_uses_original_column():
    # lognormal quantiles (sigma 2.5): a tail that five winsorising steps cannot fix
    x = pd.Series(np.exp(2.5 * stats.norm.ppf((np.arange(1, 101) - 0.5) / 100)))
    treated, log = treat_indicator(x, winmax=5)
    assert log["status"] == "log"
    mn, mx = x.min(), x.max()
    np.testing.assert_allclose(treated, np.log(x - mn + 0.01 * (mx - mn)))


def test_negative_skew_winsorises_minimum():
    x = pd.Series([-100.0, *range(1, 12)], dtype=float)
    treated, log = treat_indicator(x)
    assert log["status"] == "winsorised"
    assert treated.min() == 1.0


def test_gii_thresholds_are_parameters():
    x = pd.Series([*range(1, 11), 30, 100], dtype=float)
    _, log = treat_indicator(x, skew_thresh=3.1, kurt_thresh=3.5)
    assert log["status"] == "ok"  # |skew| 3.06 < 3.1 passes
    frame, tlog = treat_outliers(pd.DataFrame({"a": x, "b": np.arange(12.0)}), 2.25, 3.5)
    assert list(tlog["status"]) == ["winsorised", "ok"]
    assert frame["b"].equals(pd.Series(np.arange(12.0)))


def test_skew_kurt_is_scipys_bias_corrected_estimators() -> None:
    """The numpy twin of ``scipy.stats.skew/kurtosis(bias=False)`` gives the same numbers, bit for bit."""
    import numpy as np
    from scipy import stats

    from gaoxin.evaluation.methods.treat import skew_kurt

    rng = np.random.default_rng(0)
    for i in range(300):
        v = np.exp(rng.normal(size=int(rng.integers(4, 200))) * rng.uniform(0.1, 3)) * rng.uniform(1e-3, 1e6)
        v = np.round(v) if i % 7 == 0 else v
        assert skew_kurt(v) == (float(stats.skew(v, bias=False)), float(stats.kurtosis(v, bias=False)))
