"""Two scorings side by side on a real store: packaged names and defaults, the companion stored whole,
the fixed-base trend, and the certain/uncertain marks of dynamic management."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path as ingest
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.evaluation.pipeline import config_hash, packaged_config
from gaoxin.services import evaluation as evs
from gaoxin.services.errors import InputError
from gaoxin.store import evaluations as stored
from gaoxin.store.db import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("score")
    f = generate(d / "data", zones=20, enterprises=2000, years=(2020, 2023), seed=11)
    assert ingest([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb").snapshot == 1
    return d / "db.duckdb"


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # table: a constant of this test


def test_national_defaults_to_official_others_to_robust(store):
    with Store(store, "read") as s:
        nat = evs.evaluate(s, "national-2021", 2023, save=False)
        eco = evs.evaluate(s, "ecosystem-1-2-3", 2023, save=False)
    assert nat.config_name == "official-2021" and nat.config_hash == config_hash(packaged_config("official-2021"))
    assert eco.config_name == "robust" and eco.config_hash == config_hash(packaged_config("robust"))
    norm = next(e for e in nat.evaluation.result.log if e["step"] == "normalise")
    assert set(norm["resolved"]["benchmark"]) == {i.code for i in nat.evaluation.framework.indicators}
    assert nat.table["score"].between(0, 100).all()


def test_unknown_config_is_a_user_error(store):
    with Store(store, "read") as s, pytest.raises(InputError, match="official-2021"):
        evs.evaluate(s, "national-2021", 2023, save=False, config="offical-2021")


def test_companion_stored_with_comparison_and_rerun(store):
    with Store(store, "write") as s:
        run = evs.evaluate(s, "national-2021", 2023, compare="robust")
        eid, cid = run.id, run.companion_id
        assert cid == eid + 1
        comp = stored.companion(s.con, eid)
        cmp = stored.comparison(s.con, eid)
        row = stored.load(s.con, cid)
    assert comp["config_name"] == "robust" and row["companion_of"] == eid and row["config_name"] == "robust"
    assert len(cmp) == 20 and (cmp["shift"] == cmp["companion_rank"] - cmp["rank"]).all()
    assert comp["spearman"] == pytest.approx(run.spearman) and -1 <= run.spearman <= 1
    t = run.table.set_index("zone_id")
    assert (t["companion_rank"] == cmp.set_index("zone_id")["companion_rank"]).all()
    with Store(store, "read") as ro:  # both rows re-run from their own logs
        assert evs.rerun(ro, eid).identical and evs.rerun(ro, cid).identical
        listed = evs.list_evaluations(ro).set_index("id")
    assert listed.loc[eid, "companion_id"] == cid and listed.loc[cid, "companion_of"] == eid


def test_companion_is_stored_whole_or_not_at_all(store):
    with Store(store, "write") as s:
        run = evs.evaluate(s, "national-2021", 2022, compare="robust", save=False)
        before = {t: _count(s.con, t) for t in ("evaluation", "evaluation_score", "evaluation_comparison")}
        rec = stored.EvaluationRecord("national-2021", "h", 2022, 1, [], "c", {}, "national-2021")
        scores = stored.scores(s.con, 1)
        broken = stored.Companion(rec, scores, run.comparison.drop(columns="shift"), 0.5)
        with pytest.raises(KeyError, match="shift"):  # the comparison lacks a column: fails after both rows
            stored.save(s.con, rec, scores, "t", None, broken)
        assert {t: _count(s.con, t) for t in before} == before


def test_spearman_by_hand():
    from gaoxin.evaluation.evaluate import compare_rankings, spearman

    a = pd.Series([10.0, 8.0, 6.0, 4.0], index=list("ABCD"))
    b = pd.Series([7.0, 9.0, 5.0, 1.0], index=list("ABCD"))
    # ranks a: 4 3 2 1, b: 3 4 2 1 → d = 1 1 0 0, ρ = 1 − 6·2 / (4·15) = 0.8
    assert spearman(a, b) == pytest.approx(0.8)
    t, rho = compare_rankings(a, b)
    assert rho == pytest.approx(0.8)
    assert t.set_index("zone_id")["shift"].to_dict() == {"A": 1, "B": -1, "C": 0, "D": 0}


def test_trend_fixed_base_is_the_base_year_evaluation_in_its_year(store):
    with Store(store, "read") as s:
        tr = evs.trend(s, "national-2021", range(2021, 2024), base_year=2021)
        base = evs.evaluate(s, "national-2021", 2021, save=False)
    assert tr.base_year == 2021 and list(tr.table.columns[:2]) == ["zone_id", "region"]
    assert {"2021", "2022", "2023", "change"} <= set(tr.table.columns)
    by = tr.table.set_index("zone_id")["2021"]
    np.testing.assert_allclose(by.sort_index(), base.table.set_index("zone_id")["score"].sort_index(), rtol=1e-12)
    with Store(store, "read") as s, pytest.raises(Exception, match="benchmark"):
        evs.trend(s, "national-2021", range(2021, 2023), config="robust")


def test_manage_with_intervals_marks_certainty(store):
    with Store(store, "read") as s:
        m = evs.dynamic_management(s, "national-2021", range(2021, 2024), config="official-2021", runs=200)
    listed = m.lists[m.lists["status"] != "normal"]
    assert listed["certainty"].isin(["certain", "uncertain"]).all()
    assert set(listed["certainty_zh"]) <= {"确定", "不确定"}
    assert m.lists.loc[m.lists["status"] == "normal", "certainty"].isna().all()


def test_cli_compare_show_trend_manage(store):
    r = CliRunner()
    db = ["--db", str(store)]
    res = r.invoke(app, ["evaluate", "--year", "2023", "--compare", "robust", "--runs", "0", "--json", *db])
    assert res.exit_code == 0, res.output
    body = json.loads(res.output[res.output.index("{"):])
    assert body["config"] == "official-2021" and body["companion_config"] == "robust"
    assert {"rank", "companion_rank", "rank_shift"} <= set(body["ranking"][0])
    res = r.invoke(app, ["evaluations", "--show", str(body["evaluation"]), *db])
    assert res.exit_code == 0 and "Spearman" in res.output and "nan" not in res.output
    res = r.invoke(app, ["evaluations", *db])
    assert res.exit_code == 0 and "official-2021" in res.output
    res = r.invoke(app, ["trend", "--from", "2021", "--to", "2023", *db])
    assert res.exit_code == 0 and "定基" in res.output, res.output
    res = r.invoke(app, ["manage", "--years", "2021-2023", "--config", "robust", "--runs", "100", *db])
    assert res.exit_code == 0 and "确定性" in res.output, res.output
    res = r.invoke(app, ["evaluate", "--config", "nonesuch", *db])
    assert res.exit_code == 2 and "robust" in res.output


def test_published_benchmarks_file_is_stored_as_values(store, tmp_path):
    from gaoxin.indicators.framework import load_framework

    codes = [i.code for i in load_framework("national-2021").indicators]
    rows = "".join(f'\n[[benchmark]]\nindicator = "{c}"\nyear = 2023\nvalue = 1.0\n' for c in codes)
    bench = tmp_path / "bench.toml"
    bench.write_text('[meta]\nsource = "测试基准值表 / test table"\n' + rows, "utf-8")
    cfg = tmp_path / "pipe.toml"
    cfg.write_text((f'[[step]]\nname = "normalise"\nmethod = "benchmark"\nreference = "file"\nfile = "{bench}"\n'
                    '[[step]]\nname = "impute"\nmethod = "zero"\n[[step]]\nname = "weight"\nmethod = "multiplier"\n'
                    '[[step]]\nname = "aggregate"\nmethod = "sum"\n'), "utf-8")
    with Store(store, "write") as s:
        run = evs.evaluate(s, "national-2021", 2023, config=cfg)
        stored_cfg = json.loads(stored.load(s.con, run.id)["config"])
    norm = stored_cfg[0]["params"]
    assert norm["reference"] == "values" and norm["values"] == {c: 1.0 for c in codes} and norm["file"] is None
    assert "测试基准值表" in norm["source"]
    bench.unlink()  # the stored configuration holds the numbers: the file is no longer needed
    with Store(store, "read") as ro:
        assert evs.rerun(ro, run.id).identical
