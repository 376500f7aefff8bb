"""Imputation (``gaoxin.evaluation.methods.impute``): means, medians, by group, carried forward."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gaoxin.methods import (
    carry_forward,
    impute,
)


def test_impute_methods():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "b": [0.0, 2.0, np.nan, 4.0], "c": [1.0, np.nan, 1.0, 1.0]},
                     index=list("pqrs"))
    groups = pd.Series({"p": "E", "q": "E", "r": "W", "s": "W"})
    assert impute(X, "group_mean", groups).loc["q", "a"] == 1.0
    assert impute(X, "group_median", groups).loc["r", "b"] == 4.0
    assert impute(X, "mean").loc["q", "a"] == 3.0
    assert impute(X, "median").loc["r", "b"] == 2.0
    assert impute(X, "none").isna().sum().sum() == 3


def test_carry_forward():
    panel = pd.DataFrame({"unit": ["a"] * 4 + ["b"] * 2, "year": [2019, 2020, 2021, 2022, 2020, 2021],
                          "x": [1.0, np.nan, np.nan, 4.0, np.nan, 2.0]})
    out = carry_forward(panel)
    np.testing.assert_array_equal(out["x"], [1.0, 1.0, 1.0, 4.0, np.nan, 2.0])
    np.testing.assert_array_equal(carry_forward(panel, max_gap=1)["x"], [1.0, 1.0, np.nan, 4.0, np.nan, 2.0])


def test_impute_zero_on_frames_and_arrays():
    from gaoxin.evaluation.methods.impute import impute_zero

    X = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 2.0]})
    assert impute(X, "zero").to_numpy().tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert impute_zero(np.full((2, 3, 4), np.nan)).sum() == 0.0
