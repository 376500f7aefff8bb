"""Indicators declared as data: formula language, framework validation, computation on a store."""

from __future__ import annotations

import glob
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import ingest_path as ingest
from gaoxin.demo.synthetic import generate
from gaoxin.indicators.compute import compile_framework, compute_indicators, to_long
from gaoxin.indicators.formula import FormulaError, parse
from gaoxin.indicators.framework import (
    FrameworkError,
    framework_tree_text,
    list_frameworks,
    load_framework,
    parse_framework,
)
from gaoxin.ingest.contract import match_header
from gaoxin.store import db as store_db

BUILTINS = ["national-2021", "ecosystem-1-2-3", "fyp14-highlands"]


def _fw(indicators: dict[str, str]) -> dict:
    return {
        "framework": {"id": "t", "name_zh": "测试", "name_en": "test", "version": "1", "source": "test"},
        "pillar": [{"code": "p", "name_zh": "甲", "name_en": "P"}],
        "indicator": [
            {"code": c, "name_zh": c, "name_en": c, "parent": "p", "formula": f, "source": "test"}
            for c, f in indicators.items()
        ],
    }


# --------------------------------------------------------------------------- demo store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame, pd.DataFrame]:
    d = tmp_path_factory.mktemp("ind")
    files = generate(d, zones=6, enterprises=300, years=(2020, 2023), seed=3)
    res = ingest([files.zones, files.enterprises, files.zone_facts], d / "s.duckdb")
    assert res.snapshot == 1
    ent = pd.read_csv(files.enterprises, dtype=str)
    cols = {}
    for h in ent.columns:
        m = match_header("enterprises", h)
        if m.column:
            s = ent[h]
            if m.column in ("zone_id", "credit_code", "industry_code", "name"):
                cols[m.column] = s
            elif m.column.startswith("is_"):
                cols[m.column] = s.map({"是": True, "否": False, "1": True, "0": False})
            else:
                cols[m.column] = pd.to_numeric(s) * m.factor
    facts = pd.read_csv(files.zone_facts, dtype={"园区代码": str})
    facts.columns = [match_header("zone_facts", h).column for h in facts.columns]
    con = store_db.connect(d / "s.duckdb", read_only=True)
    df = pd.DataFrame(cols)
    df["year"] = df["year"].astype(int)
    facts["zone_id"] = facts["zone_id"].astype(str)
    yield con, df, facts
    con.close()


def test_builtins_load_and_compute(demo) -> None:
    con, _, _ = demo
    assert {f["id"] for f in list_frameworks()} >= set(BUILTINS)
    for name in BUILTINS:
        fw = load_framework(name)
        assert all(i.source for i in fw.indicators)
        df = compute_indicators(con, fw, (2021, 2023))
        assert list(df.columns) == ["zone_id", "year", *[i.code for i in fw.indicators]]
        assert set(df["year"]) == {2021, 2022, 2023} and df["zone_id"].nunique() == 6
        assert df.attrs["snapshot"] == 1 and df.attrs["framework"] == name
        long = to_long(df)
        assert len(long) == len(df) * len(fw.indicators) and long.attrs["snapshot"] == 1
        assert framework_tree_text(fw).count("\n") > len(fw.indicators)


def test_seed_quotes_are_verbatim() -> None:
    seeds = {n: Path(glob.glob(f"/work/shared/seeds/{n}_*.txt")[0]) for n in ("000", "001")} if glob.glob(
        "/work/shared/seeds/000_*.txt") else {}  # fmt: skip
    if not seeds:
        pytest.skip("seed files not available")
    for name, seed in (("ecosystem-1-2-3", "000"), ("fyp14-highlands", "001")):
        text = seeds[seed].read_text("utf-8")
        fw = load_framework(name)
        for x in (*fw.pillars, *fw.indicators):
            assert x.quote, f"{name}: {x.code} has no quote"
            assert x.quote in text, f"{name}: {x.code} quote not in seed {seed}"


def _prev(s: pd.Series) -> pd.Series:
    """Value of the previous year for the same zone (NaN if absent)."""
    keys = pd.MultiIndex.from_arrays([s.index.get_level_values(0), s.index.get_level_values(1) - 1])
    return pd.Series(s.reindex(keys).to_numpy(), index=s.index)


def test_national_against_pandas(demo) -> None:
    con, ent, facts = demo
    df = compute_indicators(con, "national-2021", (2021, 2023)).set_index(["zone_id", "year"])
    g = ent.groupby(["zone_id", "year"])
    rd = g["rd_expense"].sum() / g["revenue"].sum()
    grants = g["invention_grants"].sum() / g["employees"].sum() * 10000
    ht = ent.assign(h=ent["is_high_tech"].fillna(False).astype(int)).groupby(["zone_id", "year"])["h"].sum()
    net_new = ht - _prev(ht)
    rd5 = ent[ent["rd_expense"] >= 0.05 * ent["revenue"]].groupby(["zone_id", "year"])["revenue"].sum()
    rd5 = rd5.reindex(rd.index, fill_value=0) / g["revenue"].sum()
    lp = g["value_added"].sum() / g["employees"].sum()
    lp_growth = lp / _prev(lp) - 1
    f = facts.pivot_table(index=["zone_id", "year"], columns="indicator", values="value")
    inst = f["national_rd_institutions"] + f["provincial_rd_institutions"]
    for (z, y), row in df.iterrows():
        assert row["rd_intensity"] == pytest.approx(rd[(z, y)], rel=1e-9)
        assert row["invention_grants_per_10k"] == pytest.approx(grants[(z, y)], rel=1e-9)
        assert row["net_new_high_tech"] == net_new[(z, y)] and not math.isnan(net_new[(z, y)])
        assert row["rd5_revenue_share"] == pytest.approx(rd5[(z, y)], rel=1e-9, abs=1e-15)
        assert row["labour_productivity_growth"] == pytest.approx(lp_growth[(z, y)], rel=1e-9)
        assert row["rd_institutions"] == inst[(z, y)]
        assert row["new_registered_enterprises"] == f["new_registered_enterprises"][(z, y)]
        assert math.isnan(row["new_gazelles"])  # input not in the demo facts


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
    fw = parse_framework(_fw(formulas))
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
    assert compile_framework(parse_framework(_fw({"x": "cagr(sum(revenue), 3)"})), (2020, 2020)).max_lag == 3


# --------------------------------------------------------------------------- formula and framework errors


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


def test_framework_errors_name_file_and_indicator() -> None:
    bad = _fw({"x": "sum(revenue) / sum(nope)"})
    with pytest.raises(FrameworkError, match=r"f\.toml: indicator x: .*unknown enterprise column 'nope'"):
        parse_framework(bad, "f.toml")
    dup = _fw({"x": "count()"})
    dup["indicator"].append(dict(dup["indicator"][0]))
    with pytest.raises(FrameworkError, match="indicator x: duplicate code"):
        parse_framework(dup, "f.toml")
    orphan = _fw({"x": "count()"})
    orphan["indicator"][0]["parent"] = "missing"
    with pytest.raises(FrameworkError, match="indicator x: parent 'missing' is not a pillar"):
        parse_framework(orphan, "f.toml")
    extra = _fw({"x": "count()"})
    extra["indicator"][0]["colour"] = "red"
    with pytest.raises(FrameworkError, match="indicator x: colour: Extra inputs"):
        parse_framework(extra, "f.toml")
    weights = _fw({"x": "count()", "y": "count()"})
    weights["indicator"][0]["weight"] = 0.5
    weights["indicator"][1]["weight"] = 0.6
    with pytest.raises(FrameworkError, match=r"sum to 1\.1000"):
        parse_framework(weights, "f.toml")
    sub = _fw({"x": "count()"})
    sub["pillar"].append({"code": "q", "name_zh": "乙", "name_en": "Q", "parent": "nowhere"})
    with pytest.raises(FrameworkError, match="pillar q: parent 'nowhere'"):
        parse_framework(sub, "f.toml")
    with pytest.raises(FrameworkError, match="unknown framework 'nope'"):
        load_framework("nope")


def test_user_directory(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        '[framework]\nid = "mine"\nname_zh = "我的"\nname_en = "Mine"\nversion = "1"\nsource = "me"\n'
        '[[pillar]]\ncode = "p"\nname_zh = "甲"\nname_en = "P"\n'
        '[[indicator]]\ncode = "n"\nname_zh = "数"\nname_en = "N"\nparent = "p"\nformula = "count()"\nsource = "me"\n',
        "utf-8",
    )
    (tmp_path / "broken.toml").write_text("[framework\n", "utf-8")
    listed = {f["id"]: f for f in list_frameworks(tmp_path)}
    assert listed["mine"]["origin"] == "user" and listed["broken"]["error"]
    assert load_framework("mine", tmp_path).id == "mine"
    assert load_framework(tmp_path / "mine.toml").id == "mine"
