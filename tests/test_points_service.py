"""``gaoxin points`` end to end: a hand-made store through the query compiler, a generated store, storage, CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path
from fixtures import panel_store
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.services import Store
from gaoxin.services import points as sp
from gaoxin.services.errors import InputError


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})


def test_hand_made_store_through_the_compiler(tmp_path):
    # X: revenue 2000 → 3000 (growth 0.5 ≥ reference 0.3: full 10.5), see test_points for the other terms
    x = dict(credit_code="X", zone_id="A", rd_expense=2500, valid_invention_patents=5, intl_standards_led=0,
             taxes=1000, equity_financing=0, is_high_tech=True, is_tech_sme=False)
    rows = [{**x, "year": 2023, "revenue": 2000}, {**x, "year": 2024, "revenue": 3000},
            {"credit_code": "Y", "zone_id": "A", "year": 2024, "revenue": 4000}]
    panel_store(tmp_path / "s.duckdb", rows).close()
    with Store(tmp_path / "s.duckdb", "read") as s:
        r = sp.points(s, 2024)
    f = r.frame.set_index("credit_code")
    assert f.loc["X", "points"] == pytest.approx(6 + 15 + 7.5 + 10.5 + 0.18 + 1.2 + 6)
    assert f.loc["X", "rank"] == 1 and f.loc["Y", "rank"] == 2 and f.loc["Y", "peer_size"] == 2
    # Y reports nothing but revenue: 100 × 0.3 × 0.2 × 4000/100000; missing values score 0, never nan
    assert f.loc["Y", "points"] == pytest.approx(0.24)
    assert f.loc["X", "rd_intensity"] == pytest.approx(2500 / 3000)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("points")
    f = generate(d / "data", zones=5, enterprises=400, years=(2020, 2024), seed=11)
    ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb")
    return d / "db.duckdb"


def test_generated_store_identities_and_reproducible(db):
    with Store(db, "read") as s:
        a = sp.points(s, 2021, backtest=True)
        b = sp.points(s, 2021, backtest=True)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    pd.testing.assert_frame_equal(a.backtest, b.backtest)
    f = a.frame.dropna(subset=["points"])
    parts = f.filter(like="pts_").sum(axis=1) + f["bonus"] - f["negative"]
    assert (parts - f["points"]).abs().max() < 1e-4
    for _, g in f.groupby(["zone_id", "band"]):  # ranks 1… within each peer group; bands follow the ranks
        assert g["rank"].min() == 1 and (g["peer_size"] == len(g)).all()
        assert (g.sort_values("rank")["points"].diff().dropna() <= 0).all()
        top = g[g["top_band"] == "top5"]
        assert len(top) >= 1
    assert list(a.backtest["horizon"]) == [1, 2, 3] and (a.backtest["n"] > 0).all()
    d = json.loads(json.dumps(a.to_dict(), allow_nan=False))  # strict JSON: no NaN anywhere
    assert d["indicators_verified"] is False and len(d["enterprises"]) == len(a.frame)


def test_zone_filter_and_errors(db):
    with Store(db, "read") as s:
        z = sp.points(s, 2021, zone="GX001")
        assert set(z.frame["zone_id"]) == {"GX001"}
        with pytest.raises(InputError, match="没有"):
            sp.points(s, 2021, zone="NOPE")
        with pytest.raises(InputError, match="2031"):
            sp.points(s, 2031)


def test_save_and_load(db):
    with Store(db, "write") as s:
        r = sp.points(s, 2022, save=True)
        r2 = sp.points(s, 2022, save=True)  # saving again replaces, never duplicates
        got = sp.stored(s, r.snapshot, 2022, r.rules_hash)
    assert r.saved and r2.saved and len(got) == len(r.frame)
    m = got.merge(r.frame[["credit_code", "points", "top_band"]], on="credit_code", suffixes=("", "_r"))
    assert (m["points"] - m["points_r"]).abs().max() < 1e-9 and (m["top_band"] == m["top_band_r"]).all()


def test_cli_json_out_bank_export(db, tmp_path):
    r = run("points", "--year", "2021", "--json", "--db", str(db))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["year"] == 2021
    out, bank = tmp_path / "p.csv", tmp_path / "bank.xlsx"
    r = run("points", "--year", "2021", "--backtest", "--out", str(out), "--bank-export", str(bank), "--db", str(db))
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out)) > 0
    b = pd.read_excel(bank, engine="openpyxl")
    assert list(b.columns[:3]) == ["组内排名", "统一社会信用代码", "企业名称"]
    assert set(b["积分档次"]) <= {"前5%", "5–10%", "10–20%"}
    r = run("points", "--year", "2021", "--backtest", "--db", str(db))
    assert r.exit_code == 0 and "Spearman" in r.output and "未经核实" in r.output
    r = run("points", "--year", "2021", "--rules", str(tmp_path / "missing.toml"), "--db", str(db))
    assert r.exit_code == 2 and "file not found" in r.output


LOCAL = """
[rule]
id = "local-test"
name_zh = "本地积分（测试）"
name_en = "Local scheme (test)"
version = "1"
source = "test"

[[band]]
code = "all"
name_zh = "全部"
name_en = "All"
revenue_from = 0
weights = { tech = 1.0 }

[[group]]
code = "tech"
name_zh = "技术创新指标"
name_en = "Technology"

[[indicator]]
code = "patents"
group = "tech"
name_zh = "有效发明专利数"
name_en = "Valid invention patents"
formula = "sum(valid_invention_patents)"
reference = 4
weight = 1.0
"""


def test_a_local_scheme_is_one_more_file(tmp_path):
    rows = [{"credit_code": c, "zone_id": "A", "year": 2024, "valid_invention_patents": n}
            for c, n in (("P", 1), ("Q", 4), ("R", 9))]
    panel_store(tmp_path / "s.duckdb", rows).close()
    rule = tmp_path / "local.toml"
    rule.write_text(LOCAL, "utf-8")
    with Store(tmp_path / "s.duckdb", "read") as s:
        r = sp.points(s, 2024, rules_path=rule)
    f = r.frame.set_index("credit_code")
    assert f["points"].to_dict() == {"Q": 100.0, "R": 100.0, "P": 25.0}
    assert f["rank"].to_dict() == {"Q": 1, "R": 1, "P": 3}
    assert r.rule_id == "local-test" and len(r.rules_hash) == 64
