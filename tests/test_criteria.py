"""Enterprise criteria as data (``gaoxin.indicators.criteria``): the 瞪羚 rule on hand-made firms."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from fixtures import framework_doc, panel_store
from gaoxin.config import ConfigError
from gaoxin.indicators.compute import compute_indicators
from gaoxin.indicators.criteria import gazelle_formula, load_gazelle
from gaoxin.indicators.formula import parse
from gaoxin.indicators.framework import parse_framework
from gaoxin.indicators.units import ENTERPRISE_YEAR

# firm: founded, R&D share, {year: (revenue 千元, employees)}; hand-checked against domain.md's rule for 2020
FIRMS = {
    # (a) revenue: 20000 → 40000 over 2017–2020 is a CAGR of 26 % ≥ 20 %, base > 1000万, 2020 > 2019
    "g1": (2010, 0.05, {2017: (20000, 50), 2018: (25000, 50), 2019: (30000, 50), 2020: (40000, 50),
                        2021: (45000, 50)}),
    # exactly 20 %: 12500 × 1.2³ = 21600 (the bound is inclusive)
    "g2": (2010, 0.05, {2017: (12500, 50), 2019: (21000, 50), 2020: (21600, 50)}),
    # fast growth but revenue fell in the last year: not a gazelle
    "g3": (2010, 0.05, {2017: (20000, 50), 2019: (45000, 50), 2020: (40000, 50)}),
    # (a) employment: 150 → 400 staff (CAGR 39 % ≥ 30 %, base > 100), revenue barely growing
    "g4": (2012, 0.05, {2017: (20000, 150), 2019: (21000, 300), 2020: (22000, 400)}),
    # too old: 16 years in 2020
    "g5": (2004, 0.05, {2017: (20000, 50), 2019: (30000, 50), 2020: (40000, 50)}),
    # R&D 2 % ≤ 2.5 %
    "g6": (2010, 0.02, {2017: (20000, 50), 2019: (30000, 50), 2020: (40000, 50)}),
    # (b) 8 years old, revenue > 10亿元 = 1 000 000 千元, no history needed
    "g7": (2012, 0.03, {2020: (1200000, 900)}),
    # base revenue exactly 1000万 (the bound is strict): not a gazelle
    "g8": (2010, 0.05, {2017: (10000, 50), 2019: (15000, 50), 2020: (20000, 50)}),
    # (c) 4 years old and > 5亿元; the same at 6 years old is not (b needs > 10亿)
    "g9": (2016, 0.03, {2020: (600000, 400)}),
    "g10": (2014, 0.03, {2020: (600000, 400)}),
}
GAZELLE_2020 = {"g1": 1, "g2": 1, "g3": 0, "g4": 1, "g5": 0, "g6": 0, "g7": 1, "g8": 0, "g9": 1, "g10": 0}


@pytest.fixture()
def firms(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    rows = [{"credit_code": c, "zone_id": "A", "year": y, "founded_year": f, "revenue": r, "employees": e,
             "rd_expense": r * rd}
            for c, (f, rd, years) in FIRMS.items() for y, (r, e) in years.items()]
    con = panel_store(tmp_path / "g.duckdb", rows, zones=("A",))
    yield con
    con.close()


def _fw(**formulas: str):
    return parse_framework(framework_doc(formulas))


def test_gazelle_rule_on_hand_made_firms(firms) -> None:
    df = compute_indicators(firms, _fw(g="count(gazelle())"), (2020, 2020), unit=ENTERPRISE_YEAR)
    assert df.set_index("credit_code")["g"].astype(int).to_dict() == GAZELLE_2020


def test_new_gazelles_count_the_flow(firms) -> None:
    """5.5 当年新晋瞪羚企业数: g1 is a gazelle in 2020 and 2021, new only in 2020 (2019 has no base-year row)."""
    df = compute_indicators(firms, _fw(new="count(new(gazelle()))", all="count(gazelle())"), (2020, 2021))
    z = df.set_index("year")
    assert z.loc[2020, "all"] == sum(GAZELLE_2020.values()) == 5 and z.loc[2020, "new"] == 5
    assert z.loc[2021, "all"] == 1 and z.loc[2021, "new"] == 0


def test_rule_is_data_with_a_typed_model(tmp_path: Path) -> None:
    rule = load_gazelle()
    assert (rule.window_years, rule.growth.max_age_years, rule.intensity.rd_intensity_above) == (3, 15, 0.025)
    text = gazelle_formula(rule)
    assert "prev(revenue, 3) > 10000.0" in text and "revenue >= 1.728 * prev(revenue, 3)" in text
    assert "employees >= 2.197 * prev(employees, 3)" in text and "revenue > 1000000.0" in text
    assert parse(f"count({text})").max_lag == 3
    local = rule.model_copy(update={"window_years": 2})  # a local variant: 2-year growth
    assert "revenue >= 1.44 * prev(revenue, 2)" in gazelle_formula(local)
    src = Path(__file__).resolve().parents[1] / "src" / "gaoxin" / "indicators" / "criteria" / "gazelle.toml"
    bad = tmp_path / "g.toml"
    bad.write_text(src.read_text("utf-8").replace("window_years = 3", "window_years = 3\nwindow_yaers = 2"), "utf-8")
    with pytest.raises(ConfigError, match="window_yaers"):
        load_gazelle(bad)
