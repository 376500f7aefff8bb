-- Enterprise tiers of every enterprise of $year, hand-written for the shipped rules
-- (src/gaoxin/analysis/rules/tiers/national.toml, the gazelle tier from indicators/criteria/gazelle.toml):
-- the baseline of bench/enterprise.py.  Parameters: $snapshot, $year.  One row per enterprise with each tier
-- as a three-valued boolean (NULL = unknown: SQL's AND/OR are Kleene logic, as the rules say).
WITH e AS (
    SELECT * FROM enterprise_years_at($snapshot) WHERE year BETWEEN $year - 3 AND $year
), r AS (  -- this year's row with the firm's own rows 1, 2 and 3 years before
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
    WHERE c.year = $year
), s AS (  -- 科技型中小企业 score (国科发政〔2017〕115号): points by band, lower bounds inclusive
    SELECT *,
        CASE WHEN st_share >= 0.30 THEN 20 WHEN st_share >= 0.25 THEN 16 WHEN st_share >= 0.20 THEN 12
             WHEN st_share >= 0.15 THEN 8 WHEN st_share >= 0.10 THEN 4 WHEN st_share >= 0 THEN 0 END AS st_points,
        CASE WHEN rd_int >= 0.06 THEN 50 WHEN rd_int >= 0.05 THEN 40 WHEN rd_int >= 0.04 THEN 30
             WHEN rd_int >= 0.03 THEN 20 WHEN rd_int >= 0.02 THEN 10 WHEN rd_int >= 0 THEN 0 END AS rd_points,
        CASE WHEN patents >= 1 THEN 30 WHEN patents >= 0 THEN 0 END AS ip_points
    FROM r
)
SELECT credit_code, year::BIGINT AS year, zone_id,
    employees <= 500 AND revenue <= 200000 AND total_assets <= 200000
        AND st_points + rd_points + ip_points >= 60 AND st_points > 0 AS tech_sme,
    age >= 1 AND st_share >= 0.10
        AND rd_int_3y >= CASE WHEN revenue <= 50000 THEN 0.05 WHEN revenue <= 200000 THEN 0.04 ELSE 0.03 END
        AND ht_share >= 0.60 AS high_tech,
    rd_int > 0.025 AND (
        (age <= 15 AND rev_base_3y > 10000 AND rev_cagr_3y >= 0.2 AND rev_growth_1y > 0)
        OR (age <= 15 AND emp_base_3y > 100 AND emp_cagr_3y >= 0.3)
        OR (age <= 10 AND revenue > 1000000) OR (age <= 5 AND revenue > 500000)) AS gazelle,
    listed = 0 AND ((age <= 5 AND valuation >= 50)
        OR (age > 5 AND age <= 9 AND valuation >= 100 AND valuation < 1000)) AS potential_unicorn,
    age <= 10 AND listed = 0 AND valuation >= 1000 AS unicorn,
    revenue >= 1000000 AND rd_int >= 0.05 AND patents >= 50 AS st_leader,
    emp_base_3y >= 10 AND (emp_cagr_3y > 0.20 OR rev_cagr_3y > 0.20) AS hge20,
    emp_base_3y >= 10 AND age <= 5 AND (emp_cagr_3y > 0.20 OR rev_cagr_3y > 0.20) AS oecd_gazelle20,
    emp_base_3y >= 10 AND (emp_cagr_3y > 0.10 OR rev_cagr_3y > 0.10) AS hge10,
    emp_base_3y >= 10 AND age <= 5 AND (emp_cagr_3y > 0.10 OR rev_cagr_3y > 0.10) AS oecd_gazelle10
FROM s
ORDER BY credit_code, year
