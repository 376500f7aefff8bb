"""``gaoxin mujun`` end to end: hand-made firms through the store and the query compiler, a generated store,
storage per snapshot and rule hash, the CLI's JSON / XLSX, and ``gaoxin config check`` of the rule files."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path
from fixtures import panel_store
from gaoxin.analysis.mujun import RULES_DIR
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.services import Store
from gaoxin.services import mujun as sm
from gaoxin.services.configs import check_config
from gaoxin.services.errors import InputError

FULL = {"revenue": 50000, "land_area_mu": 10, "taxes": 2409.7, "value_added": 13616, "energy_tce": 680.8,
        "emissions_t": 0.5, "employees": 100, "rd_expense": 1510, "founded_year": 2000, "industry_code": "3911"}


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "hand.duckdb"
    rows = [{"credit_code": "A1", "zone_id": "A", "year": 2022, **FULL},
            {"credit_code": "A2", "zone_id": "A", "year": 2022, **FULL, "industry_code": "4411"},  # 电力供应
            {"credit_code": "A3", "zone_id": "A", "year": 2022, **FULL, "founded_year": 2022},
            {"credit_code": "B1", "zone_id": "B", "year": 2022, "revenue": 100, "taxes": 50, "electricity_mwh": 10}]
    panel_store(path, rows).close()
    return path


def test_hand_firms_through_the_store(hand):
    with Store(hand, "read") as s:
        r = sm.mujun(s, 2022)
    f = r.firm_frame().set_index("credit_code")
    rec = {x["credit_code"]: x for x in r.firms}
    expected = 30 + 20 + 20 * 2 / 2.694 + 10 * 2723.2 / 4929.81 + 10 * 13.616 / 18.14 + 10
    assert f.at["A1", "score"] == pytest.approx(expected)
    assert f.at["A2", "score"] == pytest.approx(expected) and f.at["A2", "not_graded"] == "excluded_class"
    assert f.at["A3", "not_graded"] == "startup" and rec["A3"]["grade"] is None
    assert f.at["A1", "grade"] == "A"  # the only graded above-scale firm of zone A: nobody ahead of it
    assert f.at["B1", "population"] == "tenant" and f.at["B1", "score"] == pytest.approx(100.0)
    assert f.at["A1", "carbon_t"] == pytest.approx(680.8 * 2.66)


def test_zone_filter_and_unknown_year(hand):
    with Store(hand, "read") as s:
        r = sm.mujun(s, 2022, zone="B")
        assert {f["zone_id"] for f in r.firms} == {"B"}
        with pytest.raises(InputError, match="no enterprise rows"):
            sm.mujun(s, 2021)


def test_save_then_read_back_the_same_numbers(hand):
    with Store(hand, "write") as s:
        saved = sm.mujun(s, 2022, save=True)
    with Store(hand, "read") as s:
        again = sm.mujun(s, 2022)
        fresh = sm.mujun(s, 2022, recompute=True)
    assert again.saved and again.firms == saved.firms
    assert fresh.firms == saved.firms  # reproducible: the same inputs give the same numbers


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("mujun")
    f = generate(d / "data", zones=4, enterprises=300, years=(2023, 2024), seed=3)
    ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb")
    return d / "db.duckdb"


def test_generated_store_grades_and_rollup(demo_db):
    with Store(demo_db, "read") as s:
        r = sm.mujun(s, 2024, simulate=RULES_DIR.joinpath("electricity-surcharge.toml"))
    f = r.firm_frame()
    graded = f[f["grade"].notna()]
    assert len(graded) > 0 and (graded["not_graded"] == "").all()
    assert f.loc[f["grade"].isna(), "not_graded"].ne("").all()  # every ungraded firm says why
    top = graded.groupby(["zone_id", "population"])["score"].max()
    for (z, p), best in top.items():
        assert graded[(graded.zone_id == z) & (graded.population == p) & (graded.score == best)].iloc[0]["rank"] == 1
    roll = r.rollup_frame()
    shares = roll.groupby("zone_id")["land_share"].sum()
    assert all(abs(v - 1) < 1e-9 for v in shares)
    sim = r.simulation
    assert sim["total_cost_wan"] == pytest.approx(sum(x for x in f["surcharge_wan"] if x == x and x is not None))
    text = json.dumps(r.to_dict(), allow_nan=False)  # no NaN anywhere in the serialised result
    assert "NaN" not in text


def test_cli_json_xlsx_and_save(demo_db, tmp_path):
    res = run("mujun", "--year", "2024", "--json", "--db", str(demo_db))
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["rules_id"] == "huangyan-2022" and doc["firms"]
    assert all(v is None or not (isinstance(v, float) and math.isnan(v)) for v in doc["firms"][0].values())
    out = tmp_path / "亩均.xlsx"
    res = run("mujun", "--year", "2024", "--out", str(out), "--db", str(demo_db))
    assert res.exit_code == 0, res.output
    assert set(pd.read_excel(out, sheet_name=None, engine="openpyxl")) == {"企业 firms", "园区 zones", "绿色 green"}
    res = run("mujun", "--year", "2024", "--save", "--db", str(demo_db))
    assert res.exit_code == 0 and "亩均税收" in res.output
    res = run("mujun", "--year", "2024", "--rules", str(tmp_path / "none.toml"), "--db", str(demo_db))
    assert res.exit_code == 2


@pytest.mark.parametrize(("name", "kind"), [("huangyan-2022.toml", "mujun"),
                                            ("electricity-surcharge.toml", "price-schedule"),
                                            ("carbon-factors.toml", "carbon-factor")])
def test_config_check_knows_the_kinds(name, kind):
    c = check_config(RULES_DIR.joinpath(name))
    assert c.kind == kind and c.ok, c.problems


@pytest.fixture
def tenants(tmp_path):
    """Two tenants (no own land) in zones A and B of province 11: 单位电耗税收 30/10 = 3 and 50/10 = 5."""
    path = tmp_path / "tenants.duckdb"
    panel_store(path, [{"credit_code": "T1", "zone_id": "A", "year": 2022, "taxes": 30, "electricity_mwh": 10},
                       {"credit_code": "T2", "zone_id": "B", "year": 2022, "taxes": 50, "electricity_mwh": 10}]).close()
    return path


def tenant_rules(tmp_path, source: str):
    text = RULES_DIR.joinpath("huangyan-2022.toml").read_text("utf-8")
    old = '{ indicator = "tax_per_electricity", weight = 100, benchmark_from = "population_mean" }'
    assert old in text
    path = tmp_path / f"{source}.toml"
    path.write_text(text.replace(old, old.replace("population_mean", source)), encoding="utf-8")
    return path


@pytest.mark.parametrize("source", ["all_mean", "province_mean"])
def test_a_wide_benchmark_is_the_same_with_a_zone_filter(tenants, tmp_path, source):
    rules = tenant_rules(tmp_path, source)
    with Store(tenants, "read") as s:
        every = sm.mujun(s, 2022, rules=rules).firm_frame().set_index("credit_code")
        only_b = sm.mujun(s, 2022, rules=rules, zone="B")
    # Σ tax / Σ electricity over both zones (one province): 80 / 20 = 4
    assert every.at["T1", "bench_tax_per_electricity"] == pytest.approx(4.0)
    assert every.at["T1", "score"] == pytest.approx(75.0) and every.at["T2", "score"] == pytest.approx(125.0)
    b = only_b.firm_frame().set_index("credit_code")
    assert list(b.index) == ["T2"] and b.at["T2", "score"] == pytest.approx(125.0)
    used = [x for x in only_b.benchmarks if x["formula"] == "tenant"]
    assert [x["benchmark_from"] for x in used] == [source] and used[0]["value"] == pytest.approx(4.0)
    assert used[0]["province_code"] == ("11" if source == "province_mean" else None)


def test_a_zone_benchmark_is_the_zone_own(tenants, tmp_path):
    with Store(tenants, "read") as s:
        r = sm.mujun(s, 2022, rules=tenant_rules(tmp_path, "zone_mean"), zone="B")
    assert r.firms[0]["score"] == pytest.approx(100.0)  # zone B alone: 5 / 5
    assert {(x["zone_id"], x["value"]) for x in r.benchmarks if x["formula"] == "tenant"} == {("B", 5.0)}


def test_non_finite_values_become_null():
    import pyarrow as pa

    t = pa.table({"x": [1.0, float("nan"), float("inf"), None], "y": [1.0, 2.0, 3.0, 4.0], "s": ["a", "b", "c", "d"]})
    assert sm._clean(t).to_pydict() == {"x": [1.0, None, None, None], "y": [1.0, 2.0, 3.0, 4.0],
                                        "s": ["a", "b", "c", "d"]}
