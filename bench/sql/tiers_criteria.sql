-- Shared head of tiers_{evidence,near_miss,funnel}.sql (bench/enterprise.py joins it with each tail): every
-- criterion of the ten tiers of tiers.sql for the enterprise-years $from … $year, hand-written for the shipped
-- rules (rules/tiers/national.toml 2025.1, gazelle.toml).  Criterion columns are named by their rule key;
-- NULL = unknown (Kleene AND / OR).  The 科技型中小企业 score is an interval [lo, hi] of points when a part is
-- missing: ≥ 60 passes if lo does, fails if hi does not, else is unknown (decision 0028).
WITH e AS (
    SELECT * FROM enterprise_years_at($snapshot) WHERE year BETWEEN $from - 3 AND $year
), r AS (
    SELECT c.credit_code, c.year, c.zone_id, (c.year - c.founded_year)::DOUBLE AS age,
        c.employees::DOUBLE AS employees, c.revenue::DOUBLE AS revenue, c.total_assets::DOUBLE AS total_assets,
        c.valuation_usd_m::DOUBLE AS valuation, c.is_listed::DOUBLE AS listed,
        c.valid_invention_patents::DOUBLE AS patents,
        round(CASE WHEN c.employees::DOUBLE = 0 THEN NULL ELSE c.st_personnel::DOUBLE / c.employees::DOUBLE END, 10)
            AS st_share,
        round(CASE WHEN c.revenue::DOUBLE = 0 THEN NULL ELSE c.rd_expense::DOUBLE / c.revenue::DOUBLE END, 10)
            AS rd_int,
        round(CASE WHEN c.revenue::DOUBLE = 0 THEN NULL
                   ELSE c.high_tech_product_revenue::DOUBLE / c.revenue::DOUBLE END, 10) AS ht_share,
        round(CASE WHEN (c.revenue + p1.revenue + p2.revenue)::DOUBLE = 0 THEN NULL
                   ELSE (c.rd_expense + p1.rd_expense + p2.rd_expense)::DOUBLE
                        / (c.revenue + p1.revenue + p2.revenue)::DOUBLE END, 10) AS rd_int_3y,
        round(round(CASE WHEN p1.revenue::DOUBLE = 0 THEN NULL ELSE c.revenue::DOUBLE / p1.revenue::DOUBLE END, 10)
              - 1, 10) AS rev_growth_1y,
        p3.revenue::DOUBLE AS rev_base_3y, p3.employees::DOUBLE AS emp_base_3y,
        round(CASE WHEN p3.revenue > 0 AND c.revenue / p3.revenue > 0
                   THEN exp(ln(c.revenue::DOUBLE / p3.revenue::DOUBLE) / 3) - 1 END, 10) AS rev_cagr_3y,
        round(CASE WHEN p3.employees > 0 AND c.employees / p3.employees > 0
                   THEN exp(ln(c.employees::DOUBLE / p3.employees::DOUBLE) / 3) - 1 END, 10) AS emp_cagr_3y
    FROM e c
    LEFT JOIN e p1 ON p1.credit_code = c.credit_code AND p1.year = c.year - 1
    LEFT JOIN e p2 ON p2.credit_code = c.credit_code AND p2.year = c.year - 2
    LEFT JOIN e p3 ON p3.credit_code = c.credit_code AND p3.year = c.year - 3
    WHERE c.year BETWEEN $from AND $year
), s AS (
    SELECT *,
        CASE WHEN st_share >= 0.30 THEN 20 WHEN st_share >= 0.25 THEN 16 WHEN st_share >= 0.20 THEN 12
             WHEN st_share >= 0.15 THEN 8 WHEN st_share >= 0.10 THEN 4 WHEN st_share >= 0 THEN 0 END AS st_points,
        CASE WHEN rd_int >= 0.06 THEN 50 WHEN rd_int >= 0.05 THEN 40 WHEN rd_int >= 0.04 THEN 30
             WHEN rd_int >= 0.03 THEN 20 WHEN rd_int >= 0.02 THEN 10 WHEN rd_int >= 0 THEN 0 END AS rd_points,
        CASE WHEN patents >= 1 THEN 30 WHEN patents >= 0 THEN 0 END AS ip_points
    FROM r
), m AS (
    SELECT *, coalesce(st_points, 0) + coalesce(rd_points, 0) + coalesce(ip_points, 0) AS score_lo,
        coalesce(st_points, 20) + coalesce(rd_points, 50) + coalesce(ip_points, 30) AS score_hi,
        CASE WHEN revenue <= 50000 THEN 0.05 WHEN revenue <= 200000 THEN 0.04 ELSE 0.03 END AS ht_rd_min
    FROM s
), k AS (
    SELECT *, CASE WHEN score_lo = score_hi THEN score_lo::DOUBLE END AS score,
        employees <= 500 AS "tech_sme:a0", revenue <= 200000 AS "tech_sme:a1", total_assets <= 200000 AS "tech_sme:a2",
        CASE WHEN score_lo >= 60 THEN TRUE WHEN score_hi < 60 THEN FALSE END AS "tech_sme:a3",
        st_points > 0 AS "tech_sme:a4",
        age >= 1 AS "high_tech:a0", st_share >= 0.10 AS "high_tech:a1", rd_int_3y >= ht_rd_min AS "high_tech:a2",
        ht_share >= 0.60 AS "high_tech:a3",
        rd_int > 0.025 AS "gazelle:a0",
        age <= 15 AS "gazelle:g0.0", rev_base_3y > 10000 AS "gazelle:g0.1", rev_cagr_3y >= 0.2 AS "gazelle:g0.2",
        rev_growth_1y > 0 AS "gazelle:g0.3",
        age <= 15 AS "gazelle:g1.0", emp_base_3y > 100 AS "gazelle:g1.1", emp_cagr_3y >= 0.3 AS "gazelle:g1.2",
        age <= 10 AS "gazelle:g2.0", revenue > 1000000 AS "gazelle:g2.1",
        age <= 5 AS "gazelle:g3.0", revenue > 500000 AS "gazelle:g3.1",
        listed = 0 AS "potential_unicorn:a0", age <= 5 AS "potential_unicorn:g0.0",
        valuation >= 50 AS "potential_unicorn:g0.1", age > 5 AS "potential_unicorn:g1.0",
        age <= 9 AS "potential_unicorn:g1.1", valuation >= 100 AS "potential_unicorn:g1.2",
        valuation < 1000 AS "potential_unicorn:g1.3",
        age <= 10 AS "unicorn:a0", listed = 0 AS "unicorn:a1", valuation >= 1000 AS "unicorn:a2",
        revenue >= 1000000 AS "st_leader:a0", rd_int >= 0.05 AS "st_leader:a1", patents >= 50 AS "st_leader:a2",
        emp_base_3y >= 10 AS "hge20:a0", emp_cagr_3y > 0.2 AS "hge20:g0.0", rev_cagr_3y > 0.2 AS "hge20:g1.0",
        emp_base_3y >= 10 AS "oecd_gazelle20:a0", age <= 5 AS "oecd_gazelle20:a1",
        emp_cagr_3y > 0.2 AS "oecd_gazelle20:g0.0", rev_cagr_3y > 0.2 AS "oecd_gazelle20:g1.0",
        emp_base_3y >= 10 AS "hge10:a0", emp_cagr_3y > 0.1 AS "hge10:g0.0", rev_cagr_3y > 0.1 AS "hge10:g1.0",
        emp_base_3y >= 10 AS "oecd_gazelle10:a0", age <= 5 AS "oecd_gazelle10:a1",
        emp_cagr_3y > 0.1 AS "oecd_gazelle10:g0.0", rev_cagr_3y > 0.1 AS "oecd_gazelle10:g1.0"
    FROM m
), t AS (
    SELECT *,
        "tech_sme:a0" AND "tech_sme:a1" AND "tech_sme:a2" AND "tech_sme:a3" AND "tech_sme:a4" AS tech_sme,
        "high_tech:a0" AND "high_tech:a1" AND "high_tech:a2" AND "high_tech:a3" AS high_tech,
        "gazelle:a0" AND (("gazelle:g0.0" AND "gazelle:g0.1" AND "gazelle:g0.2" AND "gazelle:g0.3")
            OR ("gazelle:g1.0" AND "gazelle:g1.1" AND "gazelle:g1.2") OR ("gazelle:g2.0" AND "gazelle:g2.1")
            OR ("gazelle:g3.0" AND "gazelle:g3.1")) AS gazelle,
        "potential_unicorn:a0" AND (("potential_unicorn:g0.0" AND "potential_unicorn:g0.1")
            OR ("potential_unicorn:g1.0" AND "potential_unicorn:g1.1" AND "potential_unicorn:g1.2"
                AND "potential_unicorn:g1.3")) AS potential_unicorn,
        "unicorn:a0" AND "unicorn:a1" AND "unicorn:a2" AS unicorn,
        "st_leader:a0" AND "st_leader:a1" AND "st_leader:a2" AS st_leader,
        "hge20:a0" AND ("hge20:g0.0" OR "hge20:g1.0") AS hge20,
        "oecd_gazelle20:a0" AND "oecd_gazelle20:a1" AND ("oecd_gazelle20:g0.0" OR "oecd_gazelle20:g1.0")
            AS oecd_gazelle20,
        "hge10:a0" AND ("hge10:g0.0" OR "hge10:g1.0") AS hge10,
        "oecd_gazelle10:a0" AND "oecd_gazelle10:a1" AND ("oecd_gazelle10:g0.0" OR "oecd_gazelle10:g1.0")
            AS oecd_gazelle10
    FROM k
)
