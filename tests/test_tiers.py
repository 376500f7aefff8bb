"""Tier criteria on hand-made enterprises at, just below and just above every threshold (shared/domain.md)."""

from __future__ import annotations

import pytest

from fixtures import panel_store
from gaoxin.analysis import tier_queries as Q
from gaoxin.analysis import tiers as T
from gaoxin.config import ConfigError

RULES, _ = T.builtin_rules()
Y = 2021


class Panel:
    """A panel store: its tier frame, and the evidence / near misses / funnel queried from it."""

    def __init__(self, con, years) -> None:
        self.con, self.years = con, years
        self.frame = T.compute_tiers(con, RULES, years, 1)

    def evidence(self):
        return Q.evidence_frame(self.con, RULES, self.years)


def wide(tmp_path, rows, years=(Y, Y)) -> Panel:
    return Panel(panel_store(tmp_path / "s.duckdb", rows), years)


def firm(code="c1", year=Y, **kw):
    """A firm that meets 科技型中小企业 unless told otherwise (score 20 + 50 + 30 = 100)."""
    return {"credit_code": code, "zone_id": "A", "year": year, "revenue": 1000, "employees": 100,
            "total_assets": 1000, "st_personnel": 30, "rd_expense": 60, "valid_invention_patents": 1,
            "founded_year": 2010, "is_listed": False, **kw}


def ev(w, tier, measure, code="c1", year=Y):
    e = w.evidence()
    r = e[(e.credit_code == code) & (e.year == year) & (e.tier == tier) & (e.measure == measure)]
    return list(r["status"]), list(r["value"]), list(r["threshold"])


def tier_status(w, tier, code="c1", year=Y):
    f = w.frame
    return T.status(f[(f.credit_code == code) & (f.year == year)][tier]).iloc[0]


# ---- 科技型中小企业 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("st", "rd", "ip", "points"), [
    (30, 60, 1, 100),   # ≥30 %: 20, ≥6 %: 50, class-I IP: 30
    (29, 59, 1, 16 + 40 + 30),
    (25, 50, 0, 16 + 40),
    (20, 40, 1, 12 + 30 + 30),
    (15, 30, 0, 8 + 20),
    (10, 20, 0, 4 + 10),
    (9, 19, 0, 0),
])
def test_tech_sme_score_bands(tmp_path, st, rd, ip, points):
    w = wide(tmp_path, [firm(st_personnel=st, rd_expense=rd, valid_invention_patents=ip)])
    e = w.evidence()
    score = e[(e.tier == "tech_sme") & (e.measure == "tech_sme_score")]["value"].iloc[0]
    assert score == points


@pytest.mark.parametrize(("st", "rd", "expected"), [
    (30, 20, "pass"),   # 20 + 10 + 30 = 60: the bound is inclusive
    (30, 19, "fail"),   # 20 + 0 + 30 = 50
    (5, 60, "fail"),    # 0 + 50 + 30 = 80 ≥ 60, but S&T staff points are 0
])
def test_tech_sme_score_threshold_and_nonzero_staff_points(tmp_path, st, rd, expected):
    assert tier_status(wide(tmp_path, [firm(st_personnel=st, rd_expense=rd)]), "tech_sme") == expected


@pytest.mark.parametrize(("col", "value", "expected"), [
    ("employees", 500, "pass"), ("employees", 501, "fail"),
    ("revenue", 200000, "pass"), ("revenue", 200000.001, "fail"),
    ("total_assets", 200000, "pass"), ("total_assets", 200001, "fail"),
])
def test_tech_sme_size_limits_inclusive(tmp_path, col, value, expected):
    kw = {col: value}
    if col == "employees":
        kw["st_personnel"] = value  # keep the staff share at 100 %
    if col == "revenue":
        kw["rd_expense"] = value  # keep R&D intensity at 100 %
    w = wide(tmp_path, [firm(**kw)])
    assert ev(w, "tech_sme", col)[0] == [expected]
    assert tier_status(w, "tech_sme") == expected


def test_missing_staff_data_is_unknown_not_fail_unless_another_criterion_fails(tmp_path):
    w = wide(tmp_path, [firm(st_personnel=None), firm("c2", st_personnel=None, employees=501)])
    assert tier_status(w, "tech_sme") == "unknown"
    assert ev(w, "tech_sme", "st_points")[0] == ["unknown"]
    assert tier_status(w, "tech_sme", "c2") == "fail"  # a failed size limit decides


# ---- 高新技术企业 ------------------------------------------------------------------------------------------

def ht_history(revenue, rd, **kw):
    base = {"st_personnel": 10, "employees": 100, "high_tech_product_revenue": revenue * 0.6, "founded_year": 2019}
    return [firm(year=y, revenue=revenue, rd_expense=rd, **{**base, **kw}) for y in (Y - 2, Y - 1, Y)]


@pytest.mark.parametrize(("revenue", "rd", "threshold", "expected"), [
    (50000, 2500, 0.05, "pass"), (50000, 2499, 0.05, "fail"),      # ≤ 5000万: 5 %
    (50001, 2000.04, 0.04, "pass"), (50001, 2000, 0.04, "fail"),   # 5000万–2亿 (inclusive): 4 %
    (200000, 8000, 0.04, "pass"), (200000, 7999, 0.04, "fail"),
    (200001, 6000.03, 0.03, "pass"), (200001, 6000, 0.03, "fail"),  # > 2亿: 3 %
])
def test_high_tech_rd_band_by_revenue(tmp_path, revenue, rd, threshold, expected):
    w = wide(tmp_path, ht_history(revenue, rd), years=(Y - 2, Y))
    status, _, th = ev(w, "high_tech", "rd_intensity_3y")
    assert status == [expected] and th == [threshold]
    assert tier_status(w, "high_tech") == expected


def test_high_tech_three_year_intensity_is_pooled_and_unknown_without_history(tmp_path):
    rows = ht_history(1000, 50)
    rows[0]["rd_expense"], rows[2]["rd_expense"] = 20, 80  # (20 + 50 + 80) / 3000 = 5 %
    w = wide(tmp_path, rows, years=(Y - 2, Y))
    assert ev(w, "high_tech", "rd_intensity_3y")[0:2] == (["pass"], [0.05])
    assert ev(w, "high_tech", "rd_intensity_3y", year=Y - 1)[0] == ["unknown"]  # only two years of returns


@pytest.mark.parametrize(("kw", "measure", "expected"), [
    ({"founded_year": Y - 1}, "age", "pass"), ({"founded_year": Y}, "age", "fail"),
    ({"st_personnel": 10}, "st_staff_share", "pass"), ({"st_personnel": 9}, "st_staff_share", "fail"),
    ({"high_tech_product_revenue": 600}, "high_tech_revenue_share", "pass"),
    ({"high_tech_product_revenue": 599.999}, "high_tech_revenue_share", "fail"),
])
def test_high_tech_other_conditions(tmp_path, kw, measure, expected):
    rows = ht_history(1000, 50)
    rows[2].update(kw)
    w = wide(tmp_path, rows, years=(Y - 2, Y))
    assert ev(w, "high_tech", measure)[0] == [expected]


# ---- 瞪羚 (the gazelle.toml rule) ---------------------------------------------------------------------------

def gazelle_rows(base_rev, rev, last_rev=None, rd_share=0.03, base_emp=10, emp=10, founded=2010):
    last = rev - 1 if last_rev is None else last_rev
    return [firm(year=Y - 3, revenue=base_rev, employees=base_emp, st_personnel=base_emp, founded_year=founded,
                 rd_expense=base_rev * rd_share),
            firm(year=Y - 1, revenue=last, employees=emp, st_personnel=emp, founded_year=founded),
            firm(year=Y, revenue=rev, employees=emp, st_personnel=emp, founded_year=founded,
                 rd_expense=round(rev * rd_share, 3))]


@pytest.mark.parametrize(("base", "rev", "last", "expected"), [
    (10001, 17281.728, None, "pass"),    # CAGR exactly 20 % (1.2³ = 1.728): inclusive
    (10001, 17281.0, None, "fail"),      # just below 20 %
    (10000, 17280, None, "fail"),        # base revenue must be above 1000万元
    (10001, 17281.728, 17281.728, "fail"),  # no growth in the last year
])
def test_gazelle_revenue_branch(tmp_path, base, rev, last, expected):
    w = wide(tmp_path, gazelle_rows(base, rev, last), years=(Y - 3, Y))
    assert tier_status(w, "gazelle") == expected


@pytest.mark.parametrize(("base_emp", "emp", "expected"), [(1000, 2197, "pass"), (1000, 2196, "fail"),
                                                           (100, 300, "fail")])
def test_gazelle_staff_branch(tmp_path, base_emp, emp, expected):
    w = wide(tmp_path, gazelle_rows(100, 100, 100, base_emp=base_emp, emp=emp), years=(Y - 3, Y))
    assert tier_status(w, "gazelle") == expected


@pytest.mark.parametrize(("founded", "rev", "expected"), [
    (Y - 10, 1000000.001, "pass"), (Y - 10, 1000000, "unknown"), (Y - 11, 1000000.001, "unknown"),
    (Y - 5, 500000.001, "pass"), (Y - 5, 500000, "unknown"),
])
def test_gazelle_large_young_branches(tmp_path, founded, rev, expected):
    """A single year of returns: the size branches decide a pass; otherwise the growth branches are unknown."""
    w = wide(tmp_path, [firm(revenue=rev, rd_expense=rev * 0.03, founded_year=founded)])
    assert tier_status(w, "gazelle") == expected
    assert ev(w, "gazelle", "revenue_cagr_3y")[0] == ["unknown"]


@pytest.mark.parametrize(("rd", "expected"), [(25000.001, "pass"), (25000, "fail")])
def test_gazelle_intensity_strictly_above(tmp_path, rd, expected):
    rows = [firm(revenue=1000000.001, rd_expense=rd, founded_year=Y - 10)]
    assert tier_status(wide(tmp_path, rows), "gazelle") == expected


# ---- 独角兽 / 潜在独角兽 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("age", "valuation", "listed", "unicorn", "potential"), [
    (10, 1000, False, "pass", "fail"), (10, 999.9, False, "fail", "fail"), (11, 1000, False, "fail", "fail"),
    (3, 1500, True, "fail", "fail"),
    (5, 50, False, "fail", "pass"), (5, 49.9, False, "fail", "fail"),
    (6, 100, False, "fail", "pass"), (6, 99.9, False, "fail", "fail"), (9, 999.9, False, "fail", "pass"),
    (9, 1000, False, "pass", "fail"), (10, 500, False, "fail", "fail"),
    (4, None, False, "unknown", "unknown"),
])
def test_unicorns(tmp_path, age, valuation, listed, unicorn, potential):
    w = wide(tmp_path, [firm(founded_year=Y - age, valuation_usd_m=valuation, is_listed=listed)])
    assert (tier_status(w, "unicorn"), tier_status(w, "potential_unicorn")) == (unicorn, potential)


# ---- Eurostat-OECD high growth -----------------------------------------------------------------------------

@pytest.mark.parametrize(("base", "emp", "hge20", "hge10"), [
    (1000, 1729, "pass", "pass"), (1000, 1728, "fail", "pass"),   # > 20 %: exactly 20 % is not high growth
    (1000, 1332, "fail", "pass"), (1000, 1331, "fail", "fail"),   # > 10 %
    (10, 18, "pass", "pass"), (9, 100, "fail", "fail"),            # ≥ 10 employees at the start
])
def test_high_growth_enterprise(tmp_path, base, emp, hge20, hge10):
    w = wide(tmp_path, gazelle_rows(100, 100, 100, base_emp=base, emp=emp), years=(Y - 3, Y))
    assert (tier_status(w, "hge20"), tier_status(w, "hge10")) == (hge20, hge10)


@pytest.mark.parametrize(("founded", "expected"), [(Y - 5, "pass"), (Y - 6, "fail")])
def test_oecd_gazelle_is_a_young_high_growth_enterprise(tmp_path, founded, expected):
    w = wide(tmp_path, gazelle_rows(100, 100, 100, base_emp=1000, emp=1729, founded=founded), years=(Y - 3, Y))
    assert tier_status(w, "oecd_gazelle20") == expected


def test_cagr_value_is_hand_computed(tmp_path):
    w = wide(tmp_path, gazelle_rows(100, 100, 100, base_emp=1000, emp=1331), years=(Y - 3, Y))
    assert ev(w, "hge10", "employees_cagr_3y")[1] == [0.1]


# ---- near misses and funnel ----------------------------------------------------------------------------------

def test_near_miss_one_failing_criterion_with_gap(tmp_path):
    rows = [firm(valuation_usd_m=900, founded_year=Y - 8),   # unicorn but for valuation: gap 100
            firm("c2", valuation_usd_m=900, founded_year=Y - 12),  # two criteria short: not near
            firm("c3", valuation_usd_m=None, founded_year=Y - 12)]  # one fail, one unknown: not near
    p = wide(tmp_path, rows)
    nm = Q.near_miss_frame(p.con, RULES, p.years)
    u = nm[nm.tier == "unicorn"]
    assert list(u.credit_code) == ["c1"]
    assert (u.iloc[0]["value"], u.iloc[0]["threshold"], u.iloc[0]["gap"]) == (900, 1000, 100)


def test_funnel_entered_left_promoted(tmp_path):
    rows = [firm(year=2020), firm(year=2021, employees=600, st_personnel=600, revenue=2000000, rd_expense=120000,
                                  valid_invention_patents=60),                         # SME → 科技领军
            firm("c2", year=2021),                                                   # new SME
            firm("c3", year=2020)]                                                   # gone in 2021
    p = wide(tmp_path, rows, years=(2020, 2021))
    f = Q.funnel_frame(p.con, RULES, p.years).set_index(["year", "tier"])
    assert f.loc[(2020, "tech_sme"), "members"] == 2
    assert pd_na(f.loc[(2020, "tech_sme"), "entered"])
    assert tuple(f.loc[(2021, "tech_sme"), ["members", "entered", "left", "promoted"]]) == (1, 1, 2, 1)
    assert tuple(f.loc[(2021, "st_leader"), ["members", "entered", "left"]]) == (1, 1, 0)


def pd_na(v) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


# ---- rule files ------------------------------------------------------------------------------------------------

def test_unknown_key_in_a_rule_file_is_an_error(tmp_path):
    text = (T.resources.files("gaoxin.analysis.rules.tiers") / "national.toml").read_text("utf-8")
    p = tmp_path / "bad.toml"
    p.write_text(text.replace('rank = 1\n', 'rank = 1\nweight = 2\n', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="weight"):
        T.load_rules(p)


def test_gazelle_tier_is_the_gazelle_toml_rule():
    g = next(t for t in RULES.tier if t.id == "gazelle")
    assert g.all[0].threshold == 0.025 and len(g.any_of) == 4
    assert [c.measure for c in g.any_of[0]] == ["age", "revenue_base_3y", "revenue_cagr_3y", "revenue_growth_1y"]


def test_unknown_measure_in_a_rule_file_is_an_error(tmp_path):
    text = (T.resources.files("gaoxin.analysis.rules.tiers") / "national.toml").read_text("utf-8")
    p = tmp_path / "bad.toml"
    p.write_text(text.replace('measure = "total_assets"', 'measure = "total_asets"', 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="total_asets"):
        T.load_rules(p)
