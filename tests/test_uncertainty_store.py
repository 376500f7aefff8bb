"""On a generated store: for every built-in framework and every built-in pipeline config, the Monte Carlo's
nominal replication of a stored evaluation reproduces its published ranks exactly and its scores to 1e-12
(issue #8 §3: before the engine, 162 of 169 demo zones had a different nominal rank)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import ingest_path as ingest
from fixtures import BUILTINS
from gaoxin.cli import app
from gaoxin.config import ConfigError
from gaoxin.demo.synthetic import generate
from gaoxin.evaluation.pipeline import load_config
from gaoxin.services import evaluation as evs
from gaoxin.store import evaluations as stored
from gaoxin.store.db import Store


def builtin_configs() -> dict[str, list]:
    """Every packaged pipeline config (files of configs/ that validate as a pipeline)."""
    out = {}
    for f in sorted(resources.files("gaoxin.evaluation").joinpath("configs").iterdir(), key=lambda f: f.name):
        if f.name.endswith(".toml"):
            try:
                out[f.name.removesuffix(".toml")] = load_config(f)
            except ConfigError:
                continue  # not a pipeline (e.g. a mapping of defaults)
    return out


CONFIGS = builtin_configs()


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("mcstore")
    f = generate(d / "data", zones=40, enterprises=3000, years=(2023, 2024), seed=5)
    assert ingest([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb").snapshot == 1
    return d / "db.duckdb"


def test_there_is_a_builtin_config() -> None:
    assert "default" in CONFIGS or "robust" in CONFIGS, sorted(CONFIGS)


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("framework", BUILTINS)
def test_nominal_monte_carlo_rank_is_the_published_rank(store: Path, framework: str, config: str) -> None:
    with Store(store, "write") as s:
        run = evs.evaluate(s, framework, 2024, steps=CONFIGS[config], save=True, runs=0)
        eid = run.id
        top = stored.scores(s.con, eid, code=run.evaluation.framework.meta.index_code).set_index("zone_id")
        res = evs.uncertainty(s, eid, runs=64, seed=1)
    pub = top["rank"].reindex(res.summary.index)
    has = pub.notna()
    assert has.sum() >= 30
    differ = res.summary.loc[has, "nominal_rank"] != pub[has].astype(int)
    assert not differ.any(), f"{int(differ.sum())} zones with nominal ≠ published rank: {list(pub[has][differ].index)}"
    np.testing.assert_allclose(res.nominal_scores[has], top["score"].reindex(res.summary.index)[has], rtol=0,
                               atol=1e-12)


def test_intervals_at_evaluation_time_are_around_the_published_ranking(store: Path) -> None:
    """``evaluate --runs``: the stored nominal rank is the evaluation's own rank."""
    with Store(store, "write") as s:
        run = evs.evaluate(s, "national-2021", 2024, save=True, runs=200, seed=3)
        u = s.con.execute("SELECT zone_id, nominal_rank FROM evaluation_uncertainty WHERE evaluation_id = ?",
                          [run.id]).df().set_index("zone_id")["nominal_rank"]
    t = run.table.set_index("zone_id")
    ok = t["rank"].notna()
    assert (u.reindex(t.index)[ok] == t.loc[ok, "rank"].astype(int)).all()


def test_leave_one_out_service_and_cli(store: Path) -> None:
    with Store(store, "write") as s:
        eid = evs.evaluate(s, "ecosystem-1-2-3", 2024, save=True, runs=0).id
    with Store(store, "read") as s:
        by_level = evs.leave_one_out(s, eid, "2")
        tops = evs.leave_one_out(s, eid)
        code = str(by_level.summary.index[0])
        one = evs.leave_one_out(s, eid, code)
    assert (by_level.summary["level"] == 2).all() and len(by_level.summary) >= 2
    assert (one.ranks[code] == by_level.ranks[code]).all()
    assert tops.summary["parent"].nunique() == 1  # the children of the index
    db = ["--db", str(store)]
    runner = CliRunner()
    r = runner.invoke(app, ["uncertainty", "--evaluation", str(eid), "--runs", "50", "--leave-one-out", "1", *db])
    assert r.exit_code == 0, r.output
    assert "leave one out" in r.output
    bad = runner.invoke(app, ["uncertainty", "--evaluation", str(eid), "--runs", "50", "--leave-one-out", "XYZ",
                              *db])
    assert bad.exit_code == 2 and "XYZ" in bad.output
