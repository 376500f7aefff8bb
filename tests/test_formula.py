"""The formula language (``gaoxin.indicators.formula``): what it rejects, and what it means on a hand-made store."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from fixtures import framework_doc
from gaoxin.indicators.compute import compile_framework, compute_indicators
from gaoxin.indicators.formula import FormulaError, parse
from gaoxin.indicators.framework import parse_framework
from gaoxin.store import db as store_db

# --------------------------------------------------------------------------- rejected formulas


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("revenue / sum(employees)", "outside an aggregate"),
        ("sum(revenue) +", "syntax error"),
        ("sum(nonexistent)", "unknown enterprise column 'nonexistent'"),
        ("__import__('os').system('x')", "only plain function calls"),
        ("__import__('os')", "unknown function '__import__'"),
        ("sum(revenue).real", "not allowed"),
        ("open('f')", "unknown function 'open'"),
        ("sum(sum(revenue))", "cannot be used inside an aggregate"),
        ("count(revenue)", "counts rows where condition"),
        ("share(revenue)", "needs a condition"),
        ("fact(gdp)", "quoted name"),
        ('zone("name")', "numeric zones column"),
        ("cagr(sum(revenue))", "takes 2"),
        ("lag(sum(revenue), 0)", "whole number"),
        ("sum(revenue) > 1", "outside an aggregate"),
        ("sum(name)", "text column"),
        ("[1, 2]", "not allowed"),
        ("lambda: 1", "not allowed"),
        ("sum(revenue, by=zone_id)", "unexpected keyword"),
    ],
)
def test_bad_formulas(formula: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        parse(formula)


# --------------------------------------------------------------------------- handcrafted store


@pytest.fixture()
def tiny(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Zone A: 2019, 2020, 2022 (2021 missing); zone B: 2020–2021.  Values chosen by hand."""
    con = store_db.connect(tmp_path / "t.duckdb")
    con.execute("INSERT INTO snapshot VALUES (1, 's1', now(), '[]', 0, 0, 0, 0, 0, 'test')")
    con.execute(
        "INSERT INTO zone (row_id, valid_from, zone_id, name, level, province_code, region, planned_area_km2) "
        "VALUES (1, 1, 'A', 'A', '国家级', '11', 'east', 10.0), (2, 1, 'B', 'B', '国家级', '31', 'east', 4.0)"
    )
    rows = [  # zone, year, code, revenue, rd, employees, high_tech, founded
        ("A", 2019, "c1", 100.0, 10.0, 10, True, 2010),
        ("A", 2019, "c2", 100.0, 1.0, 10, False, 2019),
        ("A", 2020, "c1", 121.0, 12.0, 11, True, 2010),
        ("A", 2020, "c2", 100.0, 6.0, 10, True, 2019),
        ("A", 2020, "c3", 50.0, None, 5, None, 2020),
        ("A", 2022, "c1", 144.0, 1.0, 12, False, 2010),
        ("B", 2020, "d1", 10.0, 1.0, 2, True, 2015),
        ("B", 2021, "d1", 20.0, 0.0, 0, True, 2015),
    ]
    for i, (z, y, c, rev, rd, emp, ht, fy) in enumerate(rows):
        con.execute(
            "INSERT INTO enterprise_year (row_id, valid_from, credit_code, year, name, zone_id, revenue, rd_expense, "
            "employees, is_high_tech, founded_year) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [i, c, y, c, z, rev, rd, emp, ht, fy],
        )
    facts = [("A", 2019, "gdp", 1000.0), ("A", 2020, "gdp", 1210.0), ("A", 2022, "gdp", 1331.0),
             ("A", 2021, "gdp", 1100.0), ("B", 2021, "gdp", 50.0)]  # fmt: skip
    for i, (z, y, k, v) in enumerate(facts):
        con.execute("INSERT INTO zone_fact (row_id, valid_from, zone_id, year, indicator, value) "
                    "VALUES (?, 1, ?, ?, ?, ?)", [i, z, y, k, v])  # fmt: skip
    return con


def _calc(con: duckdb.DuckDBPyConnection, years: tuple[int, int], **formulas: str) -> pd.DataFrame:
    fw = parse_framework(framework_doc(formulas))
    return compute_indicators(con, fw, years, 1).set_index(["zone_id", "year"])


def test_handcrafted_semantics(tiny) -> None:
    df = _calc(
        tiny, (2020, 2022),
        rev="sum(revenue)", n="count()", rd5="count(rd_expense >= 0.05 * revenue)", ht_share="share(is_high_tech)",
        rd_int="sum(rd_expense) / sum(revenue)", rev5="sum(revenue, where=rd_expense >= 0.05*revenue) / sum(revenue)",
        new="count(founded_year == year)", g="growth(sum(revenue))", lag="lag(sum(revenue))",
        nn="net_new(is_high_tech)", cagr2="cagr(fact(\"gdp\"), 2)", gdp_area='fact("gdp") / zone("planned_area_km2")',
        per_emp="sum(revenue) / sum(employees)", yr="year", d="diff(fact(\"gdp\"))", mean_rd="mean(rd_expense)",
    )  # fmt: skip
    a20, a22, b21 = df.loc[("A", 2020)], df.loc[("A", 2022)], df.loc[("B", 2021)]
    assert a20["rev"] == 271 and a20["n"] == 3 and a20["rd5"] == 2 and a20["new"] == 1
    assert a20["ht_share"] == pytest.approx(2 / 3)  # missing flag counts as not flagged
    assert a20["rd_int"] == pytest.approx(18 / 271)  # missing rd ignored in the sum
    assert a20["rev5"] == pytest.approx(221 / 271)
    assert a20["g"] == pytest.approx(271 / 200 - 1) and a20["lag"] == 200
    assert a20["nn"] == 2 - 1
    assert a20["mean_rd"] == pytest.approx(9.0)
    assert a20["yr"] == 2020
    assert a20["gdp_area"] == pytest.approx(121.0)
    # 2021 has facts but no enterprise rows: the row exists, enterprise aggregates are NULL
    a21 = df.loc[("A", 2021)]
    assert math.isnan(a21["rev"]) and a21["d"] == pytest.approx(1100 - 1210)
    # lags are by year, not by row: 2022's previous year 2021 has no enterprise rows
    assert math.isnan(a22["g"]) and math.isnan(a22["lag"]) and math.isnan(a22["nn"])
    assert a22["cagr2"] == pytest.approx(math.sqrt(1331 / 1210) - 1)
    assert math.isnan(df.loc[("A", 2020), "cagr2"])  # 2018 unknown
    # division by zero employees → NULL; first year of B has no lag
    assert math.isnan(b21["per_emp"]) and b21["g"] == pytest.approx(1.0)
    assert math.isnan(df.loc[("B", 2020), "g"])


def test_lag_reads_years_before_range(tiny) -> None:
    df = _calc(tiny, (2020, 2020), g="growth(sum(revenue))", l2='lag(fact("gdp"), 1)')
    assert df.loc[("A", 2020), "g"] == pytest.approx(271 / 200 - 1)
    assert df.loc[("A", 2020), "l2"] == 1000
    assert compile_framework(parse_framework(framework_doc({"x": "cagr(sum(revenue), 3)"})), (2020, 2020)).max_lag == 3
