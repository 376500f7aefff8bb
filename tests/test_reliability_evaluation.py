"""Evaluation-side reliability (issue 7, items 4, 10, 12, 13): an evaluation is stored whole or not at all,
re-runs from its stored framework text, the Monte Carlo streams in bounded memory, and user errors are
one clear line with nothing stored.  docs/reliability.md names each guarantee and its test here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path as ingest
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.evaluation.pipeline import PipelineError, Step
from gaoxin.evaluation.provenance import FrameworkContentError
from gaoxin.evaluation.uncertainty import UncertaintySpec, index_frame, uncertainty_analysis
from gaoxin.indicators.formula import MAX_CHARS, FormulaError, parse
from gaoxin.indicators.framework import builtin_dir
from gaoxin.services import evaluation as evs
from gaoxin.services.errors import InputError, user_errors
from gaoxin.store.db import Store

SRC = str(Path(__file__).resolve().parents[1] / "src")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("rel")
    f = generate(d / "data", zones=12, enterprises=900, years=(2022, 2024), seed=3)
    assert ingest([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb").snapshot == 1
    return d / "db.duckdb"


def counts(db: Path) -> tuple[int, int, int]:
    with Store(db, "read") as s:
        return tuple(s.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]  # type: ignore[return-value]
                     for t in ("evaluation", "evaluation_score", "evaluation_uncertainty"))


# ---------------------------------------------------------------------------------------------- item 12

# A real writer process, killed (SIGKILL, no cleanup) at the moment its rank intervals reach the store:
# after the scores were written, before the commit.
KILLED_WRITER = """import os, signal, sys
from gaoxin.services import evaluation
from gaoxin.store import evaluations as stored
from gaoxin.store.db import Store
real = stored._insert_frame
def insert(con, table, df, name):
    real(con, table, df, name)
    if table == "evaluation_uncertainty":
        os.kill(os.getpid(), signal.SIGKILL)
stored._insert_frame = insert
with Store(sys.argv[1], "write") as s:
    evaluation.evaluate(s, "national-2021", 2024, runs=50)
"""


@pytest.mark.slow  # a writer subprocess (≈ 7 s); test_failure_after_scores_rolls_everything_back is the fast twin
def test_killed_while_storing_leaves_no_evaluation(store):
    before = counts(store)
    r = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(store)], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": SRC})
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert counts(store) == before  # no evaluation row, no scores, no intervals
    with Store(store, "write") as s:  # and the store works on: the next evaluation is whole
        run = evs.evaluate(s, "national-2021", 2024, runs=50)
    after = counts(store)
    assert after[0] == before[0] + 1 and after[2] == before[2] + 12 and run.table["rank_p05"].notna().all()


def test_failure_after_scores_rolls_everything_back(store, monkeypatch):
    from gaoxin.store import evaluations as stored

    def fail(*a, **k):
        raise OSError("disk full (injected)")

    before = counts(store)
    monkeypatch.setattr(stored.audit, "record", fail)  # the last write of the transaction
    with Store(store, "write") as s, pytest.raises(OSError, match="injected"):
        evs.evaluate(s, "national-2021", 2024, runs=20)
    assert counts(store) == before


# ---------------------------------------------------------------------------------------------- item 4


def test_rerun_from_stored_framework_after_the_file_is_gone(store, tmp_path):
    text = (builtin_dir() / "ecosystem-1-2-3.toml").read_text("utf-8").replace(
        'id = "ecosystem-1-2-3"', 'id = "moved-away"')
    path = tmp_path / "elsewhere" / "custom.toml"
    path.parent.mkdir()
    path.write_text(text, "utf-8")
    with Store(store, "write") as s:
        eid = evs.evaluate(s, str(path), 2023).id
    path.unlink()
    path.parent.rmdir()
    with Store(store, "read") as s:
        again = evs.rerun(s, eid)
        listed = evs.list_evaluations(s).set_index("id")
        unc = evs.uncertainty(s, eid, runs=20)  # reads the stored framework too
    assert again.identical
    assert listed.loc[eid, "framework"] == "moved-away"
    assert len(unc.summary) == 12


def test_altered_framework_text_is_refused_and_old_rows_rerun_by_path(store):
    with Store(store, "write") as s:
        eid = evs.evaluate(s, "fyp14-highlands", 2024).id
        s.con.execute("UPDATE evaluation SET framework_toml = framework_toml || '\n# edited' WHERE id = ?", [eid])
        with pytest.raises(FrameworkContentError, match="does not match its hash"):
            evs.rerun(s, eid)
        assert issubclass(FrameworkContentError, user_errors())
        # a row stored before schema 4 has no text: it is re-run from the file it names, as before
        s.con.execute("UPDATE evaluation SET framework_toml = NULL, framework_id = NULL WHERE id = ?", [eid])
        assert evs.rerun(s, eid).identical
        assert evs.list_evaluations(s).set_index("id").loc[eid, "framework"] == "fyp14-highlands"


# ---------------------------------------------------------------------------------------------- item 13


@pytest.fixture(scope="module")
def mc_data():
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.lognormal(size=(40, 9)), index=[f"Z{i}" for i in range(40)],
                     columns=[f"I{j}" for j in range(9)])
    data, meta = index_frame(x, pd.Series(1.0, index=x.columns), pd.Series(1.0, index=x.columns),
                             {c: f"P{j % 3}" for j, c in enumerate(x.columns)})
    steps = [{"name": "impute", "method": "mean"}, {"name": "normalise"}, {"name": "aggregate"}]
    return data, meta, steps


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_monte_carlo_memory_does_not_grow_with_runs(mc_data):
    data, meta, steps = mc_data

    def run(n: int, keep: bool) -> int:
        return peak_bytes(lambda: uncertainty_analysis(data, meta, steps, n=n, seed=1, block=500, keep_draws=keep))

    small, large = run(2_000, False), run(20_000, False)
    assert large < 1.5 * small, (small, large)  # 10× the runs, (almost) the same peak
    # the measure does see memory that grows with the runs: keeping every draw costs ~10×
    assert run(20_000, True) > 5 * run(2_000, True)


@pytest.mark.parametrize("weights", ["uniform", "dirichlet"])
def test_same_numbers_whatever_the_chunk(mc_data, weights):
    data, meta, steps = mc_data
    spec = UncertaintySpec(weights=weights)
    runs = [uncertainty_analysis(data, meta, steps, spec=spec, n=1_000, seed=9, block=b, chunk=c)
            for b, c in ((1_000, 2048), (97, 2048), (7, 3), (300, 64))]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.ranks, runs[0].ranks)
        pd.testing.assert_frame_equal(other.summary, runs[0].summary, check_exact=True)
    streamed = uncertainty_analysis(data, meta, steps, spec=spec, n=1_000, seed=9, block=64, keep_draws=False)
    pd.testing.assert_frame_equal(streamed.summary, runs[0].summary, check_exact=True)
    assert streamed.ranks is None and streamed.design is None
    # the streamed percentiles are numpy's, from the rank histogram alone
    ref = np.percentile(runs[0].ranks, [5, 50, 95], axis=0)
    np.testing.assert_array_equal(streamed.summary[["rank_p05", "median_rank", "rank_p95"]].to_numpy().T, ref)
    shift = np.abs(runs[0].ranks.astype(np.int64) - runs[0].summary["nominal_rank"].to_numpy()).mean(axis=0)
    np.testing.assert_array_equal(streamed.summary["mean_abs_shift"].to_numpy(), shift)


def test_runs_must_be_positive(store):
    with Store(store, "write") as s:  # an evaluation to ask intervals of, whichever tests ran before
        eid = evs.evaluate(s, "national-2021", 2024).id
    before = counts(store)
    with Store(store, "write") as s:
        for bad in (0, -5):
            with pytest.raises(InputError, match="--runs"):
                evs.uncertainty(s, eid, runs=bad, save=True)
        with pytest.raises(InputError, match="--runs"):
            evs.evaluate(s, "national-2021", 2024, runs=-1)
    assert counts(store) == before
    res = CliRunner().invoke(app, ["uncertainty", "--evaluation", str(eid), "--runs", "0", "--db", str(store)])
    assert res.exit_code == 2 and "--runs" in res.output and "Traceback" not in res.output


# ---------------------------------------------------------------------------------------------- item 10


def cli(*args: str) -> subprocess.CompletedProcess:
    # a wide terminal: the CLI wraps long messages (paths included) at its width
    return subprocess.run([sys.executable, "-m", "gaoxin", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": SRC, "COLUMNS": "400"})


def one_clear_line(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and all(w in r.stderr for w in words), r.stderr


def test_pipeline_without_aggregation_stores_nothing(store, tmp_path):
    before = counts(store)
    with Store(store, "write") as s, pytest.raises(PipelineError, match="aggregate"):
        evs.evaluate(s, "national-2021", 2024, steps=[Step("normalise", {"method": "minmax"})], runs=10)
    cfg = tmp_path / "no-agg.toml"
    cfg.write_text('[[step]]\nname = "normalise"\n', "utf-8")
    one_clear_line(cli("evaluate", "--year", "2024", "--config", str(cfg), "--db", str(store)), "aggregate", "聚合")
    assert counts(store) == before


@pytest.mark.parametrize("toml", ['step = "x"\n', '[[step]]\nname = 3\n', "step = [3]\n"])
def test_pipeline_step_of_the_wrong_type(store, tmp_path, toml):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, "utf-8")
    before = counts(store)
    one_clear_line(cli("evaluate", "--year", "2024", "--config", str(cfg), "--db", str(store)), "bad.toml")
    assert counts(store) == before


@pytest.mark.parametrize("steps", [None, "normalise", [("normalise", 5)], [{"name": "aggregate", "params": 3}]])
def test_steps_of_the_wrong_type_in_code(steps):
    from gaoxin.evaluation.pipeline import as_steps

    with pytest.raises(PipelineError):
        as_steps(steps)


def test_non_numeric_imeta_weight(tmp_path):
    ref = Path(__file__).parent / "data" / "coinr_asem"
    meta = pd.read_csv(ref / "ASEM_iMeta.csv", encoding="utf-8-sig")
    meta["Weight"] = meta["Weight"].astype(object)
    meta.loc[meta["iCode"] == "LPI", "Weight"] = "heavy"
    meta.to_csv(tmp_path / "meta.csv", index=False)
    r = cli("index", "build", "--data", str(ref / "ASEM_iData.csv"), "--meta", str(tmp_path / "meta.csv"),
            "--out", str(tmp_path / "out.csv"))
    one_clear_line(r, "Weight", "LPI", "heavy", "数值")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("text", ["x" + "+x" * 20_000, "-" * 3_000 + "revenue", "sum(" * 300 + "revenue" + ")" * 300,
                                  "sum(revenue" + " + revenue" * 350 + ")"])
def test_formula_too_long_or_deep_is_a_formula_error(text):
    with pytest.raises(FormulaError, match=r"formula too long|nested too deeply|nested parentheses"):
        parse(text)


def test_formula_limits_leave_real_formulas_alone():
    from gaoxin.indicators.framework import load_framework

    for name in ("national-2021", "ecosystem-1-2-3", "fyp14-highlands"):
        for i in load_framework(name).indicators:
            assert len(i.formula) < MAX_CHARS / 10
            parse(i.formula)
    parse("sum(revenue" + " + revenue" * 40 + ")")  # long sums stay fine


def test_repeated_keyword_is_an_error_not_a_silent_choice():
    with pytest.raises(FormulaError, match="keyword 'where' given more than once"):
        parse("sum(revenue, where=is_high_tech, where=is_listed)")
    parse("sum(revenue, where=is_high_tech and is_listed)")


def test_reversed_or_empty_year_range_is_an_input_error(store):
    before = counts(store)
    with Store(store, "read") as s:
        for years in (range(2024, 2021), range(2024, 2024)):
            with pytest.raises(InputError, match="year range"):
                evs.dynamic_management(s, "national-2021", years)
            with pytest.raises(InputError, match="年份范围"):
                evs.evaluation_panel(s, "national-2021", years)
    assert counts(store) == before
