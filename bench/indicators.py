"""Benchmark: the national-2021 indicators (24-indicator version 2021.1) computed by gaoxin (formulas → Ibis →
one DuckDB query)
against (a) a hand-written DuckDB SQL query and (b) an idiomatic pandas implementation, same store, same run.

Run: .venv/bin/python bench/indicators.py [--enterprises 152000] [--repeat 3]
(152,000 firms ≈ 1M enterprise-year rows; --enterprises 1430000 ≈ 10M rows.)
The three results must agree to 1e-9 relative; prints times (best of --repeat) and ratios.
Targets: gaoxin ≤ 1.3× the hand-written SQL; ≥ 10× faster than pandas.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from _common import demo_store
from gaoxin.indicators.backend import duckdb_schemas
from gaoxin.indicators.compute import compile_framework, compute_indicators
from gaoxin.indicators.framework import load_framework
from gaoxin.indicators.plans import PlanCache

HERE = Path(__file__).parent / "data"
YEARS = (2018, 2025)
FACTS = ["national_rd_institutions", "provincial_rd_institutions", "new_registered_enterprises",
         "entrepreneurship_climate_score", "new_gazelles", "carbon_emissions_t", "green_coverage_rate",
         "compliance_score", "statistics_accuracy_score"]  # fmt: skip

HAND_SQL = """
WITH e AS (
    SELECT * FROM enterprise_years_at({s}) WHERE year BETWEEN {lo} AND {y1}
), a AS (
    SELECT zone_id, year,
        coalesce(sum(rd_personnel_fte), 0) AS fte, coalesce(sum(employees), 0) AS emp,
        coalesce(sum(rd_expense), 0) AS rd, coalesce(sum(revenue), 0) AS rev,
        coalesce(sum(invention_grants), 0) AS grants,
        count(*) FILTER (WHERE founded_year = year) AS founded,
        count(*) FILTER (WHERE is_tech_sme) AS smes,
        count(*) FILTER (WHERE equity_financing > 0) AS vc,
        coalesce(sum(revenue) FILTER (WHERE industry_code[1:2] IN ('63','64','65','73','74','75')), 0) AS hts_rev,
        count(*) FILTER (WHERE is_high_tech) AS ht,
        coalesce(sum(net_profit), 0) AS profit,
        count(*) FILTER (WHERE is_listed) AS listed,
        coalesce(sum(energy_tce), 0) AS energy, coalesce(sum(value_added), 0) AS va,
        coalesce(sum(employees_bachelor_plus), 0) AS bach,
        coalesce(sum(exports) FILTER (WHERE is_high_tech), 0) AS ht_exports,
        coalesce(sum(foreign_returnee_staff), 0) AS foreign_staff,
        coalesce(sum(pct_applications), 0) AS pct,
        coalesce(sum(revenue) FILTER (WHERE rd_expense >= 0.05 * revenue), 0) AS rd5_rev
    FROM e GROUP BY zone_id, year
), f AS (
    PIVOT (SELECT zone_id, year, indicator, value FROM zone_facts_at({s})
           WHERE year BETWEEN {lo} AND {y1} AND indicator IN ({facts}))
    ON indicator IN ({facts}) USING max(value) GROUP BY zone_id, year
), b AS (
    SELECT coalesce(a.zone_id, f.zone_id) AS zone_id, coalesce(a.year, f.year) AS year, a.*, f.*
    FROM a FULL JOIN f ON a.zone_id = f.zone_id AND a.year = f.year
)
SELECT c.zone_id, c.year,
    c.national_rd_institutions + c.provincial_rd_institutions AS rd_institutions,
    c.fte / nullif(c.emp, 0) AS rd_fte_share,
    c.rd / nullif(c.rev, 0) AS rd_intensity,
    c.grants / nullif(c.emp, 0) * 10000 AS invention_grants_per_10k,
    coalesce(c.new_registered_enterprises, c.founded) AS new_registered_enterprises,
    c.smes AS tech_smes,
    c.vc AS vc_backed_enterprises,
    c.entrepreneurship_climate_score AS entrepreneurship_climate,
    c.hts_rev / nullif(c.rev, 0) AS high_tech_service_revenue_share,
    c.ht - p.ht AS net_new_high_tech,
    c.profit / nullif(c.rev, 0) AS profit_margin,
    c.new_gazelles AS new_gazelles,
    c.listed AS listed_enterprises,
    c.energy / nullif(c.va, 0) * 10 AS energy_per_value_added,
    c.carbon_emissions_t / nullif(p.carbon_emissions_t, 0) - 1 AS carbon_growth,
    c.bach / nullif(c.emp, 0) AS bachelor_plus_share,
    c.green_coverage_rate AS green_coverage,
    c.ht_exports / nullif(c.rev, 0) AS high_tech_exports_share,
    c.foreign_staff / nullif(c.emp, 0) AS foreign_returnee_share,
    c.pct / nullif(c.emp, 0) * 10000 AS pct_per_10k,
    (c.va / nullif(c.emp, 0)) / nullif(p.va / nullif(p.emp, 0), 0) - 1 AS labour_productivity_growth,
    c.rd5_rev / nullif(c.rev, 0) AS rd5_revenue_share,
    c.compliance_score AS compliance,
    c.statistics_accuracy_score AS statistics_accuracy
FROM b c LEFT JOIN b p ON p.zone_id = c.zone_id AND p.year = c.year - 1
WHERE c.year BETWEEN {y0} AND {y1}
ORDER BY c.zone_id, c.year
"""


def hand_sql(con: duckdb.DuckDBPyConnection, s: int) -> pd.DataFrame:
    facts = ", ".join(f"'{f}'" for f in FACTS)
    sql = HAND_SQL.format(s=s, lo=YEARS[0] - 1, y0=YEARS[0], y1=YEARS[1], facts=facts)
    return con.sql(sql).df()


def load_pandas(con: duckdb.DuckDBPyConnection, s: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ent = con.sql(f"SELECT * FROM enterprise_years_at({s}) WHERE year BETWEEN {YEARS[0] - 1} AND {YEARS[1]}").df()
    facts = con.sql(f"SELECT * FROM zone_facts_at({s})").df()
    return ent, facts


def pandas_impl(ent: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """Idiomatic pandas: derived columns, one groupby-agg, a pivot, a shifted merge for last year."""
    e = ent.assign(
        founded=ent["founded_year"] == ent["year"],
        smes=ent["is_tech_sme"].fillna(False).astype(bool),
        vc=ent["equity_financing"] > 0,
        hts_rev=ent["revenue"].where(ent["industry_code"].str[:2].isin(["63", "64", "65", "73", "74", "75"])),
        ht=ent["is_high_tech"].fillna(False).astype(bool),
        listed=ent["is_listed"].fillna(False).astype(bool),
        ht_exports=ent["exports"].where(ent["is_high_tech"].fillna(False).astype(bool)),
        rd5_rev=ent["revenue"].where(ent["rd_expense"] >= 0.05 * ent["revenue"]),
    )
    g = e.groupby(["zone_id", "year"]).agg(
        fte=("rd_personnel_fte", "sum"), emp=("employees", "sum"), rd=("rd_expense", "sum"),
        rev=("revenue", "sum"), grants=("invention_grants", "sum"), founded=("founded", "sum"),
        smes=("smes", "sum"), vc=("vc", "sum"), hts_rev=("hts_rev", "sum"), ht=("ht", "sum"),
        profit=("net_profit", "sum"), listed=("listed", "sum"), energy=("energy_tce", "sum"),
        va=("value_added", "sum"), bach=("employees_bachelor_plus", "sum"), ht_exports=("ht_exports", "sum"),
        foreign_staff=("foreign_returnee_staff", "sum"), pct=("pct_applications", "sum"), rd5_rev=("rd5_rev", "sum"),
    ).astype(float)  # fmt: skip
    f = facts[facts["indicator"].isin(FACTS)].pivot_table(
        index=["zone_id", "year"], columns="indicator", values="value", aggfunc="max"
    )
    b = g.join(f, how="outer").reindex(columns=[*g.columns, *FACTS])
    p = b.copy()
    p.index = p.index.set_levels(p.index.levels[1] + 1, level=1)
    p = p.reindex(b.index)

    def div(a: pd.Series, d: pd.Series) -> pd.Series:
        return a / d.where(d != 0)

    c = b
    out = pd.DataFrame(index=b.index)
    out["rd_institutions"] = c.national_rd_institutions + c.provincial_rd_institutions
    out["rd_fte_share"] = div(c.fte, c.emp)
    out["rd_intensity"] = div(c.rd, c.rev)
    out["invention_grants_per_10k"] = div(c.grants, c.emp) * 10000
    out["new_registered_enterprises"] = c.new_registered_enterprises.fillna(c.founded)
    out["tech_smes"] = c.smes
    out["vc_backed_enterprises"] = c.vc
    out["entrepreneurship_climate"] = c.entrepreneurship_climate_score
    out["high_tech_service_revenue_share"] = div(c.hts_rev, c.rev)
    out["net_new_high_tech"] = c.ht - p.ht
    out["profit_margin"] = div(c.profit, c.rev)
    out["new_gazelles"] = c.new_gazelles
    out["listed_enterprises"] = c.listed
    out["energy_per_value_added"] = div(c.energy, c.va) * 10
    out["carbon_growth"] = div(c.carbon_emissions_t, p.carbon_emissions_t) - 1
    out["bachelor_plus_share"] = div(c.bach, c.emp)
    out["green_coverage"] = c.green_coverage_rate
    out["high_tech_exports_share"] = div(c.ht_exports, c.rev)
    out["foreign_returnee_share"] = div(c.foreign_staff, c.emp)
    out["pct_per_10k"] = div(c.pct, c.emp) * 10000
    out["labour_productivity_growth"] = div(div(c.va, c.emp), div(p.va, p.emp)) - 1
    out["rd5_revenue_share"] = div(c.rd5_rev, c.rev)
    out["compliance"] = c.compliance_score
    out["statistics_accuracy"] = c.statistics_accuracy_score
    out = out.reset_index()
    return out[out["year"].between(*YEARS)].sort_values(["zone_id", "year"]).reset_index(drop=True)


def best(fn, repeat: int) -> tuple[float, object]:
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return min(times), res


def compare(name: str, a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest relative difference over all indicator cells; NULL must match NULL."""
    assert list(a["zone_id"]) == list(b["zone_id"]) and list(a["year"]) == list(b["year"]), f"{name}: keys differ"
    worst = 0.0
    for col in a.columns[2:]:
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), f"{name}: NULLs differ in {col}"
        m = ~np.isnan(x)
        rel = np.abs(x[m] - y[m]) / np.maximum(np.abs(y[m]), 1e-300)
        rel[np.abs(x[m] - y[m]) == 0] = 0
        worst = max(worst, float(rel.max(initial=0.0)))
    assert worst <= 1e-9, f"{name}: relative difference {worst:g} > 1e-9"
    return worst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=152_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    db = demo_store("indicators", args.enterprises)
    con = duckdb.connect(str(db), read_only=True)
    s = con.execute("SELECT max(id) FROM snapshot").fetchall()[0][0]
    rows = con.execute(f"SELECT count(*) FROM enterprise_years_at({s})").fetchall()[0][0]
    # the hand-written SQL and pandas baselines implement the 24-indicator version (2021.1) of national-2021;
    # the whole 2021 system (45, decision 0015) is benchmarked by bench/compile.py
    fw = load_framework(Path(__file__).resolve().parents[1] / "tests" / "indicators" / "golden" / "national-2021.toml")
    print(f"store: {rows:,} enterprise-year rows, snapshot {s}; years {YEARS}; {len(fw.indicators)} indicators; "
          f"{platform.machine()}, duckdb {duckdb.__version__}")  # fmt: skip

    cache = PlanCache()
    t0 = time.perf_counter()
    compile_framework(fw, YEARS, schemas=duckdb_schemas(con), cache=cache).sql(s)
    t_compile = time.perf_counter() - t0
    t_gx, gx = best(lambda: compute_indicators(con, fw, YEARS, s, cache=cache), args.repeat)
    t_sql, ref = best(lambda: hand_sql(con, s), args.repeat)
    t_load, (ent, facts) = best(lambda: load_pandas(con, s), 1)
    t_pd, pdf = best(lambda: pandas_impl(ent, facts), args.repeat)
    gx = gx.reset_index(drop=True)  # type: ignore[union-attr]
    ref = ref[gx.columns]  # type: ignore[index]
    pdf = pdf[gx.columns]  # type: ignore[index]
    d1 = compare("gaoxin vs SQL", gx, ref)
    d2 = compare("gaoxin vs pandas", gx, pdf)
    print(f"equal: {len(gx)} zone-years × {len(gx.columns) - 2} indicators; max rel diff vs SQL {d1:.1e}, "
          f"vs pandas {d2:.1e}")  # fmt: skip
    print(f"gaoxin (Ibis → DuckDB): {t_gx:.3f} s   (+ {t_compile:.3f} s to compile the formulas once, cached)")
    print(f"gaoxin incl. compile:   {t_gx + t_compile:.3f} s   / SQL = {(t_gx + t_compile) / t_sql:.2f}×")
    print(f"hand-written SQL:       {t_sql:.3f} s   gaoxin / SQL = {t_gx / t_sql:.2f}× (target ≤ 1.3×)")
    print(f"pandas (in memory):     {t_pd:.3f} s   pandas / gaoxin = {t_pd / t_gx:.1f}× (target ≥ 10×)")
    print(f"pandas incl. load:      {t_pd + t_load:.3f} s   ({t_load:.2f} s to read the snapshot into pandas) "
          f"→ {(t_pd + t_load) / t_gx:.1f}×")  # fmt: skip


if __name__ == "__main__":
    main()
