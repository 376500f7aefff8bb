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


def score(v: pd.DataFrame, rules: ap.PointsRules = RULES) -> pd.DataFrame:
    """The points expression run by DuckDB over the given indicator values."""
    return ap.score_frame(v, rules)


def test_hand_worked_start_up_firm():
    # revenue 3000 千元 → 初创期 (tech 0.6, growth 0.3, aux 0.1); each term below is 100 × w_group × w_ind × score
    v = values(rd_expense=2500, rd_intensity=2500 / 3000, valid_invention_patents=5, intl_standards=0,
               revenue_growth=0.15, revenue=3000, taxes=1000, equity_financing=0, high_tech_cert=1,
               tech_sme_cert=0, b_gazelle=1)
    out = score(v).iloc[0]
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
    out = score(v).iloc[0]
    assert out["band"] == "mature"
    assert out["pts_revenue_growth"] == 0
    assert out["pts_rd_expense"] == pytest.approx(100 * 0.4 * 0.2)
    assert out["pts_revenue"] == pytest.approx(100 * 0.5 * 0.2)
    assert out["points"] == pytest.approx(8 + 10 - 10)


# revenue only: points = 100 × w_growth(band) × 0.2 × min(revenue / 100 000, 1), worked out by hand per row and
# rounded to 6 decimals (999.99: 6 × 0.0099999 = 0.0599994 → 0.059999)
EDGES = [(0, "seed", 0.0), (999.99, "seed", 0.059999), (1000, "startup", 0.06), (1000.01, "startup", 0.060001),
         (4999.99, "startup", 0.299999), (5000, "growth", 0.4), (19999.99, "growth", 1.599999),
         (20000, "expansion", 1.8), (99999.99, "expansion", 8.999999), (100000, "mature", 10.0),
         (100000.01, "mature", 10.0), (-1, None, None), (np.nan, None, None)]


@pytest.mark.parametrize(("revenue", "band", "pts"), EDGES)
def test_revenue_bands_at_and_around_every_edge(revenue, band, pts):
    # lower bound inclusive, upper bound exclusive (100万 = 1000 千元 starts 初创期)
    out = score(values(revenue=revenue)).iloc[0]
    if band is None:
        assert pd.isna(out["band"]) and math.isnan(out["points"]) and out["top_band"] == "unknown"
        assert out["rank"] is pd.NA and out["peer_size"] is pd.NA
    else:
        assert out["band"] == band and out["points"] == pytest.approx(pts, abs=1e-12)
        assert out["pts_revenue"] == out["points"] and out["rank"] == 1


def test_every_edge_in_one_query_peer_groups_per_band():
    # the 13 firms of EDGES in one zone: each band is its own peer group, ranked by points
    v = pd.concat([values(credit_code=f"F{k:02d}", revenue=r) for k, (r, _, _) in enumerate(EDGES)],
                  ignore_index=True)
    out = score(v).set_index("credit_code")
    for k, (_, band, pts) in enumerate(EDGES):
        row = out.loc[f"F{k:02d}"]
        assert (row["band"] == band) if band else pd.isna(row["band"])
        if pts is not None:
            assert row["points"] == pytest.approx(pts, abs=1e-12)
    sizes = out.dropna(subset=["band"]).groupby("band")["peer_size"].first().to_dict()
    assert sizes == {"seed": 2, "startup": 3, "growth": 2, "expansion": 2, "mature": 2}
    # mature: 100000 and 100000.01 both clip to 10 points → a tie, both rank 1
    assert list(out.loc[["F09", "F10"], "rank"]) == [1, 1]
    assert list(out.loc[["F02", "F03", "F04"], "rank"]) == [3, 2, 1]
    assert list(out["band"].iloc[:2]) == ["seed", "seed"]  # published order: band small to large, then rank
    assert out["band"].iloc[-2:].isna().all()


ONE = RULES.model_copy(update={
    "band": [ap.Band(code="all", name_zh="全部", name_en="All", revenue_from=0, weights={"tech": 1.0})],
    "group": [ap.Group(code="tech", name_zh="技术", name_en="Tech")],
    "indicator": [ap.PointsIndicator(code="x", group="tech", name_zh="x", name_en="x", formula="sum(revenue)",
                                     reference=1e9, weight=1.0)], "bonus": [], "negative": []})


def ranked(pts: list[float], zones: list[str] | None = None, rules: ap.PointsRules = ONE) -> pd.DataFrame:
    """Firms whose points are ``pts`` (one indicator with reference 1e9: points = value / 1e7)."""
    zones = zones or ["A"] * len(pts)
    v = pd.DataFrame({"credit_code": [f"F{k:03d}" for k in range(len(pts))], "zone_id": zones, "year": 2024,
                      "x": [p * 1e7 for p in pts]})
    return score(v, rules).sort_values("credit_code", ignore_index=True)


@pytest.mark.parametrize(("n", "bands"), [
    # n → (last rank of top5, of top5_10, of top10_20): ⌈5 % n⌉, ⌈10 % n⌉, ⌈20 % n⌉
    (1, (1, 1, 1)), (9, (1, 1, 2)), (10, (1, 1, 2)), (11, (1, 2, 3)), (19, (1, 2, 4)), (20, (1, 2, 4)),
    (21, (2, 3, 5)), (40, (2, 4, 8)), (41, (3, 5, 9))])
def test_top_bands_at_and_around_every_cutoff(n, bands):
    r = ranked([float(n - k) for k in range(n)])  # distinct points n, n−1, …, 1 → ranks 1…n
    assert list(r["rank"]) == list(range(1, n + 1)) and (r["peer_size"] == n).all()
    t5, t10, t20 = bands
    expect = ["top5" if k <= t5 else "top5_10" if k <= t10 else "top10_20" if k <= t20 else "rest"
              for k in range(1, n + 1)]
    assert list(r["top_band"]) == expect


def test_peer_bands_ties_and_groups():
    r = ranked([50.0, 50.0, 10.0, 30.0, 20.0], zones=["a", "a", "a", "b", "b"])
    assert list(r["rank"]) == [1, 1, 3, 1, 2]  # ties share the best rank; ranks restart per peer group
    assert list(r["top_band"]) == ["top5", "top5", "rest", "top5", "rest"]


def test_a_tie_across_a_cutoff_takes_the_better_band():
    # n = 20: rank 2 is the last of 5–10 %; two firms tied at rank 2 are both in it, the next is rank 4
    r = ranked([20.0, 19.0, 19.0, *[float(k) for k in range(17, 0, -1)]])
    assert list(r["rank"][:5]) == [1, 2, 2, 4, 5]
    assert list(r["top_band"][:5]) == ["top5", "top5_10", "top5_10", "top10_20", "rest"]


def test_cutoff_product_rounded_before_the_ceiling():
    # 0.07 × 100 is 7.000000000000001 as a double: ⌈·⌉ would give 8; rounded first it gives 7
    rules = ONE.model_copy(update={"cutoffs": ap.Cutoffs(top5=0.03, top10=0.07, top20=0.2)})
    r = ranked([float(100 - k) for k in range(100)], rules=rules)
    assert list(r["top_band"][5:9]) == ["top5_10", "top5_10", "top10_20", "top10_20"]


def test_points_rounded_to_six_decimals_so_equal_inputs_tie():
    # points 0.3 and 0.3 + 1e-10 (float noise of a sum in another order) tie after rounding; 0.300001 does not
    r = ranked([0.3 + 1e-10, 0.3, 0.300001])
    assert r["points"].iloc[0] == r["points"].iloc[1] == 0.3 and list(r["rank"]) == [2, 2, 1]


def test_nan_values_score_as_missing():
    # a formula may give NaN (SQL orders NaN above every number): it scores 0, like a missing value
    out = score(values(revenue=3000, rd_intensity=float("nan"))).iloc[0]
    assert out["pts_rd_intensity"] == 0 and out["points"] == pytest.approx(0.18)


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


@pytest.mark.parametrize(("value", "s"), [(0.0599, 0.0599 / 0.06), (0.06, 1.0), (0.0601, 1.0), (-0.01, 0.0)])
def test_indicator_score_at_below_and_above_the_reference(value, s):
    # 初创期: rd_intensity's full weight is 100 × 0.6 × 0.25 = 15 points
    out = score(values(revenue=3000, rd_intensity=value)).iloc[0]
    assert out["pts_rd_intensity"] == pytest.approx(15 * s, abs=1e-6) and out["pts_rd_staff_share"] == 0
