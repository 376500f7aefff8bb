-- Innovation points of every enterprise of $year, hand-written for the shipped rule
-- (src/gaoxin/analysis/rules/points/guideline-2024.toml): the baseline of bench/enterprise.py.
-- Parameters: $snapshot, $year.  Same columns, order and numbers as services.points.points(...).frame.
WITH e AS (
    SELECT * FROM enterprise_years_at($snapshot) WHERE year BETWEEN $year - 3 AND $year
), r AS (  -- this year's row with the firm's own rows 1 and 3 years before (gazelle, growth)
    SELECT c.*, p1.credit_code IS NOT NULL AS has1, p1.revenue AS rev1, p3.revenue AS rev3, p3.employees AS emp3
    FROM e c
    LEFT JOIN e p1 ON p1.credit_code = c.credit_code AND p1.year = c.year - 1
    LEFT JOIN e p3 ON p3.credit_code = c.credit_code AND p3.year = c.year - 3
    WHERE c.year = $year
), v AS (  -- indicator values (a missing amount sums to 0, as sum() does)
    SELECT credit_code, name, zone_id, year::BIGINT AS year,
        coalesce(rd_expense::DOUBLE, 0) AS rd_expense,
        coalesce(rd_expense::DOUBLE, 0) / nullif(coalesce(revenue::DOUBLE, 0), 0) AS rd_intensity,
        coalesce(rd_personnel_fte::DOUBLE, 0) / nullif(coalesce(employees::DOUBLE, 0), 0) AS rd_staff_share,
        coalesce(valid_invention_patents::DOUBLE, 0) AS valid_invention_patents,
        coalesce(intl_standards_led::DOUBLE, 0) AS intl_standards,
        coalesce(revenue::DOUBLE, 0) / nullif(CASE WHEN has1 THEN coalesce(rev1::DOUBLE, 0) END, 0) - 1
            AS revenue_growth,
        coalesce(revenue::DOUBLE, 0) AS revenue,
        coalesce(taxes::DOUBLE, 0) AS taxes,
        coalesce(equity_financing::DOUBLE, 0) AS equity_financing,
        CASE WHEN is_high_tech THEN 1.0 ELSE 0.0 END AS high_tech_cert,
        CASE WHEN is_tech_sme THEN 1.0 ELSE 0.0 END AS tech_sme_cert,
        coalesce(rd_expense > 0.025 * revenue AND (
            (year - founded_year <= 15 AND rev3 > 10000 AND revenue >= 1.728 * rev3 AND revenue > rev1)
            OR (year - founded_year <= 15 AND emp3 > 100 AND employees >= 2.197 * emp3)
            OR (year - founded_year <= 10 AND revenue > 1000000)
            OR (year - founded_year <= 5 AND revenue > 500000)), false) AS gazelle,
        coalesce(pct_applications, 0) > 0 AS pct,
        coalesce(rd_expense > revenue, false) AS rd_above_revenue
    FROM r
), b AS (
    SELECT *, CASE WHEN revenue < 0 THEN NULL WHEN revenue < 1000 THEN 'seed' WHEN revenue < 5000 THEN 'startup'
                   WHEN revenue < 20000 THEN 'growth' WHEN revenue < 100000 THEN 'expansion' ELSE 'mature' END AS band
    FROM v
), w AS (  -- group weights of the band (technology, growth, auxiliary)
    SELECT *,
        CASE band WHEN 'seed' THEN 0.6 WHEN 'startup' THEN 0.6 WHEN 'growth' THEN 0.5 WHEN 'expansion' THEN 0.45
                  WHEN 'mature' THEN 0.4 END AS wt,
        CASE band WHEN 'seed' THEN 0.3 WHEN 'startup' THEN 0.3 WHEN 'growth' THEN 0.4 WHEN 'expansion' THEN 0.45
                  WHEN 'mature' THEN 0.5 END AS wg,
        CASE WHEN band IS NOT NULL THEN 0.1 END AS wa
    FROM b
), c AS (  -- contributions: 100 × group weight × indicator weight × clip(value / reference, 0, 1); missing = 0
    -- (GREATEST skips NULLs: greatest(NULL, 0) is 0)
    SELECT *,
        100 * wt * 0.2 * least(greatest(rd_expense / 5000, 0), 1) AS c1,
        100 * wt * 0.25 * least(greatest(rd_intensity / 0.06, 0), 1) AS c2,
        100 * wt * 0.2 * least(greatest(rd_staff_share / 0.3, 0), 1) AS c3,
        100 * wt * 0.25 * least(greatest(valid_invention_patents / 10, 0), 1) AS c4,
        100 * wt * 0.1 * least(greatest(intl_standards / 1, 0), 1) AS c5,
        100 * wg * 0.35 * least(greatest(revenue_growth / 0.3, 0), 1) AS c6,
        100 * wg * 0.2 * least(greatest(revenue / 100000, 0), 1) AS c7,
        100 * wg * 0.2 * least(greatest(taxes / 5000, 0), 1) AS c8,
        100 * wg * 0.25 * least(greatest(equity_financing / 10000, 0), 1) AS c9,
        100 * wa * 0.6 * least(greatest(high_tech_cert / 1, 0), 1) AS c10,
        100 * wa * 0.4 * least(greatest(tech_sme_cert / 1, 0), 1) AS c11,
        CASE WHEN gazelle THEN 5.0 ELSE 0.0 END + CASE WHEN pct THEN 2.0 ELSE 0.0 END AS bonus,
        CASE WHEN rd_above_revenue THEN 10.0 ELSE 0.0 END AS negative
    FROM w
), p AS (
    SELECT *, round(c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + bonus - negative, 6) AS points FROM c
), k AS (
    SELECT *, CASE WHEN band IS NOT NULL THEN rank() OVER (PARTITION BY zone_id, band ORDER BY points DESC) END
                  AS rank,
              CASE WHEN band IS NOT NULL THEN count(*) OVER (PARTITION BY zone_id, band) END AS peer_size
    FROM p
)
SELECT credit_code, name, zone_id, year, band,
    CASE band WHEN 'seed' THEN '种子期' WHEN 'startup' THEN '初创期' WHEN 'growth' THEN '成长期'
              WHEN 'expansion' THEN '扩张期' WHEN 'mature' THEN '成熟期' END AS band_zh,
    points, rank, peer_size, tb AS top_band,
    CASE tb WHEN 'top5' THEN '前5%' WHEN 'top5_10' THEN '5–10%' WHEN 'top10_20' THEN '10–20%' WHEN 'rest' THEN '其他'
            ELSE '未知' END AS top_band_zh,
    bonus, negative,
    round(c1, 6) AS pts_rd_expense, round(c2, 6) AS pts_rd_intensity, round(c3, 6) AS pts_rd_staff_share,
    round(c4, 6) AS pts_valid_invention_patents, round(c5, 6) AS pts_intl_standards,
    round(c6, 6) AS pts_revenue_growth, round(c7, 6) AS pts_revenue, round(c8, 6) AS pts_taxes,
    round(c9, 6) AS pts_equity_financing, round(c10, 6) AS pts_high_tech_cert, round(c11, 6) AS pts_tech_sme_cert,
    rd_expense, rd_intensity, rd_staff_share, valid_invention_patents, intl_standards, revenue_growth, revenue,
    taxes, equity_financing, high_tech_cert, tech_sme_cert
FROM (SELECT *, CASE WHEN band IS NULL THEN 'unknown' WHEN rank <= ceil(peer_size * 0.05) THEN 'top5'
                     WHEN rank <= ceil(peer_size * 0.10) THEN 'top5_10' WHEN rank <= ceil(peer_size * 0.20)
                     THEN 'top10_20' ELSE 'rest' END AS tb FROM k)
ORDER BY zone_id, CASE band WHEN 'seed' THEN 0 WHEN 'startup' THEN 1 WHEN 'growth' THEN 2 WHEN 'expansion' THEN 3
                            WHEN 'mature' THEN 4 END NULLS LAST, rank NULLS LAST, credit_code
