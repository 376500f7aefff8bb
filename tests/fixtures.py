"""Test data shared by several test modules (not collected: the name does not start with ``test_``).

Import what you need explicitly (``from fixtures import framework_doc``); ``conftest.py`` keeps the
ingest fixtures.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

BUILTINS = ["national-2021", "ecosystem-1-2-3", "fyp14-highlands"]


def framework_doc(indicators: dict[str, str]) -> dict:
    """A framework TOML document (as a dict) with one pillar ``p`` and one indicator per ``code: formula``."""
    return {
        "framework": {"id": "t", "name_zh": "测试", "name_en": "test", "version": "1", "source": "test"},
        "pillar": [{"code": "p", "name_zh": "甲", "name_en": "P"}],
        "indicator": [
            {"code": c, "name_zh": c, "name_en": c, "parent": "p", "formula": f, "source": "test"}
            for c, f in indicators.items()
        ],
    }


# integer-valued floats: ties happen, but no sub-normal values whose differences vanish in rounding
frames = arrays(float, st.tuples(st.integers(3, 12), st.integers(2, 5)), elements=st.integers(0, 1000).map(float))


def units_frame(a: np.ndarray) -> pd.DataFrame:
    """A units × indicators frame (units ``u0…``, indicators ``i0…``) from a 2-d array."""
    return pd.DataFrame(a, index=[f"u{i}" for i in range(a.shape[0])], columns=[f"i{j}" for j in range(a.shape[1])])


def panel_store(path, rows: list[dict], zones: tuple[str, ...] = ("A", "B")):
    """A store with one snapshot, ``zones`` and enterprise-year ``rows`` (dicts of store columns), open for reading.

    ``name`` defaults to the credit code, ``revenue`` to 100 and ``employees`` to 1 (required columns).
    """
    from gaoxin.store import db as store_db

    con = store_db.connect(path)
    con.execute("INSERT INTO snapshot VALUES (1, 's1', now(), '[]', 0, 0, 0, 0, 0, 'test')")
    for i, z in enumerate(zones):
        con.execute("INSERT INTO zone (row_id, valid_from, zone_id, name, level, province_code, region) "
                    "VALUES (?, 1, ?, ?, 'national', '11', 'east')", [i, z, z])
    for i, r in enumerate(rows):
        r = {"name": r["credit_code"], "revenue": 100, "employees": 1, **r}
        cols = ", ".join(r)
        marks = ", ".join("?" * len(r))
        con.execute(f"INSERT INTO enterprise_year (row_id, valid_from, {cols}) VALUES (?, 1, {marks})",
                    [i, *r.values()])
    return con


@contextmanager
def spark_twin_stores(folder: Path, *, zones: int, enterprises: int, years: tuple[int, int], seed: int):
    """The same generated snapshot in DuckDB and as Spark temp views (copied through Arrow).

    Yields ``(duckdb_connection, ibis_pyspark_backend)``: the Spark tests run one expression on both and
    compare.  Spark runs in local mode with one thread and one shuffle partition, UTC.
    """
    import ibis
    from pyspark.sql import SparkSession

    from conftest import ingest_path
    from gaoxin.demo.synthetic import generate
    from gaoxin.indicators.tables import STORE_TABLES
    from gaoxin.store import db as store_db

    files = generate(folder / "csv", zones=zones, enterprises=enterprises, years=years, seed=seed)
    ingest_path([files.zones, files.enterprises, files.zone_facts], folder / "s.duckdb")
    con = store_db.connect(folder / "s.duckdb", read_only=True)
    spark = (SparkSession.builder.master("local[1]").appName("gaoxin-test")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())  # fmt: skip
    try:
        for name in (*STORE_TABLES, "snapshot"):
            spark.createDataFrame(con.sql(f"SELECT * FROM {name}").to_arrow_table()).createOrReplaceTempView(name)
        yield con, ibis.pyspark.connect(spark)
    finally:
        spark.stop()
        con.close()
