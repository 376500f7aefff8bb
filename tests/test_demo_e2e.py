"""End to end: `gaoxin demo` on a small size through the real CLI, store and report."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from gaoxin.cli import app


@pytest.mark.slow
def test_demo_small(tmp_path):
    out = tmp_path / "demo"
    res = CliRunner().invoke(app, ["demo", "--out", str(out), "--zones", "12", "--enterprises", "600",
                                   "--years", "2021-2024", "--dirty", "0.05"])
    assert res.exit_code == 0, res.output
    assert "园区概况 zone summary 2024" in res.stdout
    summary = pd.read_csv(out / "zone-summary.csv")
    assert len(summary) == 12 and summary["enterprises"].sum() > 0
    con = duckdb.connect(str(out / "gaoxin.duckdb"), read_only=True)
    snap = con.execute("SELECT id, name, accepted, rejected FROM snapshot").fetchall()
    # the zone summary is what the store holds for the latest year
    n2024 = con.execute("SELECT count(*) FROM enterprise_years_at(1) WHERE year = 2024").fetchall()[0][0]
    # both scorings are stored with their rank intervals, and one zone's change of rank is explained
    per_eval = dict(con.execute("SELECT evaluation_id, count(*) FROM evaluation_uncertainty GROUP BY 1").fetchall())
    companion = con.execute("SELECT companion_id FROM evaluation_companion WHERE evaluation_id = 1").fetchall()
    explained = con.execute("SELECT evaluation_id, zone_id FROM evaluation_explanation").fetchall()
    con.close()
    assert companion == [(2,)] and per_eval == {1: 12, 2: 12}
    assert len(explained) == 1 and explained[0][0] == 1
    assert "两种评分 two scorings" in res.output and "排名变化解释" in res.output and explained[0][1] in res.output
    assert "梯度培育" in res.output and "创新积分" in res.output and "产业链" in res.output and "亩均效益" in res.output
    assert snap[0][:2] == (1, "demo") and snap[0][3] > 0  # dirty rows were rejected, not stored
    assert summary["enterprises"].sum() == n2024
    issues = pd.read_excel(out / "rejections.xlsx", sheet_name="问题清单 issues", engine="calamine")
    assert (issues["级别 severity"] == "错误 error").sum() >= snap[0][3]
    # evaluation with rank intervals, dynamic management and plan monitoring were shown
    ev = pd.read_csv(out / "evaluation-2024.csv")
    assert sorted(ev["rank"]) == list(range(1, 13))
    assert ((ev["rank_p05"] <= ev["rank_p95"]) & (ev["rank_p95"] <= 12)).all()
    assert "动态管理" in res.stdout and "规划监测" in res.stdout
    # re-running the demo gives the same numbers
    res2 = CliRunner().invoke(app, ["demo", "--out", str(out), "--zones", "12", "--enterprises", "600",
                                    "--years", "2021-2024", "--dirty", "0.05"])
    assert res2.exit_code == 0
    # equal up to the last bits of parallel floating-point sums
    pd.testing.assert_frame_equal(pd.read_csv(out / "zone-summary.csv"), summary, check_exact=False, rtol=1e-12)
