"""``gaoxin explain`` end to end on a generated store: identities on real evaluations, storage, CLI."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ingest_path
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.services import Store
from gaoxin.services import explain as sx


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("explain")
    f = generate(d / "data", zones=8, enterprises=400, years=(2022, 2024), seed=5)
    ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb")
    for y in ("2023", "2024"):
        r = run("evaluate", "--year", y, "--db", str(d / "db.duckdb"))
        assert r.exit_code == 0, r.output
    cfg = d / "zscore.toml"
    cfg.write_text('[[step]]\nname = "impute"\nmethod = "group_median"\ngroup = "region"\n\n'
                   '[[step]]\nname = "normalise"\nmethod = "zscore"\nmean = 50.0\nsd = 10.0\n\n'
                   '[[step]]\nname = "aggregate"\n', encoding="utf-8")
    r = run("evaluate", "--year", "2023", "--config", str(cfg), "--db", str(d / "db.duckdb"))
    assert r.exit_code == 0, r.output  # evaluation 3
    geo = d / "geometric.toml"
    geo.write_text('[[step]]\nname = "impute"\nmethod = "group_median"\ngroup = "region"\n\n'
                   '[[step]]\nname = "normalise"\nlo = 1.0\nhi = 100.0\n\n'
                   '[[step]]\nname = "aggregate"\nmethod = "geometric"\n', encoding="utf-8")
    for y in ("2023", "2024"):  # evaluations 4 and 5
        r = run("evaluate", "--year", y, "--config", str(geo), "--db", str(d / "db.duckdb"))
        assert r.exit_code == 0, r.output
    return d / "db.duckdb"


def _zone(db) -> str:
    with Store(db, "read") as s:
        return str(s.con.execute("SELECT min(zone_id) FROM zones_at(1)").fetchall()[0][0])


def _identities(e: sx.Explanation) -> None:
    df = e.indicator_frame()
    assert df["contribution"].sum() == pytest.approx(e.score_change, abs=1e-9)
    assert abs(e.residual) < 1e-9
    assert ((df["own"] + df["peer"] + df["method"]) - df["contribution"]).abs().max() < 1e-9
    assert e.own + e.peer + e.method == pytest.approx(e.score_change, abs=1e-9)


def test_explain_matches_the_stored_evaluations_and_adds_up(db):
    z = _zone(db)
    res = run("explain", "--zone", z, "--evaluation", "2", "--json", "--db", str(db))
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    e = sx.Explanation.from_dict(d)
    _identities(e)
    assert e.exact and e.evaluation_id == 2 and e.base_evaluation_id == 1 and e.method == 0.0
    with Store(db, "read") as s:
        got = dict(s.con.execute("SELECT evaluation_id, score FROM evaluation_score WHERE zone_id = ? AND level = "
                                 "(SELECT max(level) FROM evaluation_score) AND evaluation_id IN (1, 2)",
                                 [z]).fetchall())
    assert e.score_before == pytest.approx(got[1], abs=1e-12) and e.score_after == pytest.approx(got[2], abs=1e-12)
    assert "NaN" not in res.stdout and not re.search(r"\bnan\b", e.narrative_zh + e.narrative_en, re.I)


def test_enterprise_contributions_add_up_to_the_change_of_a_count(db):
    z = _zone(db)
    with Store(db, "read") as s:
        e = sx.explain(s, z, evaluation=2, top_firms=3)
    ind = next(i for i in e.indicators if i.code == "vc_backed_enterprises")  # count(equity_financing > 0): over firms
    firms = [f for f in e.firms if f.indicator == "vc_backed_enterprises"]
    assert firms and len([f for f in firms if f.credit_code]) <= 3
    assert sum(f.contribution for f in firms) == pytest.approx(ind.value_after - ind.value_before, abs=1e-9)
    ratio = next(i for i in e.indicators if i.code == "rd_intensity")  # sum(rd_expense) / sum(revenue)
    firms = [f for f in e.firms if f.indicator == "rd_intensity"]
    assert sum(f.contribution for f in firms) == pytest.approx(ratio.value_after - ratio.value_before, abs=1e-9)
    assert "net_new_high_tech" in e.firm_notes  # net_new is not a sum over firms: said, not guessed


def test_method_part_when_configurations_differ(db):
    z = _zone(db)
    with Store(db, "read") as s:
        e = sx.explain(s, z, evaluation=2, vs_evaluation=3)
    _identities(e)
    assert e.base_config_hash != e.config_hash and abs(e.method) > 0


def test_geometric_aggregation_is_approximated_with_its_residual_shown(db):
    z = _zone(db)
    with Store(db, "read") as s:
        e = sx.explain(s, z, evaluation=5)
    assert e.base_evaluation_id == 4 and not e.exact and e.aggregation == "geometric"
    df = e.indicator_frame()
    assert df["contribution"].sum() + e.residual == pytest.approx(e.score_change, abs=1e-9)
    assert abs(e.residual) < 0.05 * max(1.0, df["contribution"].abs().sum())  # an approximation, a small residual
    assert e.own + e.peer + e.method == pytest.approx(e.score_change, abs=1e-9)  # the factors stay exact
    assert ((df["own"] + df["peer"] + df["method"]) - df["contribution"]).abs().max() < 1e-9
    assert "残差" in e.narrative_zh and "residual" in e.narrative_en


def test_saved_explanation_is_read_back_without_recomputing(db):
    z = _zone(db)
    res = run("explain", "--evaluation", "2", "--all", "--save", "--json", "--db", str(db))
    assert res.exit_code == 0, res.output
    every = {d["zone_id"]: d for d in json.loads(res.stdout)}
    with Store(db, "read") as s:
        n = s.con.execute("SELECT count(*) FROM evaluation_explanation WHERE evaluation_id = 2").fetchall()[0][0]
        zones = s.con.execute("SELECT count(*) FROM zones_at(1)").fetchall()[0][0]
        assert n == len(every) == zones
        again = sx.explain(s, z, evaluation=2)  # read back, not recomputed
    assert again.to_dict() == every[z]
    for d in every.values():
        _identities(sx.Explanation.from_dict(d))
    with Store(db, "read") as s:  # --year: the newest stored evaluation of that year, against its own previous year
        e = sx.explain(s, z, 2024)
    assert (e.evaluation_id, e.base_evaluation_id) == (5, 4)
    res = run("explain", "--zone", z, "--year", "2024", "--db", str(db))
    assert res.exit_code == 0 and "排名" in res.stdout and not re.search(r"\bnan\b", res.stdout, re.I)


def test_user_errors_are_one_line(db):
    res = run("explain", "--zone", "NOPE", "--year", "2024", "--db", str(db))
    assert res.exit_code == 2 and "NOPE" in res.output
    res = run("explain", "--zone", _zone(db), "--year", "2024", "--vs", "2024", "--db", str(db))
    assert res.exit_code == 2
    res = run("explain", "--zone", _zone(db), "--year", "2024", "--snapshot", "1", "--save", "--db", str(db))
    assert res.exit_code == 2 and "gaoxin evaluate" in res.output  # computed on the fly: nothing to store it with
    res = run("explain", "--year", "2024", "--db", str(db))
    assert res.exit_code == 2 and "--zone" in res.output
    res = run("explain", "--zone", _zone(db), "--year", "2024", "--save", "--vs", "2022", "--db", str(db))
    assert res.exit_code == 0, res.output  # baseline computed on the fly, stored with evaluation 2


def test_out_writes_the_whole_explanation(db, tmp_path):
    import pandas as pd

    z = _zone(db)
    res = run("explain", "--zone", z, "--evaluation", "2", "--vs-evaluation", "1", "--out", str(tmp_path / "e.xlsx"),
              "--db", str(db))
    assert res.exit_code == 0, res.output
    sheets = pd.read_excel(tmp_path / "e.xlsx", sheet_name=None, engine="calamine")
    assert list(sheets) == ["说明 summary", "指标 indicators", "企业 firms"]
    ind = sheets["指标 indicators"]
    assert ind["contribution"].sum() == pytest.approx(sheets["说明 summary"]["score_change"].iloc[0], abs=1e-9)
    res = run("explain", "--zone", z, "--evaluation", "2", "--vs-evaluation", "1", "--out", str(tmp_path / "e.csv"),
              "--db", str(db))
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "e.csv")) == len(ind)


ARG = st.one_of(st.text(max_size=10), st.sampled_from(["", "-1", "0", "2024", "2023", "1e400", "9" * 30, "nan",
                                                       "x'; DROP TABLE audit_log; --", "GX001", "1", "2"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(ARG, min_size=4, max_size=4))
def test_arbitrary_arguments_never_give_a_traceback(db, values):
    args = ["explain"]
    for opt, v in zip(["--zone", "--year", "--vs", "--evaluation"], values, strict=True):
        args += [opt, v]
    res = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert res.exit_code in (0, 2), (args, res.output, res.exception)
