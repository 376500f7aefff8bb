-- 亩均效益 of every enterprise of $year, hand-written for the shipped rule
-- (src/gaoxin/analysis/rules/mujun/huangyan-2022.toml; docs/mujun.md): the baseline of bench/enterprise.py.
-- Parameters: $snapshot, $year.  Per firm: the seven indicators, population, score and grade.
WITH f AS (
    SELECT credit_code, zone_id, year::BIGINT AS year, taxes::DOUBLE AS taxes, value_added::DOUBLE AS va,
        land_area_mu::DOUBLE AS land, energy_tce::DOUBLE AS energy, electricity_mwh::DOUBLE AS elec,
        emissions_t::DOUBLE AS emis, employees::DOUBLE AS emp, rd_expense::DOUBLE AS rd, revenue::DOUBLE AS rev,
        founded_year, coalesce(industry_code LIKE '44%' OR industry_code LIKE '45%' OR industry_code LIKE '46%',
                               false) AS excluded
    FROM enterprise_years_at($snapshot) WHERE year = $year
), i AS (  -- indicators (万元 per 亩, tce, t, person): NULL when an input is missing or a denominator ≤ 0
    SELECT *,
        CASE WHEN land > 0 THEN 0.1 * taxes / land END AS tax_per_mu,
        CASE WHEN land > 0 THEN 0.1 * va / land END AS va_per_mu,
        CASE WHEN energy > 0 THEN 0.1 * va / energy END AS va_per_energy,
        CASE WHEN emis > 0 THEN 0.1 * va / emis END AS va_per_emission,
        CASE WHEN emp > 0 THEN 0.1 * va / emp END AS labour_productivity,
        CASE WHEN rev > 0 THEN rd / rev END AS rd_intensity,
        CASE WHEN elec > 0 THEN taxes / elec END AS tax_per_electricity,
        CASE WHEN NOT coalesce(land > 0, false) THEN 'tenant' WHEN rev >= 20000 THEN 'above_scale'
             WHEN land >= 3 THEN 'below_scale_3mu' ELSE 'below_scale_small' END AS population
    FROM f
), b AS (  -- population benchmarks: Σ numerator / Σ denominator of the firm's zone and population
    SELECT *,
        0.1 * sum(CASE WHEN taxes IS NOT NULL AND land > 0 THEN taxes END) OVER g
            / nullif(sum(CASE WHEN taxes IS NOT NULL AND land > 0 THEN land END) OVER g, 0) AS b_tax_per_mu,
        sum(CASE WHEN taxes IS NOT NULL AND elec > 0 THEN taxes END) OVER g
            / nullif(sum(CASE WHEN taxes IS NOT NULL AND elec > 0 THEN elec END) OVER g, 0) AS b_tax_per_elec
    FROM i WINDOW g AS (PARTITION BY year, zone_id, population)
), t AS (  -- term scores: weight × indicator / benchmark
    SELECT *,
        CASE WHEN population = 'above_scale' THEN 30 * tax_per_mu / 24.097 END AS s_tax_per_mu_full,
        CASE WHEN population = 'above_scale' THEN 20 * va_per_mu / 136.16 END AS s_va_per_mu,
        CASE WHEN population = 'above_scale' THEN 20 * va_per_energy / 2.694 END AS s_va_per_energy,
        CASE WHEN population = 'above_scale' THEN 10 * va_per_emission / 4929.81 END AS s_va_per_emission0,
        CASE WHEN population = 'above_scale' THEN 10 * labour_productivity / 18.14 END AS s_labour_productivity,
        CASE WHEN population = 'above_scale' THEN 10 * rd_intensity / 0.0302 END AS s_rd_intensity,
        CASE WHEN population IN ('below_scale_3mu', 'below_scale_small') THEN 50 * tax_per_mu / b_tax_per_mu END
            AS s_tax_per_mu_small,
        CASE WHEN population IN ('below_scale_3mu', 'below_scale_small') THEN 50 * tax_per_electricity / b_tax_per_elec
             WHEN population = 'tenant' THEN 100 * tax_per_electricity / b_tax_per_elec END AS s_tax_per_electricity
    FROM b
), m AS (  -- a missing emission figure takes its group's mean term score (domain.md)
    SELECT *, CASE WHEN population = 'above_scale'
                   THEN coalesce(s_va_per_emission0, avg(s_va_per_emission0) OVER (PARTITION BY year, zone_id, population))
              END AS s_va_per_emission
    FROM t
), s AS (
    SELECT *, CASE population
        WHEN 'above_scale' THEN s_tax_per_mu_full + s_va_per_mu + s_va_per_energy + s_va_per_emission
                                + s_labour_productivity + s_rd_intensity
        WHEN 'tenant' THEN s_tax_per_electricity
        ELSE s_tax_per_mu_small + s_tax_per_electricity END AS score,
        CASE WHEN excluded THEN 'excluded_class' WHEN founded_year > year - 1 THEN 'startup' ELSE '' END AS reason
    FROM m
), g AS (
    SELECT *, CASE WHEN reason = '' AND score IS NOT NULL THEN
                  rank() OVER (PARTITION BY year, zone_id, population, reason = '' AND score IS NOT NULL
                               ORDER BY score DESC) END AS rank,
              CASE WHEN reason = '' AND score IS NOT NULL THEN
                  count(*) OVER (PARTITION BY year, zone_id, population, reason = '' AND score IS NOT NULL) END
                  AS n_graded
    FROM s
)
SELECT credit_code, zone_id, year, tax_per_mu, va_per_mu, va_per_energy, va_per_emission, labour_productivity,
    rd_intensity, tax_per_electricity, population, score, rank, n_graded,
    100.0::DOUBLE * (rank - 1) / n_graded AS percentile,
    CASE WHEN rank IS NULL THEN NULL WHEN 100.0::DOUBLE * (rank - 1) / n_graded < 25 THEN 'A'
         WHEN 100.0::DOUBLE * (rank - 1) / n_graded < 70 THEN 'B' WHEN 100.0::DOUBLE * (rank - 1) / n_graded < 95 THEN 'C'
         ELSE 'D' END AS grade,
    CASE WHEN reason <> '' THEN reason WHEN score IS NULL THEN 'unknown_score' ELSE '' END AS not_graded
FROM g
ORDER BY zone_id, credit_code
