"""The innovation-points expression executed on a local Spark session agrees with DuckDB (slow: starts a JVM)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures import spark_twin_stores
from gaoxin.analysis import points as ap

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.slow,
    # pyspark 4.3 and Ibis's pandas conversion about pandas 3 (theirs, not ours)
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("spark-points")
    with spark_twin_stores(folder, zones=4, enterprises=400, years=(2019, 2023), seed=7) as s:
        yield s


def test_points_on_spark_equal_duckdb(stores) -> None:
    con, spark = stores
    rules, _ = ap.load_rules()
    d = ap.compute_points(con, rules, (2021, 2023), 1)
    s = ap.compute_points(spark, rules, (2021, 2023), 1)
    assert len(d) > 500 and list(s.columns) == list(d.columns)
    text = ["credit_code", "name", "zone_id", "band", "band_zh", "top_band", "top_band_zh"]
    assert s[text].fillna("—").values.tolist() == d[text].fillna("—").values.tolist()  # same rows, same order
    pd.testing.assert_series_equal(s["year"], d["year"])
    for c in ("rank", "peer_size"):
        assert s[c].astype("Float64").fillna(-1).tolist() == d[c].astype("Float64").fillna(-1).tolist(), c
    for c in [c for c in d.columns if c not in {*text, "year", "rank", "peer_size"}]:
        x, y = s[c].to_numpy(float), d[c].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), f"{c}: NULLs differ"
        np.testing.assert_allclose(x[~np.isnan(x)], y[~np.isnan(y)], rtol=1e-12, atol=0, err_msg=c)
    assert set(d["top_band"]) >= {"top5", "top5_10", "top10_20", "rest"}


def test_one_zone_on_spark(stores) -> None:
    con, spark = stores
    rules, _ = ap.load_rules()
    zone = "GX002"
    s = ap.compute_points(spark, rules, (2023, 2023), 1, zone)
    d = ap.compute_points(con, rules, (2023, 2023), 1, zone)
    assert set(s["zone_id"]) == {zone} and s["credit_code"].tolist() == d["credit_code"].tolist()
    assert s["points"].round(6).fillna(-1).tolist() == d["points"].round(6).fillna(-1).tolist()
