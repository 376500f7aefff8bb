"""``gaoxin index build --leave-one-out``: COINr ``remove_elements`` on COINr files (reference: ASEM)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from gaoxin.cli import app
from gaoxin.evaluation.coin import DEFAULT_STEPS, build_index, read_coin
from gaoxin.evaluation.pipeline import run_pipeline

ASEM = Path(__file__).parent / "data" / "coinr_asem"  # copy of shared/reference/coinr_asem (MIT)
DATA, META = ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv"


def test_rank_without_each_pillar_is_the_zero_weight_rerun() -> None:
    table = build_index(DATA, META, leave_out=3)  # level 3: the two sub-indices Conn, Sust
    assert [c for c in table.columns if c.startswith("Rank_without_")] == ["Rank_without_Conn", "Rank_without_Sust"]
    data, meta = read_coin(DATA, META)
    m = meta.copy()
    m.loc[m["iCode"] == "Sust", "Weight"] = 0.0
    ref = run_pipeline(data, m, DEFAULT_STEPS).ranks["Index"]
    got = table.set_index("uCode")["Rank_without_Sust"]
    pd.testing.assert_series_equal(got, ref.reindex(got.index).astype("Int64"), check_names=False)
    # without Sust the index is the connectivity sub-index alone: its ranking
    conn = table.set_index("uCode")["Conn"].rank(method="min", ascending=False).astype("Int64")
    pd.testing.assert_series_equal(got, conn, check_names=False)


def test_cli_index_build_leave_one_out(tmp_path: Path) -> None:
    out = tmp_path / "asem.csv"
    r = CliRunner().invoke(app, ["index", "build", "--data", str(DATA), "--meta", str(META), "--out", str(out),
                                 "--leave-one-out", "Physical"])
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out, encoding="utf-8-sig")
    assert "Rank_without_Physical" in t.columns and t["Rank_without_Physical"].notna().all()
    assert (t["Rank_without_Physical"] != t["Rank"]).any()
    bad = CliRunner().invoke(app, ["index", "build", "--data", str(DATA), "--meta", str(META), "--out", str(out),
                                   "--leave-one-out", "Index"])
    assert bad.exit_code == 2 and "Index" in bad.output
