"""Services on a real store: stored evaluations, re-run identity, uncertainty, management (stores nothing),
monitoring, and the CLI commands over them."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path as ingest
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.evaluation.evaluate import framework_meta
from gaoxin.evaluation.monitor import load_targets, monitor
from gaoxin.evaluation.pipeline import Step
from gaoxin.indicators.framework import load_framework
from gaoxin.services import evaluation as evs
from gaoxin.services.monitoring import actuals
from gaoxin.store.db import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("ev")
    f = generate(d / "data", zones=24, enterprises=2500, years=(2019, 2024), seed=5)
    r = ingest([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb")
    assert r.snapshot == 1
    return d / "db.duckdb"


@pytest.fixture
def st(store):
    with Store(store, "write") as s:
        yield s


@pytest.fixture
def con(st):
    return st.con


def evaluate(st, framework, year, steps=None):
    return evs.evaluate(st, framework, year, steps=steps).evaluation


def test_framework_meta_is_a_valid_tree():
    fw = load_framework("national-2021")
    meta = framework_meta(fw)
    ind = meta[meta["Type"] == "Indicator"]
    assert len(ind) == len(fw.indicators) and set(ind["Direction"]) <= {1.0, -1.0}
    top = meta[meta["Parent"].isna()]
    assert list(top["iCode"]) == [fw.meta.index_code] and top["Level"].iloc[0] == meta["Level"].max()
    # the 2021 evaluation's 赋权 multipliers become weights, e.g. 1.2 for R&D FTE share
    assert meta.set_index("iCode").loc["rd_fte_share", "Weight"] == 1.2
    assert meta.loc[meta["iCode"] == "energy_per_value_added", "Direction"].item() == -1.0


def test_evaluate_stores_scores_that_match_a_hand_aggregation(st, con):
    ev = evaluate(st, "national-2021", 2024)
    stored = con.execute("SELECT zone_id, code, level, score, rank FROM evaluation_score WHERE evaluation_id = ?",
                         [ev.id]).df()
    assert stored["zone_id"].nunique() == 24
    row = con.execute("SELECT snapshot_id, year, config_hash FROM evaluation WHERE id = ?", [ev.id]).fetchall()[0]
    assert row[:2] == (1, 2024) and row[2] == ev.result.config_hash
    # index = weighted mean of pillar scores with the file's pillar weights (renormalised over pillars present)
    fw = ev.framework
    w = pd.Series({p.code: p.weight for p in fw.pillars if p.parent is None})
    piv = stored.pivot(index="zone_id", columns="code", values="score")
    w = w[[c for c in w.index if c in piv.columns]]
    expected = (piv[w.index] * w).sum(axis=1) / w.sum()
    np.testing.assert_allclose(piv[fw.meta.index_code], expected, rtol=1e-12)
    # rank 1 = highest index score
    top = stored[(stored.code == fw.meta.index_code)].sort_values("score", ascending=False)
    assert top["rank"].iloc[0] == 1
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'evaluate'").fetchall()[0][0] >= 1


def test_rerun_from_log_gives_identical_numbers(store):
    with Store(store, "write") as w:
        ev = evaluate(w, "ecosystem-1-2-3", 2023,
                      steps=[Step("impute", {"method": "median"}), Step("normalise", {"method": "zscore"}),
                             Step("aggregate", {"method": "arithmetic"})])
    with Store(store, "read") as ro:  # a re-run only reads
        again = evs.rerun(ro, ev.id)
    assert again.identical and again.max_score_difference == 0.0


def test_uncertainty_is_stored_and_contains_nominal_rank(st, con):
    ev = evaluate(st, "national-2021", 2024)
    res = evs.uncertainty(st, ev.id, runs=500, seed=3, save=True)
    s = con.execute("SELECT * FROM evaluation_uncertainty WHERE evaluation_id = ?", [ev.id]).df()
    assert len(s) == 24 and (s["runs"] == 500).all()
    assert (s["rank_p05"] <= s["rank_p95"]).all()
    inside = (s["rank_p05"] <= s["nominal_rank"]) & (s["nominal_rank"] <= s["rank_p95"])
    assert inside.mean() >= 0.8
    again = evs.uncertainty(st, ev.id, runs=500, seed=3)
    pd.testing.assert_frame_equal(again.summary, res.summary)


def test_management_and_monitoring(st, con):
    before = con.execute("SELECT count(*) FROM evaluation").fetchall()[0][0]
    m = evs.dynamic_management(st, "national-2021", range(2020, 2025))
    lists, panel = m.lists, m.panel
    assert con.execute("SELECT count(*) FROM evaluation").fetchall()[0][0] == before  # read-like: stores nothing
    assert set(panel["year"]) == set(range(2020, 2025))
    assert (lists["status"] == "praise").sum() == 10
    bottom = panel[panel.year == 2024].nlargest(3, "rank")["zone_id"]  # 10 % of 24 -> ceil = 3 poor zones
    assert set(bottom) <= set(lists.loc[lists["status"] != "normal", "zone_id"])
    ts = load_targets(packaged="fyp14-national")
    a = actuals(st, ts, 2024)
    n_zones = con.execute("SELECT count(*) FROM zones_at(1) WHERE level = 'national'").fetchall()[0][0]
    assert a.loc[a.year == 2024, "value"].item() == n_zones
    m = monitor(ts, a, 2024)
    assert m["progress"].item() == pytest.approx((n_zones - 169) / (220 - 169))


def test_cli_commands(store, tmp_path):
    runner = CliRunner()
    db = ["--db", str(store)]
    res = runner.invoke(app, ["evaluate", "--framework", "fyp14-highlands", "--year", "2024",
                              "--out", str(tmp_path / "r.xlsx"), *db])
    assert res.exit_code == 0, res.output
    ranks = pd.read_excel(tmp_path / "r.xlsx", sheet_name="排名 ranking", engine="calamine")
    assert sorted(ranks["rank"]) == list(range(1, 25))
    # rank intervals (default 1000 runs) travel with the ranking
    assert (ranks["rank_p05"] <= ranks["rank_p95"]).all() and ranks["rank_p95"].max() <= 24
    eid = duckdb.connect(str(store), read_only=True).execute("SELECT max(id) FROM evaluation").fetchall()[0][0]
    assert runner.invoke(app, ["evaluate", "--rerun", str(eid), *db]).exit_code == 0
    res = runner.invoke(app, ["uncertainty", "--evaluation", str(eid), "--runs", "200", "--sensitivity", *db])
    assert res.exit_code == 0 and "Sobol" in res.stdout and "leave one pillar out" in res.stdout
    assert runner.invoke(app, ["indicators", "--framework", "national-2021", "--years", "2022-2024",
                               "--out", str(tmp_path / "i.parquet"), *db]).exit_code == 0
    assert len(pd.read_parquet(tmp_path / "i.parquet")) == 24 * 3
    assert runner.invoke(app, ["monitor", "--year", "2024", *db]).exit_code == 0
    res = runner.invoke(app, ["monitor", "--year", "2024", "--view", "final", *db])
    assert res.exit_code == 0 and "final" in res.stdout
    assert runner.invoke(app, ["monitor", "--year", "2024", "--view", "bogus", *db]).exit_code == 2
    assert runner.invoke(app, ["frameworks", "show", "national-2021"]).exit_code == 0
    res = runner.invoke(app, ["evaluations", *db])
    assert res.exit_code == 0 and "fyp14-highlands" in res.stdout


def test_cli_index_build_reproduces_coinr(tmp_path):
    from pathlib import Path

    ref = Path(__file__).parent / "data" / "coinr_asem"
    out = tmp_path / "asem.csv"
    res = CliRunner().invoke(app, ["index", "build", "--data", str(ref / "ASEM_iData.csv"),
                                   "--meta", str(ref / "ASEM_iMeta.csv"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out).set_index("uCode")
    assert t.loc["CHE", "Rank"] == 1 and round(t.loc["CHE", "Index"], 2) == 68.38
    assert t.loc["IND", "Rank"] == 45 and round(t.loc["IND", "Sust"], 2) == 50.99
    assert (tmp_path / "asem.log.json").exists()


def test_table_types_grades_and_strengths(st):
    run = evs.evaluate(st, "national-2021", 2024)
    ev, t = run.evaluation, run.table
    assert list(t["rank"]) == list(range(1, 25))
    # default grade cut-offs: A = top 25 % (6 of 24), D = bottom 5 % (rank 23-24 when ceil)
    assert (t.loc[t["rank"] <= 6, "grade"] == "A").all() and (t.loc[t["rank"] > 6, "grade"] != "A").all()
    assert t.loc[t["rank"] == 1, "zone_type_zh"].item() == "世界领先科技园区"
    assert (t.groupby("zone_type")["rank_in_type"].min() == 1).all()
    sw = ev.strengths_weaknesses(threshold=0.25, top_n=None)
    scores = ev.result.scores
    for r in sw.head(20).itertuples():  # the gap is the rank difference, and beyond a quarter of the field
        ind_rank = scores[r.iCode].rank(ascending=False, method="min")[r.zone_id]
        assert ind_rank == r.indicator_rank and abs(r.gap) >= 0.25 * 24
    assert set(run.sheets()) == {"排名 ranking", "指标 indicators", "优势短板 strengths", "运行日志 log"}


def test_stable_rounding_absorbs_summation_order():
    from gaoxin.evaluation.evaluate import stable

    rng = np.random.default_rng(0)
    v = rng.lognormal(10, 3, size=2000)
    a, b = np.sum(v), np.sum(v[::-1])  # same numbers, other order: last bits may differ
    df = pd.DataFrame({"a": [a, 0.0, np.nan, -1.2345678901234567e-7], "b": [b, 0.0, np.nan, -1.2345678901234567e-7]})
    out = stable(df)
    assert out["a"].iloc[0] == out["b"].iloc[0]
    assert out["a"].iloc[0] == pytest.approx(a, rel=1e-11)
    assert out["a"].iloc[1] == 0.0 and np.isnan(out["a"].iloc[2]) and out["a"].iloc[3] == -1.23456789012e-7


def test_user_errors_are_one_line_with_exit_code_2(store):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "gaoxin", "evaluate", "--framework", "nope", "--db", str(store)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "unknown framework 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "gaoxin", "evaluate", "--rerun", "999", "--db", str(store)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "evaluation not found" in r.stderr
