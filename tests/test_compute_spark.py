"""The indicator plans executed on a local Spark session agree with DuckDB (slow: starts a JVM)."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures import spark_twin_stores
from gaoxin.indicators.compute import compute_indicators
from gaoxin.indicators.units import ENTERPRISE_YEAR, ZONE_YEAR, industry_zone_year

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.slow,
    # pyspark 4.3 and Ibis's pandas conversion about pandas 3 (theirs, not ours)
    pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("spark")
    with spark_twin_stores(folder, zones=6, enterprises=300, years=(2020, 2023), seed=5) as s:
        yield s


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("national-2021", ZONE_YEAR),
        ("ecosystem-1-2-3", ZONE_YEAR),
        ("fyp14-highlands", ZONE_YEAR),
        ("national-2021", ENTERPRISE_YEAR),
        ("national-2021", industry_zone_year(2)),
    ],
    ids=lambda x: getattr(x, "name", x),
)
def test_spark_equals_duckdb(stores, name, unit) -> None:
    con, spark = stores
    d = compute_indicators(con, name, (2021, 2023), unit=unit)
    s = compute_indicators(spark, name, (2021, 2023), unit=unit)
    assert s.attrs["snapshot"] == d.attrs["snapshot"] == 1 and "`enterprise_year`" in s.attrs["sql"]
    keys = list(unit.columns)
    assert s[keys].astype(str).values.tolist() == d[keys].astype(str).values.tolist()
    for c in d.columns[len(keys) :]:
        x, y = s[c].to_numpy(float), d[c].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), f"{c}: NULLs differ"
        m = ~np.isnan(x)
        np.testing.assert_allclose(x[m], y[m], rtol=1e-9, atol=0, err_msg=c)  # float sums in another order
