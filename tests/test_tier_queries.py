"""The tier outputs as queries (analysis/tier_queries.py, decision 0034) equal the pandas path they replace.

The reference is the former pandas code over the wide tier frame (tests/tiers_pandas_reference.py, kept as an
independent oracle), compared for every firm of the demo store: evidence row by row, near misses, funnel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tiers_pandas_reference as ref
from gaoxin.analysis import tier_queries as Q
from gaoxin.analysis import tiers as T
from gaoxin.services import Store
from gaoxin.services import tiers as st

YEAR = 2024


@pytest.fixture(scope="module")
def both(demo_store_template):
    """(old: evidence, near misses, funnel from the pandas path; new: the service) on the demo store."""
    rules, _ = T.builtin_rules()
    with Store(demo_store_template, "read") as s:
        wide = T.compute_tiers(s.cursor(), rules, (YEAR - 5, YEAR), 1)
        now = wide[wide["year"] == YEAR].reset_index(drop=True)
        old = {"evidence": ref.evidence(now, rules), "near_miss": ref.near_misses(now, rules),
               "funnel": ref.funnel(wide, rules)}
        res = st.tiers(s, YEAR)
        new = {"evidence": res.evidence, "near_miss": res.near_miss, "funnel": res.funnel,
               "evidence_list": res.evidence_list, "one": res.evidence_of([now["credit_code"].iloc[7]])}
    return old, new, now


def same_frames(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys, ignore_index=True)
    b = b.sort_values(keys, ignore_index=True)[list(a.columns)]
    assert len(a) == len(b)
    for c in a.columns:
        if a[c].dtype.kind == "f" or b[c].dtype.kind == "f":
            x, y = a[c].to_numpy(float), pd.to_numeric(b[c]).to_numpy(float)
            assert (np.isnan(x) == np.isnan(y)).all(), c
            assert np.array_equal(x[~np.isnan(x)], y[~np.isnan(y)]), c  # bit for bit: same double operations
        else:
            assert a[c].astype(object).where(a[c].notna(), None).tolist() == \
                b[c].astype(object).where(b[c].notna(), None).tolist(), c


def test_evidence_equals_the_pandas_path_for_every_firm(both):
    old, new, now = both
    assert len(old["evidence"]) == len(now) * len(Q.crits(T.builtin_rules()[0])) > 30_000
    same_frames(old["evidence"], new["evidence"], ["credit_code", "year", "criterion"])
    assert set(new["evidence"]["status"]) == {"pass", "fail", "unknown"}


def test_list_evidence_is_the_open_criteria_of_tiers_not_passed(both):
    old, new, _ = both
    e = old["evidence"]
    want = e[(e["status"] != "pass") & (e["tier_status"] != "pass")]
    got = new["evidence_list"]
    assert isinstance(got["criterion"].dtype, pd.CategoricalDtype)
    same_frames(want, got, ["credit_code", "year", "criterion"])
    assert 0 < len(got) < len(e)


def test_evidence_of_one_firm(both):
    old, new, now = both
    code = now["credit_code"].iloc[7]
    e = old["evidence"]
    same_frames(e[e["credit_code"] == code], new["one"], ["criterion"])


def test_near_misses_equal_the_pandas_path(both):
    old, new, _ = both
    assert len(old["near_miss"]) > 20
    assert list(new["near_miss"].columns) == list(old["near_miss"].columns)
    same_frames(old["near_miss"].reset_index(drop=True), new["near_miss"], ["credit_code", "year", "tier"])
    # and in the same order (tier, closeness, zone, firm)
    assert new["near_miss"][["tier", "credit_code"]].values.tolist() == \
        old["near_miss"][["tier", "credit_code"]].values.tolist()


def test_funnel_equals_the_pandas_path(both):
    old, new, _ = both
    o, n = old["funnel"], new["funnel"]
    assert list(n.columns) == list(o.columns) and len(o) > 100
    for c in o.columns:
        assert o[c].astype(object).where(o[c].notna(), None).tolist() == \
            n[c].astype(object).where(n[c].notna(), None).tolist(), c
    assert n["entered"].fillna(0).sum() > 0 and n["left"].fillna(0).sum() > 0
