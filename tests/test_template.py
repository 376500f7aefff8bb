"""The zone-facts template (``services.indicators.zone_facts_template``, ``gaoxin template zone-facts``):
Chinese headers a zone can fill, ingested back as the codes the framework reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ingest_path
from gaoxin.cli import app
from gaoxin.demo.synthetic import generate
from gaoxin.indicators.framework import load_framework
from gaoxin.ingest.contract import fact_code, facts
from gaoxin.services.indicators import zone_facts_template
from gaoxin.store.db import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tpl")
    f = generate(d / "data", zones=3, enterprises=60, years=(2023, 2024), seed=2)
    assert ingest_path([f.zones, f.enterprises], d / "db.duckdb").snapshot == 1
    return d / "db.duckdb"


def test_template_headers_are_chinese_and_map_back() -> None:
    df = zone_facts_template("national-2021")
    assert list(df.columns[:2]) == ["园区代码", "年份"] and df.empty
    fw = load_framework("national-2021")
    assert sorted(fact_code(h) for h in df.columns[2:]) == fw.facts()  # every fact once, recognised again
    assert "高新区总绿地率（比例）" in df.columns and "创业氛围评价（分）" in df.columns
    assert all(f.code == fact_code(f.name_zh) == fact_code(f.header) for f in facts().values())
    assert fact_code("专家评分") == "专家评分"  # a user's own code stays as written


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_filled_template_round_trips_through_ingest(store: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"园区指标{suffix}"
    r = CliRunner().invoke(app, ["template", "zone-facts", "--out", str(out), "--year", "2024", "--db", str(store)])
    assert r.exit_code == 0, r.output
    if suffix == ".xlsx":
        df = pd.read_excel(out, sheet_name="园区指标", dtype={"园区代码": str}, engine="calamine")
    else:
        df = pd.read_csv(out, dtype={"园区代码": str}, encoding="utf-8-sig")
    assert len(df) == 3 and set(df["年份"]) == {2024}
    df["高新区总绿地率（比例）"] = [0.31, 0.42, 0.28]
    df["创业氛围评价（分）"] = [80.5, 71.0, None]  # a blank cell is no value, not an error
    filled = tmp_path / f"filled{suffix}"
    if suffix == ".xlsx":
        with pd.ExcelWriter(filled) as xw:
            df.to_excel(xw, sheet_name="园区指标", index=False)
    else:
        df.to_csv(filled, index=False)
    res = ingest_path([filled], store)
    assert res.accepted == 5 and res.rejected == 0
    with Store(store, "read") as s:
        got = s.con.execute("SELECT zone_id, indicator, value FROM zone_facts_at(?) WHERE year = 2024 "
                            "ORDER BY indicator, zone_id", [res.snapshot]).fetchall()
    zones = sorted(df["园区代码"])
    climate = "entrepreneurship_climate_score"
    assert got == [(zones[0], climate, 80.5), (zones[1], climate, 71.0),
                   *[(z, "green_space_rate", v) for z, v in zip(zones, [0.31, 0.42, 0.28], strict=True)]]
