"""Screening units by data availability (``gaoxin.evaluation.methods.screen``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gaoxin.methods import (
    screen_units,
    unit_availability,
)


def test_availability_and_screening():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 5.0], "b": [0.0, 2.0, np.nan, 4.0], "c": [1.0, np.nan, 1.0, 1.0]},
                     index=list("pqrs"))
    assert unit_availability(X).tolist() == pytest.approx([1, 1 / 3, 2 / 3, 1])
    kept, report = screen_units(X, 2 / 3)
    assert list(kept.index) == ["p", "r", "s"] and not report.loc["q", "kept"]
    kept0, _ = screen_units(X, 1.0, zero_as_missing=True)
    assert list(kept0.index) == ["s"]
