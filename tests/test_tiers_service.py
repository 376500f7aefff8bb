"""``gaoxin tiers`` end to end on a small generated store: service result, JSON, exports, errors, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import ingest_path
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.services import Store
from gaoxin.services import tiers as st


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiers")
    f = generate(d / "data", zones=3, enterprises=300, years=(2020, 2024), seed=7)
    ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb")
    return d / "db.duckdb"


@pytest.fixture(scope="module")
def result(db):
    with Store(db) as s:
        return st.tiers(s, 2024)


def test_result_is_json_without_nan_and_reproducible(db, result):
    text = json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False)
    assert "NaN" not in text
    with Store(db) as s:
        again = st.tiers(s, 2024)
    assert json.dumps(again.to_dict(), ensure_ascii=False) == text


def test_members_agree_with_evidence_and_counts(result):
    e = result.evidence
    for t in result.tiers:
        m = result.members[t["id"]]
        assert t["members"] == int((m == "pass").sum())
        assert t["unknown"] == int((m == "unknown").sum())
        # a member passes every all-of criterion of the tier
        sub = e[(e.tier == t["id"]) & (e.tier_status == "pass") & (e.part == "all")]
        assert set(sub["status"]) <= {"pass"}
    assert set(e["status"]) <= {"pass", "fail", "unknown"}


def test_near_misses_have_exactly_one_failing_criterion(result):
    nm, e = result.near_miss, result.evidence
    assert len(nm) > 0
    row = nm.iloc[0]
    ev = e[(e.credit_code == row.credit_code) & (e.tier == row.tier) & (e.criterion == row.criterion)]
    assert ev["status"].tolist() == ["fail"] and ev["tier_status"].iloc[0] != "pass"
    assert row.gap == pytest.approx(row.threshold - row.value)


def test_funnel_members_equal_tier_counts_in_the_year(result):
    f = result.funnel[result.funnel.year == 2024]
    counts = f.groupby("tier")["members"].sum().to_dict()
    assert counts == {t["id"]: t["members"] for t in result.tiers}


def test_zone_filter(db, result):
    zone = result.members["zone_id"].iloc[0]
    with Store(db) as s:
        one = st.tiers(s, 2024, zone=zone)
    assert set(one.members["zone_id"]) == {zone}
    assert len(one.members) == int((result.members["zone_id"] == zone).sum())


def test_cli_json_out_and_user_errors(db, tmp_path):
    r = run("tiers", "--year", "2024", "--near-miss", "--funnel", "--db", str(db))
    assert r.exit_code == 0, r.output
    assert "科技型中小企业" in r.output and "nan" not in r.output.lower()
    r = run("tiers", "--year", "2024", "--json", "--db", str(db))
    assert r.exit_code == 0 and json.loads(r.output)["year"] == 2024
    out = tmp_path / "nm.csv"
    assert run("tiers", "--year", "2024", "--near-miss", "--out", str(out), "--db", str(db)).exit_code == 0
    assert out.read_text("utf-8-sig").splitlines()[0].startswith("credit_code,year,zone_id,tier")
    x = tmp_path / "t.xlsx"
    assert run("tiers", "--year", "2024", "--out", str(x), "--db", str(db)).exit_code == 0 and x.exists()
    r = run("tiers", "--year", "1990", "--db", str(db))
    assert r.exit_code == 2 and "no enterprise rows" in r.output
    r = run("tiers", "--year", "2024", "--zone", "NOPE", "--db", str(db))
    assert r.exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('[rules]\nid = "x"\n', encoding="utf-8")
    r = run("tiers", "--year", "2024", "--rules", str(bad), "--db", str(db))
    assert r.exit_code == 2


def test_config_check_knows_tier_rules():
    from gaoxin.services.configs import check_config

    assert check_config("src/gaoxin/analysis/rules/tiers/national.toml").kind == "tiers"


def test_save_stores_the_result_by_snapshot_and_rule_hash(db, tmp_path):
    r = run("tiers", "--year", "2023", "--save", "--db", str(db))
    assert r.exit_code == 0, r.output
    with Store(db) as s:
        doc = st.stored(s, 2023)
        again = st.tiers(s, 2023).to_dict()
        assert st.stored(s, 2022) is None
        audit = s.con.execute("SELECT count(*) FROM audit_log WHERE action = 'tiers'").fetchone()[0]
    assert doc == json.loads(json.dumps(again, ensure_ascii=False))
    assert audit >= 1
