"""The 亩均 expression executed on a local Spark session gives DuckDB's numbers (slow: starts a JVM)."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures import spark_twin_stores
from gaoxin.analysis import mujun as am
from gaoxin.analysis import mujun_expr as mx

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.slow,
    # pyspark 4.3 and Ibis's pandas conversion about pandas 3 (theirs, not ours)
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("mujun-spark")
    with spark_twin_stores(folder, zones=6, enterprises=400, years=(2022, 2023), seed=11) as s:
        yield s


def wide_rules() -> am.MujunRules:
    """The shipped rules with a benchmark of every other scope and statistic, and a cap."""
    doc = am.load_rules().model_dump()
    terms = doc["formulas"]["full"]["terms"]
    terms[0].update(benchmark=None, benchmark_from="province_mean", cap=2.0)
    terms[1].update(benchmark=None, benchmark_from="all_median")
    terms[2].update(benchmark=None, benchmark_from="zone_median")
    terms[4].update(benchmark=None, benchmark_from="all_mean")
    doc["formulas"]["small"]["terms"][0].update(benchmark_from="population_median")
    return am.MujunRules(**doc)


@pytest.mark.parametrize("which", ["shipped", "wide"])
def test_spark_equals_duckdb(stores, which) -> None:
    con, spark = stores
    rules = am.load_rules() if which == "shipped" else wide_rules()
    d = mx.compute(con, rules, 2023, 1, 2.66).to_pandas()
    s = mx.compute(spark, rules, 2023, 1, 2.66).to_pandas()
    assert len(d) > 300 and list(s.columns) == list(d.columns)  # in one order: (zone, credit code) on both
    assert d["grade"].notna().sum() > 100 and d["score"].notna().sum() > 100  # the comparison has substance
    for c in d.columns:
        if d[c].dtype.kind in "OUT" or str(d[c].dtype) in ("str", "string"):
            assert s[c].fillna("<null>").tolist() == d[c].fillna("<null>").tolist(), c
            continue
        x, y = s[c].to_numpy(float), d[c].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), f"{c}: NULLs differ"
        m = ~np.isnan(x)
        np.testing.assert_allclose(x[m], y[m], rtol=1e-9, atol=0, err_msg=c)  # float sums in another order
