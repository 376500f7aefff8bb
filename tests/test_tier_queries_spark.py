"""The tier outputs (evidence, near misses, funnel: analysis/tier_queries.py) executed on a local Spark session
agree with DuckDB (slow: starts a JVM).  Twin stores from fixtures.spark_twin_stores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fixtures import spark_twin_stores
from gaoxin.analysis import tier_queries as Q
from gaoxin.analysis import tiers as T

pyspark = pytest.importorskip("pyspark")
pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")]
RULES, _ = T.builtin_rules()
YEARS = (2022, 2023)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("spark-tiers")
    with spark_twin_stores(folder, zones=3, enterprises=150, years=(2019, 2023), seed=7) as s:
        yield s


def same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a, b = a.sort_values(keys, ignore_index=True), b.sort_values(keys, ignore_index=True)
    assert list(a.columns) == list(b.columns) and len(a) == len(b) > 0
    for c in a.columns:
        if a[c].dtype.kind == "f":
            x, y = a[c].to_numpy(float), b[c].to_numpy(float)
            assert (np.isnan(x) == np.isnan(y)).all(), c
            np.testing.assert_allclose(x[~np.isnan(x)], y[~np.isnan(y)], rtol=1e-12, atol=0, err_msg=c)
        else:
            assert a[c].astype("int64" if a[c].dtype.kind in "iu" else object).tolist() == \
                b[c].astype("int64" if a[c].dtype.kind in "iu" else object).tolist(), c


@pytest.mark.parametrize(("kind", "keys"), [("evidence", ["credit_code", "year", "i"]),
                                            ("evidence_open", ["firm", "i"]),
                                            ("near_miss", ["credit_code", "year", "tr"]),
                                            ("funnel", ["zone_id", "year"])])
def test_tier_outputs_on_spark_equal_duckdb(stores, kind, keys) -> None:
    con, spark = stores
    years = YEARS if kind == "funnel" else (YEARS[1], YEARS[1])
    d = Q.run(con, RULES, "spark-test", kind, years, 1)
    s = Q.run_on(spark, RULES, kind, years, 1)[list(d.columns)]
    same(d, s, keys)
    if kind == "near_miss":
        assert len(d) > 3
