"""``gaoxin results`` / services.results: what analysis results a store holds, per snapshot and rule hash."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gaoxin.cli import app
from gaoxin.services import tiers as st
from gaoxin.services.errors import InputError
from gaoxin.services.results import stored_results
from gaoxin.store.db import Store


def test_demo_store_lists_each_kind_it_saved(demo_db):
    with Store(demo_db, "read") as s:
        r = stored_results(s)
    t = r.table
    assert set(t["kind"]) == {"tiers", "points", "mujun", "chains"}  # what the demo stores (no industry)
    tiers = t[t.kind == "tiers"].iloc[0]
    _, sha = st.rules_of(None)
    assert (tiers["snapshot"], tiers["year"], tiers["rule_id"], tiers["rule_hash"]) == (1, 2024, "tiers-national", sha)
    chains = t[t.kind == "chains"].iloc[0]
    assert chains["key"].startswith("chain:integrated-circuit:zone:") and chains["zone"] == tiers["zone"]
    points = t[t.kind == "points"].iloc[0]
    assert points["zone"] is None and points["rows"] > 0  # one stored row per enterprise: counted


def test_a_new_save_appears_and_the_kind_filter_selects(demo_db):
    with Store(demo_db, "write") as s:
        before = stored_results(s, "tiers").table
        other = next(z for (z,) in s.con.execute("SELECT DISTINCT zone_id FROM enterprise_year ORDER BY 1").fetchall()
                     if z not in set(before["zone"]))
        st.tiers(s, 2023, zone=other, save=True)
        after = stored_results(s, "tiers").table
    assert len(after) == len(before) + 1
    new = after[after.zone == other].iloc[0]
    assert new["year"] == 2023 and set(after["kind"]) == {"tiers"}


def test_unknown_kind_is_a_user_error_and_an_empty_store_lists_nothing(tmp_path):
    with Store(tmp_path / "e.duckdb", "write") as s:
        assert stored_results(s).table.empty
        with pytest.raises(InputError, match="--kind must be one of"):
            stored_results(s, "grades")


def test_cli_json_and_table(demo_db):
    runner = CliRunner()
    res = runner.invoke(app, ["results", "--kind", "mujun", "--json", "--db", str(demo_db)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["kind"] == "mujun" and [r["kind"] for r in doc["results"]] == ["mujun"]
    assert doc["results"][0]["created_at"][:2] == "20"
    table = runner.invoke(app, ["results", "--db", str(demo_db)])
    assert table.exit_code == 0 and "chains" in table.output and "nan" not in table.output
    bad = runner.invoke(app, ["results", "--kind", "x", "--db", str(demo_db)])
    assert bad.exit_code == 2 and "--kind must be one of" in bad.output
