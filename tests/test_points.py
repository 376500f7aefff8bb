"""Innovation points (analysis.points): hand-worked scores, band edges, peer bands, back-test, strict rules."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pandas as pd
import pytest

from gaoxin.analysis import points as ap
from gaoxin.config import ConfigError, validate

RULES, _ = ap.load_rules()
CODES = [i.code for i in RULES.indicator]


def values(**kw) -> pd.DataFrame:
    """One enterprise-year with every rule column (missing unless given)."""
    row = {"credit_code": "X", "zone_id": "A", "year": 2024, **{c: np.nan for c in CODES},
           "b_gazelle": 0.0, "b_pct": 0.0, "n_rd_above_revenue": 0.0, **kw}
    return pd.DataFrame([row])


def test_hand_worked_start_up_firm():
    # revenue 3000 千元 → 初创期 (tech 0.6, growth 0.3, aux 0.1); each term below is 100 × w_group × w_ind × score
    v = values(rd_expense=2500, rd_intensity=2500 / 3000, valid_invention_patents=5, intl_standards=0,
               revenue_growth=0.15, revenue=3000, taxes=1000, equity_financing=0, high_tech_cert=1,
               tech_sme_cert=0, b_gazelle=1)
    out = ap.score(v, RULES).iloc[0]
    assert out["band"] == "startup"
    expect = {"rd_expense": 6.0, "rd_intensity": 15.0, "rd_staff_share": 0.0, "valid_invention_patents": 7.5,
              "intl_standards": 0.0, "revenue_growth": 5.25, "revenue": 0.18, "taxes": 1.2, "equity_financing": 0.0,
              "high_tech_cert": 6.0, "tech_sme_cert": 0.0}
    for code, pts in expect.items():
        assert out[f"pts_{code}"] == pytest.approx(pts), code
    assert out["bonus"] == 5 and out["negative"] == 0
    assert out["points"] == pytest.approx(41.13 + 5)
    assert out["rank"] == 1 and out["peer_size"] == 1 and out["top_band"] == "top5"


def test_negative_item_and_clipping():
    # growth below 0 scores 0, a value above its reference scores 1 (the full weight), negative item −10
    v = values(revenue=200000, revenue_growth=-0.4, rd_expense=9e9, n_rd_above_revenue=1)
    out = ap.score(v, RULES).iloc[0]
    assert out["band"] == "mature"
    assert out["pts_revenue_growth"] == 0
    assert out["pts_rd_expense"] == pytest.approx(100 * 0.4 * 0.2)
    assert out["pts_revenue"] == pytest.approx(100 * 0.5 * 0.2)
    assert out["points"] == pytest.approx(8 + 10 - 10)


@pytest.mark.parametrize(("revenue", "band"), [
    (0, "seed"), (999.99, "seed"), (1000, "startup"), (1000.01, "startup"), (4999.99, "startup"), (5000, "growth"),
    (19999.99, "growth"), (20000, "expansion"), (99999.99, "expansion"), (100000, "mature"), (100000.01, "mature"),
    (-1, None), (np.nan, None)])
def test_revenue_bands_at_and_around_every_edge(revenue, band):
    # lower bound inclusive, upper bound exclusive (100万 = 1000 千元 starts 初创期)
    got = ap.assign_band(pd.Series([revenue]), RULES).iloc[0]
    assert got == band if band is not None else got is None


def test_no_revenue_no_band_no_rank_unknown():
    out = ap.score(values(revenue=np.nan, rd_expense=100), RULES).iloc[0]
    assert out["band"] is None and math.isnan(out["points"]) and out["top_band"] == "unknown"
    assert out["rank"] is pd.NA


def test_peer_bands_of_twenty():
    # n = 20: ceil(1) → rank 1 top5; ceil(2) → rank 2 top5_10; ceil(4) → ranks 3–4 top10_20; rest
    pts = pd.Series(np.arange(20, 0, -1, dtype=float))
    r = ap.peer_bands(pts, pd.Series(["g"] * 20), RULES.cutoffs)
    assert list(r["rank"]) == list(range(1, 21))
    assert list(r["top_band"][:6]) == ["top5", "top5_10", "top10_20", "top10_20", "rest", "rest"]
    assert (r["peer_size"] == 20).all()


def test_peer_bands_ties_and_groups():
    pts = pd.Series([50.0, 50.0, 10.0, 30.0, 20.0])
    peer = pd.Series(["a", "a", "a", "b", "b"])
    r = ap.peer_bands(pts, peer, RULES.cutoffs)
    assert list(r["rank"]) == [1, 1, 3, 1, 2]  # ties share the best rank; ranks restart per peer group
    assert list(r["top_band"]) == ["top5", "top5", "rest", "top5", "rest"]


def test_cagr_and_backtest_hand_computed():
    assert ap.cagr(pd.Series([100.0]), pd.Series([121.0]), 2).iloc[0] == pytest.approx(0.1)
    assert math.isnan(ap.cagr(pd.Series([0.0]), pd.Series([121.0]), 2).iloc[0])
    pts = pd.DataFrame({"credit_code": list("abcd"), "points": [40.0, 30, 20, 10],
                        "top_band": ["top5", "rest", "rest", "rest"]})
    rev = pd.DataFrame({"credit_code": list("abcd") * 2, "year": [2020] * 4 + [2021] * 4,
                        "revenue": [100, 100, 100, 100, 150, 130, 110, 90]})
    bt = ap.backtest(pts, rev, 2020, horizons=(1, 2))
    one = bt.iloc[0]
    assert one["n"] == 4 and one["spearman"] == pytest.approx(1.0) and one["top_n"] == 1
    assert one["median_growth_top"] == pytest.approx(0.5) and one["median_growth_rest"] == pytest.approx(0.1)
    assert bt.iloc[1]["n"] == 0 and pd.isna(bt.iloc[1]["spearman"])  # no 2022 revenue: nothing to compare


def _doc() -> dict:
    return tomllib.loads(ap.builtin_path().read_text("utf-8"))


def test_shipped_rule_is_marked_unverified():
    assert RULES.rule.structure_verified and not RULES.rule.indicators_verified
    assert {g.code for g in RULES.group} == {"tech", "growth", "aux"}


@pytest.mark.parametrize("break_it", [
    lambda d: d["indicator"][0].update(weight=0.9),              # group weights no longer sum to 1
    lambda d: d["band"][0]["weights"].update(tech=0.7),          # band weights no longer sum to 1
    lambda d: d["band"][1].update(revenue_from=1200),            # a gap between bands
    lambda d: d["indicator"][0].update(refrence=3),              # misspelt key
    lambda d: d["indicator"][0].update(group="tec"),             # unknown group
    lambda d: d["cutoffs"].update(top10=0.03),                   # cut-offs not rising
])
def test_rule_file_errors(break_it):
    d = _doc()
    break_it(d)
    with pytest.raises(ConfigError):
        validate(ap.PointsRules, d, "test.toml")


def test_framework_of_the_rule_compiles():
    from gaoxin.indicators.framework import parse_framework

    fw = parse_framework(ap.framework_data(RULES))
    assert [i.code for i in fw.indicators] == [*CODES, "b_gazelle", "b_pct", "n_rd_above_revenue"]


@pytest.mark.parametrize(("value", "score"), [(0.0599, 0.0599 / 0.06), (0.06, 1.0), (0.0601, 1.0), (-0.01, 0.0)])
def test_indicator_score_at_below_and_above_the_reference(value, score):
    s = ap.indicator_scores(values(rd_intensity=value), RULES).iloc[0]
    assert s["rd_intensity"] == pytest.approx(score) and s["rd_staff_share"] == 0  # missing scores 0
