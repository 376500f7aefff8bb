"""创新型中小企业 and 专精特新 (工信部企业〔2022〕63号) on hand-made firms at, just below and just above every
threshold; criteria whose data the returns lack are "unknown", and score intervals decide where they can.

One store holds every case (one firm per case, three years each), so the module builds it once.
"""

from __future__ import annotations

import pytest

from fixtures import panel_store
from gaoxin.analysis import tier_queries as Q
from gaoxin.analysis import tiers as T

RULES, _ = T.builtin_rules()
Y = 2021


def firm(code: str, **kw) -> list[dict]:
    """Three years (Y-2, Y-1, Y) of a firm; ``kw`` sets year Y, ``prev_*`` year Y-1 and ``first_*`` year Y-2.

    Default year Y: an industrial SME (100 staff), revenue 22 000 千元 after 20 000 (growth 10 %: 15 points),
    debt ratio 50 % (10 points), R&D 1 100 千元 = 5 % (20 points), no patent, not high-tech, no equity."""
    base = {"zone_id": "A", "employees": 100, "founded_year": 2010, "total_assets": 10000,
            "total_liabilities": 5000, "is_high_tech": False, "equity_financing": 0}
    prev = {k[5:]: v for k, v in kw.items() if k.startswith("prev_")}
    first = {k[6:]: v for k, v in kw.items() if k.startswith("first_")}
    now = {k: v for k, v in kw.items() if not k.startswith(("prev_", "first_"))}
    return [
        {**base, "credit_code": code, "year": Y - 2, "revenue": 18000, "rd_expense": 900, **first},
        {**base, "credit_code": code, "year": Y - 1, "revenue": 20000, "rd_expense": 1000, **prev},
        {**base, "credit_code": code, "year": Y, "revenue": 22000, "rd_expense": 1100, "valid_invention_patents": 0,
         **now},
    ]


CASES: dict[str, dict] = {
    # R&D share bands (innovation = IP [0, 5] + R&D points; ≥ 20 needs R&D 20, or 15 + possibly 5 → unknown)
    "rd5": {"rd_expense": 1100},                          # 5 %: 20 → innovation [20, 25] pass
    "rd4.99": {"rd_expense": 1097.8},                     # 15 → [15, 20] unknown
    "rd3": {"rd_expense": 660},                           # 3 %: 15 → [15, 20] unknown
    "rd2.99": {"rd_expense": 657.8},                      # 10 → [10, 15] fail
    "rd1": {"rd_expense": 220},                           # 1 %: 5 → [5, 10] fail
    "pat_rd2": {"rd_expense": 440, "valid_invention_patents": 1},  # class I: 10..20 + 10 → [20, 30] pass
    "pat_rd1": {"rd_expense": 220, "valid_invention_patents": 1},  # [15, 25] unknown
    # growth points (revenue growth) + debt points; ≥ 15
    "g10_d80": {"total_liabilities": 8000},               # 15 + 0 = 15 pass
    "g9.99_d80": {"total_liabilities": 8000, "revenue": 21998, "rd_expense": 2000},  # 10 + 0 fail
    "g0_d75": {"total_liabilities": 7500, "revenue": 20000},        # 5 + 5 = 10 fail
    "g0_d55": {"total_liabilities": 5500, "revenue": 20000},        # 5 + 10 = 15 pass
    "gneg_d55": {"total_liabilities": 5500, "revenue": 19999},      # 0 + 10 fail
    "g5_d55.01": {"total_liabilities": 5501, "revenue": 21000},     # 10 + 5 = 15 pass
    "g5_nodebt": {"total_liabilities": None, "revenue": 21000},     # 10 + [0, 10] unknown
    "g15_nodebt": {"total_liabilities": None, "revenue": 23000},    # 20 + [0, 10] pass
    # direct paths and size
    "hightech": {"is_high_tech": True},
    "eq5000": {"equity_financing": 3000, "prev_equity_financing": 1000, "first_equity_financing": 1000},
    "eq4999": {"equity_financing": 2999, "prev_equity_financing": 1000, "first_equity_financing": 1000},
    "big_staff": {"is_high_tech": True, "employees": 1000, "revenue": 400000, "rd_expense": 20000},
    "staff1000_rev399999": {"is_high_tech": True, "employees": 1000, "revenue": 399999, "rd_expense": 20000},
    "low_all": {"rd_expense": 0, "revenue": 19999, "total_liabilities": 8000},  # score ≤ 5 + 0 + 30: fail
    # 专精特新
    "s_ok": {"rd_expense": 10000, "prev_rd_expense": 10000},          # all checkable pass, 2y R&D = 2 000万
    "s_age1": {"founded_year": Y - 1},
    "s_age2": {"founded_year": Y - 2},
    "s_rd999": {"rd_expense": 999},
    "s_int3": {"rd_expense": 1200, "revenue": 40000},       # 3 % exactly
    "s_int2.99": {"rd_expense": 1199.6, "revenue": 40000},
    "s_rev9999_eq": {"revenue": 9999, "rd_expense": 1000, "equity_financing": 10000,
                     "prev_equity_financing": 10000},
    "s_rev9999_noeq": {"revenue": 9999, "rd_expense": 1000, "equity_financing": 10000,
                       "prev_equity_financing": 9999},
    "s_rd2y_19999": {"rd_expense": 10000, "prev_rd_expense": 9999},
    "s_eq60000": {"equity_financing": 30000, "prev_equity_financing": 30000},
}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    rows = [r for code, kw in CASES.items() for r in firm(code, **kw)]
    c = panel_store(tmp_path_factory.mktemp("sme") / "s.duckdb", rows)
    yield c
    c.close()


@pytest.fixture(scope="module")
def w(con):
    """The tier frame of the panel, with the store its evidence is queried from."""
    class Panel:
        frame = T.compute_tiers(con, RULES, (Y, Y), 1)

    Panel.con = con
    return Panel


def crit(w, code: str, tier: str, measure: str) -> list[str]:
    e = Q.evidence_frame(w.con, RULES, (Y, Y), firms=[code])
    return list(e[(e.tier == tier) & (e.measure == measure)]["status"])


def tier(w, code: str, t: str) -> str:
    f = w.frame
    return T.status(f[f.credit_code == code][t]).iloc[0]


@pytest.mark.parametrize(("code", "expected"), [
    ("rd5", "pass"), ("rd4.99", "unknown"), ("rd3", "unknown"), ("rd2.99", "fail"), ("rd1", "fail"),
    ("pat_rd2", "pass"), ("pat_rd1", "unknown"),
])
def test_innovation_points_rd_bands_and_ip_interval(w, code, expected):
    assert crit(w, code, "innovative_sme", "innov_sme_innovation") == [expected]


@pytest.mark.parametrize(("code", "expected"), [
    ("g10_d80", "pass"), ("g9.99_d80", "fail"), ("g0_d75", "fail"), ("g0_d55", "pass"), ("gneg_d55", "fail"),
    ("g5_d55.01", "pass"), ("g5_nodebt", "unknown"), ("g15_nodebt", "pass"),
])
def test_growth_points_growth_and_debt_bands(w, code, expected):
    assert crit(w, code, "innovative_sme", "innov_sme_growth") == [expected]


def test_specialisation_is_unknown_and_total_fails_only_when_even_its_maximum_cannot_reach_60(con, w):
    assert crit(w, "rd5", "innovative_sme", "innov_sme_special") == ["unknown"]  # [5, 30] against 15
    assert crit(w, "rd5", "innovative_sme", "innov_sme_score") == ["unknown"]
    # innovation [0, 5] + growth 0 + 0 + specialisation ≤ 30 = at most 35 < 60
    assert crit(w, "low_all", "innovative_sme", "innov_sme_score") == ["fail"]
    e = Q.evidence_frame(con, RULES, (Y, Y), firms=["low_all"])
    assert e[(e.tier == "innovative_sme") & (e.measure == "innov_sme_score")]["value"].isna().all()


@pytest.mark.parametrize(("code", "expected"), [
    ("hightech", "pass"),              # direct path (二)
    ("eq5000", "pass"),                # 3-year equity 500万元 (inclusive)
    ("eq4999", "unknown"),             # no checkable path, awards and R&D institutions unknown
    ("big_staff", "fail"),             # not an SME (工业: ≥ 1000 staff and ≥ 4亿元)
    ("staff1000_rev399999", "pass"),   # SME by revenue alone
])
def test_innovative_sme_direct_paths_and_size(w, code, expected):
    assert tier(w, code, "innovative_sme") == expected


def test_direct_paths_are_no_near_misses_unless_the_rule_says_so(con, w, tmp_path):
    assert Q.near_miss_frame(con, RULES, (Y, Y), firms=["eq4999", "rd5"]).query("tier == 'innovative_sme'").empty
    # the same rule with the equity path open to near misses: the one failing criterion with its gap
    text = (T.resources.files("gaoxin.analysis.rules.tiers") / "national.toml").read_text("utf-8")
    p = tmp_path / "local.toml"
    label = '"equity financing, last 3 years"'
    p.write_text(text.replace(f"{label}, near_miss = false", label), "utf-8")
    rules, _ = T.load_rules(p)
    nm = Q.near_miss_frame(con, rules, (Y, Y), firms=["eq4999"])
    row = nm[nm.tier == "innovative_sme"].iloc[0]
    assert row["label_en"] == "equity financing, last 3 years" and row["gap"] == 1 and row["value"] == 4999


@pytest.mark.parametrize(("code", "measure", "expected"), [
    ("s_age2", "age", "pass"), ("s_age1", "age", "fail"),
    ("s_ok", "rd_expense", "pass"), ("s_rd999", "rd_expense", "fail"),
    ("s_int3", "rd_intensity", "pass"), ("s_int2.99", "rd_intensity", "fail"),
    ("s_ok", "unavailable", "unknown"),
])
def test_srdi_necessary_conditions(w, code, measure, expected):
    assert crit(w, code, "srdi_sme", measure)[:1] == [expected]
    if expected == "fail":
        assert tier(w, code, "srdi_sme") == "fail"


def test_srdi_revenue_or_equity_condition(w):
    # revenue is checked twice: SME size (< 4亿元, passes) and condition 3 (≥ 1000万元, last)
    assert crit(w, "s_ok", "srdi_sme", "revenue") == ["pass", "pass"]
    assert crit(w, "s_rev9999_eq", "srdi_sme", "revenue") == ["pass", "fail"]
    assert crit(w, "s_rev9999_eq", "srdi_sme", "equity_financing_sum_2y")[0] == "pass"  # 2 000万 inclusive
    assert tier(w, "s_rev9999_eq", "srdi_sme") == "unknown"
    assert tier(w, "s_rev9999_noeq", "srdi_sme") == "fail"  # neither branch of condition 3


def test_srdi_condition_four_branches_and_never_a_silent_pass(w):
    assert crit(w, "s_ok", "srdi_sme", "rd_expense_sum_2y") == ["pass"]       # 2-year mean 1 000万 inclusive
    assert crit(w, "s_rd2y_19999", "srdi_sme", "rd_expense_sum_2y") == ["fail"]
    assert crit(w, "s_eq60000", "srdi_sme", "equity_financing_sum_2y")[-1] == "pass"
    # the niche-years condition is not in the returns: the best a firm gets is unknown
    assert tier(w, "s_ok", "srdi_sme") == "unknown"
    assert not (T.status(w.frame["srdi_sme"]) == "pass").any()
