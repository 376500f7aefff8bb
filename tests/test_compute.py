"""The portable indicator compiler: the old compiler's results, built-ins against pandas, units of analysis,
snapshots, cache, exact sums."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import ingest_path
from fixtures import BUILTINS
from gaoxin.demo.synthetic import generate
from gaoxin.indicators.compute import compile_framework, compute_indicators, to_long
from gaoxin.indicators.formula import FormulaError
from gaoxin.indicators.framework import load_framework, parse_framework
from gaoxin.indicators.plans import PlanCache, framework_hash
from gaoxin.indicators.units import ENTERPRISE_YEAR, ZONE_YEAR, Unit, industry_zone_year, parse_unit
from gaoxin.ingest.contract import match_header, tables
from gaoxin.store import db as store_db

GOLDEN = Path(__file__).parent / "indicators" / "golden"


def _fw(**formulas: str):
    return parse_framework({
        "framework": {"id": "t", "name_zh": "测试", "name_en": "test", "version": "1", "source": "test"},
        "pillar": [{"code": "p", "name_zh": "甲", "name_en": "P"}],
        "indicator": [{"code": c, "name_zh": c, "name_en": c, "parent": "p", "formula": f, "source": "test"}
                      for c, f in formulas.items()],
    })  # fmt: skip


# --------------------------------------------------------------------------- the old compiler's results


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """The demo store the golden files were computed on by the string-replacing compiler (commit b3b4005)."""
    d = tmp_path_factory.mktemp("golden")
    files = generate(d / "csv", zones=20, enterprises=2000, years=(2019, 2023), seed=3)
    ingest_path([files.zones, files.enterprises, files.zone_facts], d / "s.duckdb")
    con = store_db.connect(d / "s.duckdb", read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("name", BUILTINS)
def test_matches_the_old_compiler(demo, name: str) -> None:
    """Bit for bit while money is stored as DOUBLE (same arithmetic as the old compiler).

    With exact storage (DECIMAL money, migration 003) sums are exact before the one
    conversion to float64, where the old compiler summed floats: then the last bits
    may differ, so values agree to 1e-12 relative; keys and NULLs still exactly.
    national-2021 is now the whole 2021 system; the 24-indicator file the golden values were
    made from is kept beside them (``golden/national-2021.toml``) and compared instead.
    """
    frozen = GOLDEN / f"{name}.toml"
    df = compute_indicators(demo, frozen if frozen.exists() else name, (2020, 2023))
    assert df.attrs["snapshot"] == 1 and df.attrs["unit"] == "zone-year" and "enterprise_year" in df.attrs["sql"]
    df.attrs = {}
    golden = pd.read_parquet(GOLDEN / f"{name}.parquet")
    money = demo.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = 'enterprise_year' "
                         "AND column_name = 'revenue'").fetchone()[0]  # fmt: skip
    if money == "DOUBLE":
        pd.testing.assert_frame_equal(df, golden, check_exact=True)
    else:
        pd.testing.assert_frame_equal(df[["zone_id", "year"]], golden[["zone_id", "year"]], check_exact=True)
        pd.testing.assert_frame_equal(df.isna(), golden.isna())
        pd.testing.assert_frame_equal(df, golden, check_exact=False, rtol=1e-12, atol=0)


def test_unit_totals_add_up(demo) -> None:
    """Property: enterprise rows and industry nodes (incl. the NULL node) partition the zone-year."""
    fw = _fw(rev="sum(revenue)", n="count()", ht="count(is_high_tech)")
    z = compute_indicators(demo, fw, (2019, 2023)).set_index(["zone_id", "year"])
    for unit in (ENTERPRISE_YEAR, industry_zone_year(2), industry_zone_year(1)):
        u = compute_indicators(demo, fw, (2019, 2023), unit=unit)
        assert list(u.columns[: len(unit.columns)]) == list(unit.columns)
        assert not u.duplicated(list(unit.keys)).any()
        s = u.groupby(["zone_id", "year"])[["rev", "n", "ht"]].sum()
        pd.testing.assert_frame_equal(s, z[["rev", "n", "ht"]], check_exact=False, rtol=1e-12)
    assert len(compute_indicators(demo, fw, (2019, 2023), unit=ENTERPRISE_YEAR)) == demo.execute(
        "SELECT count(*) FROM enterprise_year WHERE year BETWEEN 2019 AND 2023").fetchone()[0]  # fmt: skip


def test_binding_leaves_connection_settings_alone(demo) -> None:
    q = "SELECT current_setting('TimeZone'), current_setting('python_enable_replacements')"
    before = demo.execute(q).fetchall()
    a = compute_indicators(demo, "national-2021", (2022, 2023))
    assert demo.execute(q).fetchall() == before
    cur = demo.cursor()  # the web server serves readers through cursors of its one connection
    pd.testing.assert_frame_equal(compute_indicators(cur, "national-2021", (2022, 2023)), a, check_exact=True)
    cur.close()


# --------------------------------------------------------------------------- built-ins on a small demo store


@pytest.fixture(scope="module")
def demo_frames(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame, pd.DataFrame]:
    """A small demo store (6 zones, 2020–2023) and its enterprises and zone facts read back with pandas."""
    d = tmp_path_factory.mktemp("ind")
    files = generate(d, zones=6, enterprises=300, years=(2020, 2023), seed=3)
    res = ingest_path([files.zones, files.enterprises, files.zone_facts], d / "s.duckdb")
    assert res.snapshot == 1
    ent = pd.read_csv(files.enterprises, dtype=str)
    cols = {}
    for h in ent.columns:
        m = match_header("enterprises", h)
        if m.column:
            s = ent[h]
            if m.column in ("zone_id", "credit_code", "industry_code", "name", "listing_board"):
                cols[m.column] = s
            elif tables()["enterprises"].column(m.column).type == "bool":
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


def test_builtins_compute(demo_frames) -> None:
    """Every built-in framework computes on the demo store: one column per indicator, the snapshot recorded."""
    con, _, _ = demo_frames
    for name in BUILTINS:
        fw = load_framework(name)
        df = compute_indicators(con, fw, (2021, 2023))
        assert list(df.columns) == ["zone_id", "year", *[i.code for i in fw.indicators]]
        assert set(df["year"]) == {2021, 2022, 2023} and df["zone_id"].nunique() == 6
        assert df.attrs["snapshot"] == 1 and df.attrs["framework"] == name
        long = to_long(df)
        assert len(long) == len(df) * len(fw.indicators) and long.attrs["snapshot"] == 1


def _prev(s: pd.Series) -> pd.Series:
    """Value of the previous year for the same zone (NaN if absent)."""
    keys = pd.MultiIndex.from_arrays([s.index.get_level_values(0), s.index.get_level_values(1) - 1])
    return pd.Series(s.reindex(keys).to_numpy(), index=s.index)


def test_national_against_pandas(demo_frames) -> None:
    con, ent, facts = demo_frames
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
        assert row["va_share_of_city_gdp"] == pytest.approx(f["gdp"][(z, y)] / f["city_gdp"][(z, y)], rel=1e-12)
    # flows: "new this year" against the enterprise's own previous-year row, in pandas
    e = ent.set_index(["credit_code", "year"])
    sme = e["is_tech_sme"].fillna(False).astype(bool)
    before = sme.groupby(level=0).shift(1)  # previous row: the same as the previous year only without gaps
    prev_year = pd.Series(e.index.get_level_values(1), index=e.index).groupby(level=0).shift(1)
    was = before.where(prev_year == e.index.get_level_values(1) - 1, False).fillna(False).astype(bool)
    new_sme = (sme & ~was).groupby([e["zone_id"], e.index.get_level_values(1)]).sum()
    listed_now = ent[(ent["listed_year"] == ent["year"]) & (ent["listing_board"] != "新三板")]
    listings = listed_now.groupby(["zone_id", "year"]).size()
    for (z, y), row in df.iterrows():
        assert row["new_tech_smes"] == new_sme.get((z, y), 0)
        assert row["new_listings"] == listings.get((z, y), 0)


# --------------------------------------------------------------------------- hand-worked store


@pytest.fixture()
def tiny(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Two snapshots.  c3 moves from zone A (2021) to B (2022); d1 has no industry code.

    Snapshot 2 replaces c1's 2021 revenue 150 → 170 (closes the old row, adds a new one).
    """
    con = store_db.connect(tmp_path / "t.duckdb")
    for s in (1, 2):
        con.execute("INSERT INTO snapshot VALUES (?, ?, now(), '[]', 0, 0, 0, 0, 0, 'test')", [s, f"s{s}"])
    con.execute(
        "INSERT INTO zone (row_id, valid_from, zone_id, name, level, province_code, region, planned_area_km2) "
        "VALUES (1, 1, 'A', 'A', '国家级', '11', 'east', 10.0), (2, 1, 'B', 'B', '国家级', '31', 'east', 4.0)"
    )
    rows = [  # credit_code, zone, year, industry, revenue, employees, high_tech, valid_from, valid_to
        ("c1", "A", 2020, "6311", 100.0, 10, True, 1, None),
        ("c1", "A", 2021, "6311", 150.0, 12, True, 1, 2),
        ("c1", "A", 2021, "6311", 170.0, 12, True, 2, None),
        ("c2", "A", 2020, "6420", 50.0, 5, False, 1, None),
        ("c2", "A", 2021, "6420", 40.0, 4, True, 1, None),
        ("c3", "A", 2021, "1711", 30.0, 3, False, 1, None),
        ("c3", "B", 2022, "1711", 60.0, 6, False, 1, None),
        ("d1", "B", 2020, None, 10.0, 1, None, 1, None),
        ("d1", "B", 2021, None, 20.0, 2, True, 1, None),
    ]
    for i, (c, z, y, ind, rev, emp, ht, vf, vt) in enumerate(rows):
        con.execute(
            "INSERT INTO enterprise_year (row_id, valid_from, valid_to, credit_code, year, name, zone_id, "
            "industry_code, revenue, employees, is_high_tech) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [i, vf, vt, c, y, c, z, ind, rev, emp, ht],
        )
    for i, (z, y, v) in enumerate([("A", 2020, 1000.0), ("A", 2021, 1200.0), ("B", 2021, 50.0)]):
        con.execute("INSERT INTO zone_fact (row_id, valid_from, zone_id, year, indicator, value) "
                    "VALUES (?, 1, ?, ?, 'gdp', ?)", [i, z, y, v])  # fmt: skip
    return con


FORMULAS = {"rev": "sum(revenue)", "g": "growth(sum(revenue))", "n": "count()", "gdp": 'fact("gdp")',
            "area": 'zone("planned_area_km2")', "per_gdp": 'sum(revenue) / fact("gdp")'}  # fmt: skip


def _calc(con, years, unit, snapshot=1) -> pd.DataFrame:
    df = compute_indicators(con, _fw(**FORMULAS), years, snapshot, unit=unit)
    return df.set_index(list(unit.keys))


def test_zone_year_unit(tiny) -> None:
    df = _calc(tiny, (2021, 2022), ZONE_YEAR)
    assert df.loc[("A", 2021), "rev"] == 150 + 40 + 30 and df.loc[("A", 2021), "g"] == pytest.approx(220 / 150 - 1)
    assert df.loc[("B", 2022), "rev"] == 60 and df.loc[("B", 2022), "g"] == pytest.approx(60 / 20 - 1)
    assert df.loc[("A", 2021), "per_gdp"] == pytest.approx(220 / 1200)
    assert _calc(tiny, (2021, 2021), ZONE_YEAR, snapshot=2).loc[("A", 2021), "rev"] == 170 + 40 + 30


def test_enterprise_year_unit(tiny) -> None:
    df = _calc(tiny, (2021, 2022), ENTERPRISE_YEAR)
    assert list(df.index) == [("c1", 2021), ("c2", 2021), ("c3", 2021), ("c3", 2022), ("d1", 2021)]
    c1 = df.loc[("c1", 2021)]
    assert (c1["zone_id"], c1["rev"], c1["n"], c1["gdp"], c1["area"]) == ("A", 150, 1, 1200, 10)
    assert c1["g"] == pytest.approx(0.5) and c1["per_gdp"] == pytest.approx(150 / 1200)
    assert df.loc[("c2", 2021), "g"] == pytest.approx(40 / 50 - 1)
    assert math.isnan(df.loc[("c3", 2021), "g"])  # no 2020 return
    # the lag follows the enterprise, not the zone: c3 moved A → B
    c3 = df.loc[("c3", 2022)]
    assert c3["zone_id"] == "B" and c3["g"] == pytest.approx(60 / 30 - 1) and c3["area"] == 4
    assert math.isnan(c3["gdp"])  # B has no 2022 fact
    assert df.loc[("d1", 2021), "gdp"] == 50
    # a facts-only zone-year creates no enterprise row; snapshot 2 sees the corrected return
    s2 = _calc(tiny, (2021, 2021), ENTERPRISE_YEAR, snapshot="s2")
    assert s2.loc[("c1", 2021), "rev"] == 170 and s2.loc[("c1", 2021), "g"] == pytest.approx(0.7)


def test_industry_zone_year_unit(tiny) -> None:
    df = _calc(tiny, (2021, 2022), industry_zone_year(2))
    assert df.loc[("A", "63", 2021), "rev"] == 150 and df.loc[("A", "63", 2021), "g"] == pytest.approx(0.5)
    assert df.loc[("A", "64", 2021), "g"] == pytest.approx(-0.2)
    assert df.loc[("A", "17", 2021), "gdp"] == 1200 and math.isnan(df.loc[("A", "17", 2021), "g"])
    assert math.isnan(df.loc[("B", "17", 2022), "g"])  # B's division 17 starts in 2022
    null_node = df.xs(2021, level="year").loc["B"]
    assert null_node.index.isna().all() and null_node["rev"].tolist() == [20] and null_node["g"].tolist() == [1.0]
    one = _calc(tiny, (2021, 2021), industry_zone_year(1))
    assert one.loc[("A", "6", 2021), "rev"] == 190 and one.loc[("A", "6", 2021), "g"] == pytest.approx(190 / 150 - 1)
    assert one.loc[("A", "6", 2021), "n"] == 2
    long = to_long(compute_indicators(tiny, _fw(rev="sum(revenue)"), (2021, 2021), 1, unit="industry2-zone-year"))
    assert list(long.columns) == ["zone_id", "industry_node", "year", "indicator", "value"]


@pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning")  # Ibis's schema read (decision 0008)
def test_bound_expression_executes_on_the_backend(tiny) -> None:
    """The generic path (Spark's): the plan bound to the backend's tables, executed by Ibis itself."""
    from gaoxin.indicators.backend import duckdb_backend, duckdb_schemas

    fw = _fw(**FORMULAS)
    cf = compile_framework(fw, (2021, 2022), ENTERPRISE_YEAR, schemas=duckdb_schemas(tiny))
    backend = duckdb_backend(tiny)
    got = backend.to_pyarrow(cf.bind(backend), params={cf.snapshot: 2}).to_pandas()
    want = compute_indicators(tiny, fw, (2021, 2022), 2, unit=ENTERPRISE_YEAR)
    assert got["rev"].tolist() == want["rev"].tolist() == [170, 40, 30, 60, 20]
    assert got["credit_code"].tolist() == want["credit_code"].tolist()


def test_units_are_small_typed_values() -> None:
    assert parse_unit("industry4-zone-year") == industry_zone_year(4) == Unit(
        "industry4-zone-year", ("zone_id", "industry_node", "year"), industry_digits=4)  # fmt: skip
    assert parse_unit("zone-year") is ZONE_YEAR and ENTERPRISE_YEAR.partition == ("credit_code",)
    with pytest.raises(ValueError, match="unknown unit"):
        parse_unit("province-year")
    with pytest.raises(ValueError, match="end with 'year'"):
        Unit("bad", ("year", "zone_id"))
    no_zone = Unit("firm-year", ("credit_code", "year"))
    with pytest.raises(FormulaError, match="need a unit with zone_id"):
        compile_framework(_fw(x='fact("gdp")'), (2021, 2021), no_zone)
    assert compile_framework(_fw(x="sum(revenue)"), (2021, 2021), no_zone).unit == no_zone


# --------------------------------------------------------------------------- portability and cache


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("unit", [ZONE_YEAR, ENTERPRISE_YEAR, industry_zone_year(2)], ids=lambda u: u.name)
def test_same_expression_compiles_for_duckdb_and_spark(name: str, unit: Unit) -> None:
    import sqlglot

    cf = compile_framework(name, (2020, 2023), unit)
    duck, spark = cf.sql(7, "duckdb"), cf.sql(7, "pyspark")
    for sql, dialect, q in ((duck, "duckdb", '"'), (spark, "spark", "`")):
        tree = sqlglot.parse_one(sql, read=dialect)
        tables = {t.name for t in tree.find_all(sqlglot.exp.Table)}
        assert tables <= {"enterprise_year", "zone_fact", "zone"} and "enterprise_year" in tables
        assert f"{q}valid_from{q} <= 7" in sql and f"{q}valid_to{q} > 7" in sql  # the snapshot, a literal
        assert "__gaoxin" not in sql and "_at(" not in sql
    assert cf.sql(7, "duckdb") is duck  # compiled once per (dialect, snapshot)


def test_plan_cache_keys() -> None:
    cache = PlanCache()
    fw = _fw(x="sum(revenue)")
    a = compile_framework(fw, (2020, 2021), cache=cache)
    assert compile_framework(_fw(x="sum(revenue)"), (2020, 2021), cache=cache) is a  # same content, same plan
    assert cache.hits == 1 and cache.misses == 1
    assert compile_framework(fw, (2020, 2021), ENTERPRISE_YEAR, cache=cache) is not a
    assert compile_framework(fw, (2020, 2022), cache=cache) is not a
    assert compile_framework(_fw(x="sum(employees)"), (2020, 2021), cache=cache) is not a
    assert len(cache) == 4 and framework_hash(fw) != framework_hash(_fw(x="sum(employees)"))
    small = PlanCache(maxsize=1)
    compile_framework(fw, (2020, 2021), cache=small)
    compile_framework(fw, (2020, 2022), cache=small)
    assert len(small) == 1


def test_import_does_not_load_ibis() -> None:
    code = "import sys, gaoxin.indicators.compute, gaoxin.indicators.framework; print('ibis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- exact sums


def test_exact_type_sums_do_not_depend_on_threads() -> None:
    """DECIMAL revenue, BIGINT employees, 400,000 rows (4 row groups) of one zone-year: bit-identical."""
    con = duckdb.connect()
    store_db.migrate(con)
    con.execute("ALTER TABLE enterprise_year ALTER revenue TYPE DECIMAL(18, 3)")
    con.execute("INSERT INTO snapshot VALUES (1, 's1', now(), '[]', 0, 0, 0, 0, 0, 'test')")
    con.execute(
        "INSERT INTO enterprise_year (row_id, valid_from, credit_code, year, name, zone_id, revenue, employees) "
        "SELECT i, 1, 'c' || i, 2021, 'n', 'A', (hash(i) % 1000000000000)::DECIMAL(18, 3) / 7, hash(i) % 997 "
        "FROM range(400000) t(i)"
    )
    fw = _fw(rev="sum(revenue)", per="sum(revenue) / sum(employees)", m="mean(revenue)")
    assert "DECIMAL" in con.execute("SELECT typeof(revenue) FROM enterprise_year LIMIT 1").fetchone()[0]
    bits = {}
    for threads in (1, 2, 1, 2):
        con.execute(f"SET threads = {threads}")
        row = compute_indicators(con, fw, (2021, 2021), 1).iloc[0]
        bits.setdefault(threads, set()).add(tuple(struct.pack("<d", row[c]) for c in ("rev", "per", "m")))
    assert len(bits[1] | bits[2]) == 1
    exact = con.execute("SELECT sum(revenue)::DOUBLE FROM enterprise_year").fetchone()[0]
    assert struct.pack("<d", exact) == next(iter(bits[1]))[0]  # the exact sum, rounded once


# --------------------------------------------------------------------------- enterprise history: prev(), new()


@pytest.fixture()
def panel(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A hand-made 3-year panel of 高新技术企业 flags (T/F/None, '-' = no return that year).

    ======  ====  ====  ====  ====
    firm    zone  2020  2021  2022
    ======  ====  ====  ====  ====
    e1      A     T     T     F
    e2      A     F     T     T
    e3      A     -     T     -
    e4      A     T     -     T     (gap year: no 2021 return)
    e5      A     None  T     None
    e6      B     -     F     T
    ======  ====  ====  ====  ====
    """
    from fixtures import panel_store

    flags = {"e1": (True, True, False), "e2": (False, True, True), "e3": ("-", True, "-"),
             "e4": (True, "-", True), "e5": (None, True, None), "e6": ("-", False, True)}
    revenue = {"e1": 100, "e2": 50, "e3": 10, "e4": 7, "e5": 1, "e6": 3}
    rows = [{"credit_code": c, "zone_id": "B" if c == "e6" else "A", "year": 2020 + k, "is_high_tech": v,
             "revenue": revenue[c] * (k + 1)}
            for c, vals in flags.items() for k, v in enumerate(vals) if v != "-"]
    con = panel_store(tmp_path / "p.duckdb", rows)
    yield con
    con.close()


def test_new_this_year_counts_flows(panel) -> None:
    """Hand-counted: new = true this year and not in the firm's own return of the year before (none = not)."""
    fw = _fw(new="count(new(is_high_tech))", net="net_new(is_high_tech)", stock="count(is_high_tech)",
             prev_rev="sum(prev(revenue))", new_big="count(new(revenue > 60))")
    df = compute_indicators(panel, fw, (2020, 2022)).set_index(["zone_id", "year"])
    # 2021: e2 (F→T), e3 (first return), e5 (None→T); e1 was T.  2022: e4 (no 2021 return); e2 was T, e1 turned F.
    # A zone without returns the year before (A in 2020, the first data year; B in 2021) cannot tell: NULL.
    new = df["new"]
    assert new.dropna().to_dict() == {("A", 2021): 3, ("A", 2022): 1, ("B", 2022): 1}
    assert new[[("A", 2020), ("B", 2021)]].isna().all()
    # the net change of the stock is a different number: 2 → 4 → 2
    assert df.loc[("A", 2021), "net"] == 2 and df.loc[("A", 2022), "net"] == -2
    assert df.loc[("A", 2021), "stock"] == 4
    # prev(): each firm's own previous-year row (revenue = base × year index); e4 has none in 2021 (gap)
    assert df.loc[("A", 2022), "prev_rev"] == 100 * 2 + 50 * 2 + 1 * 2  # e1, e2, e5; e4's 2021 is missing
    assert df.loc[("A", 2021), "prev_rev"] == 100 + 50 + 1  # e1, e2, e5; e3 has no 2020 row
    # a numeric condition: revenue > 60 first holds for e2 in 2021 (50 → 100); e1 has 100 from 2020 on
    assert df["new_big"].dropna().to_dict() == {("A", 2021): 1, ("A", 2022): 0, ("B", 2022): 0}


def test_new_this_year_per_enterprise_and_lag_read(panel) -> None:
    """On the enterprise-year unit new() is 1/0 per return (a first return counts as new, unguarded);
    a year range reads the year before it."""
    fw = _fw(new="count(new(is_high_tech))")
    e = compute_indicators(panel, fw, (2022, 2022), unit=ENTERPRISE_YEAR).set_index("credit_code")["new"]
    assert e.to_dict() == {"e1": 0, "e2": 0, "e4": 1, "e5": 0, "e6": 1}
    z = compute_indicators(panel, fw, (2021, 2021)).set_index("zone_id")["new"]
    assert z["A"] == 3 and math.isnan(z["B"])  # 2020 read for the comparison although only 2021 is asked
    # history 3 years back, plus the guard's look at the zone's returns of the year before (an upper bound)
    assert compile_framework(_fw(x="count(new(prev(is_high_tech, 2)))"), (2021, 2021)).max_lag == 4
    assert compile_framework(_fw(x="count(new(prev(is_high_tech, 2)))"), (2021, 2021), ENTERPRISE_YEAR).max_lag == 3
    # a text-prefix condition in history: no firm of the panel has an industry code, so none is new
    assert compute_indicators(panel, _fw(x='count(new(industry_in("63")))'), (2022, 2022))["x"].tolist() == [0, 0]
