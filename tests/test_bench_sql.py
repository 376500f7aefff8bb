"""The hand-written SQL baselines of bench/enterprise.py give the services' numbers on the demo store.

So the benchmark compares like with like: the same rows, counts, bands, grades and scores (floats to 1e-9).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from gaoxin.services import Store
from gaoxin.services import mujun as sm
from gaoxin.services import points as sp

SQL = Path(__file__).resolve().parents[1] / "bench" / "sql"
YEAR = 2024


def hand(db: Path, name: str, year: int = YEAR) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        s = con.execute("SELECT max(id) FROM snapshot").fetchone()[0]  # type: ignore[index]
        return con.execute((SQL / f"{name}.sql").read_text("utf-8"), {"snapshot": s, "year": year}).df()
    finally:
        con.close()


def same_numbers(a: pd.Series, b: pd.Series, what: str) -> None:
    x, y = a.to_numpy(float), b.to_numpy(float)
    assert (np.isnan(x) == np.isnan(y)).all(), f"{what}: missing values differ"
    np.testing.assert_allclose(x[~np.isnan(x)], y[~np.isnan(y)], rtol=1e-9, atol=1e-9, err_msg=what)


@pytest.mark.parametrize("year", [2022, YEAR])
def test_points_sql_equals_the_service(demo_db, year):
    with Store(demo_db, "read") as s:
        f = sp.points(s, year).frame
    h = hand(demo_db, "points", year)
    assert list(h.columns) == list(f.columns) and len(h) == len(f) > 300
    for c in ("credit_code", "name", "zone_id", "band", "band_zh", "top_band", "top_band_zh"):
        assert h[c].fillna("—").tolist() == f[c].fillna("—").tolist(), c
    for c in ("rank", "peer_size"):
        assert h[c].astype("Float64").fillna(-1).tolist() == f[c].astype("Float64").fillna(-1).tolist(), c
    for c in [c for c in f.columns if f[c].dtype.kind == "f"]:
        same_numbers(h[c], f[c], c)
    assert h["top_band"].value_counts().to_dict() == f["top_band"].value_counts().to_dict()


def test_tiers_sql_equals_the_tier_expression(demo_db):
    from gaoxin.analysis import tiers as T

    rules, _ = T.builtin_rules()
    with Store(demo_db, "read") as s:
        wide = T.compute_tiers(s.cursor(), rules, (YEAR, YEAR), 1)
    h = hand(demo_db, "tiers")
    assert h["credit_code"].tolist() == wide["credit_code"].tolist() and len(h) > 300
    written = [t.id for t in rules.tier if t.id in h.columns]  # tiers.sql covers the ten tiers of 2025.1
    assert len(written) == len(h.columns) - 3 == 10
    for t in written:
        got = h[t].astype("boolean").astype(object).fillna("unknown").tolist()
        want = wide[t].astype(object).fillna("unknown").tolist()
        assert got == want, t
    assert sum(h["tech_sme"].fillna(False)) > 0 and sum(h["gazelle"].fillna(False)) > 0


def test_mujun_sql_equals_the_service(demo_db):
    with Store(demo_db, "read") as s:
        f = sm.mujun(s, YEAR, recompute=True).firm_frame().sort_values(["zone_id", "credit_code"],
                                                                       ignore_index=True)
    h = hand(demo_db, "mujun")
    assert h["credit_code"].tolist() == f["credit_code"].tolist() and len(h) > 300
    for c in ("population", "grade", "not_graded"):
        assert h[c].fillna("—").tolist() == f[c].fillna("—").tolist(), c
    for c in ("tax_per_mu", "va_per_mu", "va_per_energy", "va_per_emission", "labour_productivity", "rd_intensity",
              "tax_per_electricity", "score", "rank", "n_graded", "percentile"):
        same_numbers(h[c].astype("float64"), pd.to_numeric(f[c], errors="coerce").astype("float64"), c)
    assert set(h["grade"].dropna()) == {"A", "B", "C", "D"}


def test_tiers_outputs_sql_equals_the_tiers_service(demo_db):
    """bench/sql/tiers_{evidence,near_miss,funnel}.sql give the service's open evidence list, near misses
    and funnel for the ten tiers they are written for (the bench's own equality check, on the demo store)."""
    import sys

    sys.path.insert(0, str(SQL.parent))
    import enterprise as bench  # bench/enterprise.py

    rules, sha = bench.ten_tier_rules()
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        ref = bench.tiers_service_sql(con, 1, YEAR, 1)
    finally:
        con.close()
    with Store(demo_db, "read") as s:
        got = bench.tiers_service_gx(s, rules, sha, 1, YEAR, 1)
        summary = bench.check_tiers_service(got, ref)  # raises on any difference
    assert len(got[0].near_miss) > 20 and len(got[1]) > 10_000, summary
