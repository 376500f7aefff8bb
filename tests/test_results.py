"""Results (``gaoxin.evaluation.methods.results``): ranks, ranks within groups, year-on-year change,
strengths and weaknesses."""

from __future__ import annotations

import pandas as pd
import pytest

from gaoxin.methods import (
    rank_scores,
    rank_within,
    strengths_weaknesses,
    yoy_change,
)


def test_ranks_groups_yoy_strengths():
    s = pd.Series({"a": 90.0, "b": 80.0, "c": 80.0, "d": 70.0})
    assert rank_scores(s).tolist() == [1, 2, 2, 4]
    g = pd.Series({"a": "东部", "b": "西部", "c": "东部", "d": "西部"})
    assert rank_within(s, g).tolist() == [1, 1, 2, 2]
    panel = pd.DataFrame({"unit": ["a", "a", "a"], "year": [2020, 2021, 2023], "x": [10.0, 12.0, 20.0]})
    ch = yoy_change(panel)["x_change"].tolist()
    assert ch[0] != ch[0] and ch[1] == 2.0 and ch[2] != ch[2]  # gap year -> NaN
    assert yoy_change(panel, relative=True)["x_change"].iloc[1] == pytest.approx(0.2)
    scores = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [4.0, 3, 2, 1]}, index=list("abcd"))
    overall = pd.Series({"a": 4.0, "b": 3.0, "c": 2.0, "d": 1.0})
    sw = strengths_weaknesses(scores, overall, threshold=2)
    # x ranks: a 4, b 3, c 2, d 1 against overall 1, 2, 3, 4: only a and d differ by >= 2 places
    found = set(zip(sw["unit"], sw["iCode"], sw["kind"], strict=True))
    assert found == {("a", "x", "weakness"), ("d", "x", "strength")}
    assert len(strengths_weaknesses(scores, overall, threshold=0.25)) == 4  # 0.25 * 4 units = 1 place; y = overall
