"""Coverage of a framework on the data at hand (``gaoxin.indicators.coverage``): the pure report, the service,
what every stored evaluation logs, and ``gaoxin frameworks show --snapshot``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path
from fixtures import framework_doc
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.indicators.coverage import Availability, coverage, scores_missing_as_zero
from gaoxin.indicators.framework import parse_framework
from gaoxin.services import evaluation as evs
from gaoxin.services import indicators as ind
from gaoxin.store import evaluations as stored
from gaoxin.store.db import Store


def _fw():
    doc = framework_doc({"a": "sum(revenue) / sum(employees)", "b": "sum(wages) / sum(value_added)",
                         "c": 'fact("green_space_rate")', "d": 'fact("gdp") / sum(revenue)',
                         "e": 'fact("compliance_score")'})
    doc["indicator"][4]["qualitative"] = True
    for k, i in enumerate(doc["indicator"]):
        i["ref"] = f"9.{k + 1}"
    return parse_framework(doc)


AVAILABLE = Availability(columns={"revenue": 30, "employees": 30, "wages": 0, "value_added": 28},
                         facts={"green_space_rate": 0, "gdp": 2, "compliance_score": 3}, zones=3)


def test_report_names_fields_and_missing_inputs() -> None:
    values = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [None] * 3, "c": [None] * 3, "d": [1.0, None, 2.0],
                           "e": [80.0, 90.0, 70.0]}, index=["z1", "z2", "z3"])
    cov = coverage(_fw(), AVAILABLE, values, year=2024, snapshot=1)
    f = cov.frame.set_index("code")
    assert f["status"].to_dict() == {"a": "computed", "b": "missing", "c": "missing", "d": "partial", "e": "computed"}
    assert f.loc["b", "missing_fields"] == "wages" and f.loc["c", "missing_fields"] == "fact:green_space_rate"
    assert f.loc["d", "fields"] == "revenue, fact:gdp" and f.loc["d", "zones"] == 2 and f.loc["d", "of"] == 3
    assert f["source_kind"].to_dict() == {"a": "enterprise", "b": "enterprise", "c": "fact", "d": "mixed",
                                          "e": "expert"}
    assert cov.counts == {"computed": 2, "partial": 1, "missing": 2}
    assert "9.2 b" in cov.message() and not cov.message().startswith("警告")
    log = cov.to_log()
    assert log["missing"] == ["b", "c"] and log["partial"] == ["d"] and json.dumps(log)  # JSON-serialisable
    loud = coverage(_fw(), AVAILABLE, values, missing_as_zero=True)
    assert loud.message().startswith("警告 WARNING") and "scored 0" in loud.message()
    # without computed values the status follows the fields alone
    assert coverage(_fw(), AVAILABLE).codes("missing") == ["b", "c"]


def test_which_pipelines_count_missing_as_zero() -> None:
    assert not scores_missing_as_zero([{"name": "impute", "params": {"method": "group_median"}}])
    assert scores_missing_as_zero([{"name": "normalise", "params": {"method": "ratio_to_benchmark",
                                                                    "missing": "zero"}}])
    assert scores_missing_as_zero([{"name": "impute", "params": {"method": "constant", "value": 0}}])


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cov")
    f = generate(d / "data", zones=8, enterprises=800, years=(2021, 2024), seed=7)
    assert ingest_path([f.zones, f.enterprises, f.zone_facts], d / "db.duckdb").snapshot == 1
    return d / "db.duckdb"


def test_demo_computes_every_official_indicator(store: Path) -> None:
    with Store(store, "read") as s:
        cov = ind.coverage(s, "national-2021")
    assert cov.year == 2024 and cov.counts["missing"] == 0 and len(cov.frame) == 45
    assert set(cov.frame.loc[cov.frame["source_kind"] == "expert", "ref"]) == {"1.10", "3.9", "5.9", "5.10"}


def test_every_evaluation_logs_its_coverage(store: Path, tmp_path: Path) -> None:
    """A framework reading a fact the data lacks: the indicator is dropped, the log and the run say which."""
    doc = framework_doc({"rd": "sum(rd_expense) / sum(revenue)", "gz": 'fact("new_gazelles")'})
    doc["framework"]["id"] = "cov-test"
    path = tmp_path / "cov-test.toml"
    path.write_text("\n".join([
        "[framework]", *(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in doc["framework"].items()),
        "[[pillar]]", 'code = "p"', 'name_zh = "甲"', 'name_en = "P"',
        *(line for i in doc["indicator"] for line in ["[[indicator]]", *(
            f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in i.items())])]), "utf-8")
    with Store(store, "write") as s:
        run = evs.evaluate(s, str(path), 2024, runs=0)
        log = json.loads(stored.load(s.con, run.id)["log"])
    assert run.evaluation.dropped == ["gz"] and run.coverage.codes("missing") == ["gz"]
    assert log["coverage"]["missing"] == ["gz"] and log["coverage"]["counts"]["computed"] == 1
    assert log["coverage"]["indicators"][1]["missing_fields"] == "fact:new_gazelles"
    res = CliRunner().invoke(app, ["evaluate", "--framework", str(path), "--year", "2024", "--runs", "0",
                                   "--db", str(store)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "缺失 missing: gz" in res.output


def test_frameworks_show_with_a_snapshot(store: Path) -> None:
    r = CliRunner().invoke(app, ["frameworks", "show", "national-2021", "--snapshot", "1", "--json",
                                 "--db", str(store)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["counts"] == {"computed": 45, "partial": 0, "missing": 0} and out["year"] == 2024
    assert {row["ref"] for row in out["indicators"]} >= {"1.1", "5.10"}
    plain = CliRunner().invoke(app, ["frameworks", "show", "national-2021"], env={"COLUMNS": "120"})
    assert plain.exit_code == 0 and "5.6 当年在境内外上市（不含新三板）企业数" in plain.output
