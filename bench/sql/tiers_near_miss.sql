-- Tail of tiers_criteria.sql: near misses of $year — per firm and tier not passed, the ways in (all-of plus one
-- any-of group) where exactly one criterion fails and the rest pass; per firm × tier the failing criterion
-- with the smallest relative gap |threshold − value| / |threshold| (ties: the criterion key).  Written over the
-- open evidence rows: a way in with exactly one open criterion, and that one failing, is a near miss.
, ev AS (
    SELECT credit_code, year, zone_id, x.k AS criterion, x.v AS value, x.t AS threshold, x.p AS ok
    FROM (
        SELECT credit_code, year, zone_id, unnest([
        {'k': 'tech_sme:a0', 'v': employees, 't': 500.0::DOUBLE, 'p': "tech_sme:a0", 'tier': tech_sme},
        {'k': 'tech_sme:a1', 'v': revenue, 't': 200000.0::DOUBLE, 'p': "tech_sme:a1", 'tier': tech_sme},
        {'k': 'tech_sme:a2', 'v': total_assets, 't': 200000.0::DOUBLE, 'p': "tech_sme:a2", 'tier': tech_sme},
        {'k': 'tech_sme:a3', 'v': score, 't': 60.0::DOUBLE, 'p': "tech_sme:a3", 'tier': tech_sme},
        {'k': 'tech_sme:a4', 'v': st_points::DOUBLE, 't': 0.0::DOUBLE, 'p': "tech_sme:a4", 'tier': tech_sme},
        {'k': 'high_tech:a0', 'v': age, 't': 1.0::DOUBLE, 'p': "high_tech:a0", 'tier': high_tech},
        {'k': 'high_tech:a1', 'v': st_share, 't': 0.1::DOUBLE, 'p': "high_tech:a1", 'tier': high_tech},
        {'k': 'high_tech:a2', 'v': rd_int_3y, 't': ht_rd_min, 'p': "high_tech:a2", 'tier': high_tech},
        {'k': 'high_tech:a3', 'v': ht_share, 't': 0.6::DOUBLE, 'p': "high_tech:a3", 'tier': high_tech},
        {'k': 'gazelle:a0', 'v': rd_int, 't': 0.025::DOUBLE, 'p': "gazelle:a0", 'tier': gazelle},
        {'k': 'gazelle:g0.0', 'v': age, 't': 15.0::DOUBLE, 'p': "gazelle:g0.0", 'tier': gazelle},
        {'k': 'gazelle:g0.1', 'v': rev_base_3y, 't': 10000.0::DOUBLE, 'p': "gazelle:g0.1", 'tier': gazelle},
        {'k': 'gazelle:g0.2', 'v': rev_cagr_3y, 't': 0.2::DOUBLE, 'p': "gazelle:g0.2", 'tier': gazelle},
        {'k': 'gazelle:g0.3', 'v': rev_growth_1y, 't': 0.0::DOUBLE, 'p': "gazelle:g0.3", 'tier': gazelle},
        {'k': 'gazelle:g1.0', 'v': age, 't': 15.0::DOUBLE, 'p': "gazelle:g1.0", 'tier': gazelle},
        {'k': 'gazelle:g1.1', 'v': emp_base_3y, 't': 100.0::DOUBLE, 'p': "gazelle:g1.1", 'tier': gazelle},
        {'k': 'gazelle:g1.2', 'v': emp_cagr_3y, 't': 0.3::DOUBLE, 'p': "gazelle:g1.2", 'tier': gazelle},
        {'k': 'gazelle:g2.0', 'v': age, 't': 10.0::DOUBLE, 'p': "gazelle:g2.0", 'tier': gazelle},
        {'k': 'gazelle:g2.1', 'v': revenue, 't': 1000000.0::DOUBLE, 'p': "gazelle:g2.1", 'tier': gazelle},
        {'k': 'gazelle:g3.0', 'v': age, 't': 5.0::DOUBLE, 'p': "gazelle:g3.0", 'tier': gazelle},
        {'k': 'gazelle:g3.1', 'v': revenue, 't': 500000.0::DOUBLE, 'p': "gazelle:g3.1", 'tier': gazelle},
        {'k': 'potential_unicorn:a0', 'v': listed, 't': 0.0::DOUBLE, 'p': "potential_unicorn:a0", 'tier': potential_unicorn},
        {'k': 'potential_unicorn:g0.0', 'v': age, 't': 5.0::DOUBLE, 'p': "potential_unicorn:g0.0", 'tier': potential_unicorn},
        {'k': 'potential_unicorn:g0.1', 'v': valuation, 't': 50.0::DOUBLE, 'p': "potential_unicorn:g0.1", 'tier': potential_unicorn},
        {'k': 'potential_unicorn:g1.0', 'v': age, 't': 5.0::DOUBLE, 'p': "potential_unicorn:g1.0", 'tier': potential_unicorn},
        {'k': 'potential_unicorn:g1.1', 'v': age, 't': 9.0::DOUBLE, 'p': "potential_unicorn:g1.1", 'tier': potential_unicorn},
        {'k': 'potential_unicorn:g1.2', 'v': valuation, 't': 100.0::DOUBLE, 'p': "potential_unicorn:g1.2", 'tier': potential_unicorn},
        {'k': 'potential_unicorn:g1.3', 'v': valuation, 't': 1000.0::DOUBLE, 'p': "potential_unicorn:g1.3", 'tier': potential_unicorn},
        {'k': 'unicorn:a0', 'v': age, 't': 10.0::DOUBLE, 'p': "unicorn:a0", 'tier': unicorn},
        {'k': 'unicorn:a1', 'v': listed, 't': 0.0::DOUBLE, 'p': "unicorn:a1", 'tier': unicorn},
        {'k': 'unicorn:a2', 'v': valuation, 't': 1000.0::DOUBLE, 'p': "unicorn:a2", 'tier': unicorn},
        {'k': 'st_leader:a0', 'v': revenue, 't': 1000000.0::DOUBLE, 'p': "st_leader:a0", 'tier': st_leader},
        {'k': 'st_leader:a1', 'v': rd_int, 't': 0.05::DOUBLE, 'p': "st_leader:a1", 'tier': st_leader},
        {'k': 'st_leader:a2', 'v': patents, 't': 50.0::DOUBLE, 'p': "st_leader:a2", 'tier': st_leader},
        {'k': 'hge20:a0', 'v': emp_base_3y, 't': 10.0::DOUBLE, 'p': "hge20:a0", 'tier': hge20},
        {'k': 'hge20:g0.0', 'v': emp_cagr_3y, 't': 0.2::DOUBLE, 'p': "hge20:g0.0", 'tier': hge20},
        {'k': 'hge20:g1.0', 'v': rev_cagr_3y, 't': 0.2::DOUBLE, 'p': "hge20:g1.0", 'tier': hge20},
        {'k': 'oecd_gazelle20:a0', 'v': emp_base_3y, 't': 10.0::DOUBLE, 'p': "oecd_gazelle20:a0", 'tier': oecd_gazelle20},
        {'k': 'oecd_gazelle20:a1', 'v': age, 't': 5.0::DOUBLE, 'p': "oecd_gazelle20:a1", 'tier': oecd_gazelle20},
        {'k': 'oecd_gazelle20:g0.0', 'v': emp_cagr_3y, 't': 0.2::DOUBLE, 'p': "oecd_gazelle20:g0.0", 'tier': oecd_gazelle20},
        {'k': 'oecd_gazelle20:g1.0', 'v': rev_cagr_3y, 't': 0.2::DOUBLE, 'p': "oecd_gazelle20:g1.0", 'tier': oecd_gazelle20},
        {'k': 'hge10:a0', 'v': emp_base_3y, 't': 10.0::DOUBLE, 'p': "hge10:a0", 'tier': hge10},
        {'k': 'hge10:g0.0', 'v': emp_cagr_3y, 't': 0.1::DOUBLE, 'p': "hge10:g0.0", 'tier': hge10},
        {'k': 'hge10:g1.0', 'v': rev_cagr_3y, 't': 0.1::DOUBLE, 'p': "hge10:g1.0", 'tier': hge10},
        {'k': 'oecd_gazelle10:a0', 'v': emp_base_3y, 't': 10.0::DOUBLE, 'p': "oecd_gazelle10:a0", 'tier': oecd_gazelle10},
        {'k': 'oecd_gazelle10:a1', 'v': age, 't': 5.0::DOUBLE, 'p': "oecd_gazelle10:a1", 'tier': oecd_gazelle10},
        {'k': 'oecd_gazelle10:g0.0', 'v': emp_cagr_3y, 't': 0.1::DOUBLE, 'p': "oecd_gazelle10:g0.0", 'tier': oecd_gazelle10},
        {'k': 'oecd_gazelle10:g1.0', 'v': rev_cagr_3y, 't': 0.1::DOUBLE, 'p': "oecd_gazelle10:g1.0", 'tier': oecd_gazelle10}
        ]) AS x FROM t WHERE year = $year
    ) WHERE x.p IS NOT TRUE AND x.tier IS NOT TRUE
), ways(tier, way, criterion) AS (VALUES  -- every way into each tier and its criteria
    ('tech_sme', 0, 'tech_sme:a0'), ('tech_sme', 0, 'tech_sme:a1'), ('tech_sme', 0, 'tech_sme:a2'),
    ('tech_sme', 0, 'tech_sme:a3'), ('tech_sme', 0, 'tech_sme:a4'),
    ('high_tech', 0, 'high_tech:a0'), ('high_tech', 0, 'high_tech:a1'), ('high_tech', 0, 'high_tech:a2'),
    ('high_tech', 0, 'high_tech:a3'),
    ('gazelle', 0, 'gazelle:a0'), ('gazelle', 0, 'gazelle:g0.0'), ('gazelle', 0, 'gazelle:g0.1'),
    ('gazelle', 0, 'gazelle:g0.2'), ('gazelle', 0, 'gazelle:g0.3'),
    ('gazelle', 1, 'gazelle:a0'), ('gazelle', 1, 'gazelle:g1.0'), ('gazelle', 1, 'gazelle:g1.1'),
    ('gazelle', 1, 'gazelle:g1.2'),
    ('gazelle', 2, 'gazelle:a0'), ('gazelle', 2, 'gazelle:g2.0'), ('gazelle', 2, 'gazelle:g2.1'),
    ('gazelle', 3, 'gazelle:a0'), ('gazelle', 3, 'gazelle:g3.0'), ('gazelle', 3, 'gazelle:g3.1'),
    ('potential_unicorn', 0, 'potential_unicorn:a0'), ('potential_unicorn', 0, 'potential_unicorn:g0.0'),
    ('potential_unicorn', 0, 'potential_unicorn:g0.1'),
    ('potential_unicorn', 1, 'potential_unicorn:a0'), ('potential_unicorn', 1, 'potential_unicorn:g1.0'),
    ('potential_unicorn', 1, 'potential_unicorn:g1.1'), ('potential_unicorn', 1, 'potential_unicorn:g1.2'),
    ('potential_unicorn', 1, 'potential_unicorn:g1.3'),
    ('unicorn', 0, 'unicorn:a0'), ('unicorn', 0, 'unicorn:a1'), ('unicorn', 0, 'unicorn:a2'),
    ('st_leader', 0, 'st_leader:a0'), ('st_leader', 0, 'st_leader:a1'), ('st_leader', 0, 'st_leader:a2'),
    ('hge20', 0, 'hge20:a0'), ('hge20', 0, 'hge20:g0.0'), ('hge20', 1, 'hge20:a0'), ('hge20', 1, 'hge20:g1.0'),
    ('oecd_gazelle20', 0, 'oecd_gazelle20:a0'), ('oecd_gazelle20', 0, 'oecd_gazelle20:a1'),
    ('oecd_gazelle20', 0, 'oecd_gazelle20:g0.0'), ('oecd_gazelle20', 1, 'oecd_gazelle20:a0'),
    ('oecd_gazelle20', 1, 'oecd_gazelle20:a1'), ('oecd_gazelle20', 1, 'oecd_gazelle20:g1.0'),
    ('hge10', 0, 'hge10:a0'), ('hge10', 0, 'hge10:g0.0'), ('hge10', 1, 'hge10:a0'), ('hge10', 1, 'hge10:g1.0'),
    ('oecd_gazelle10', 0, 'oecd_gazelle10:a0'), ('oecd_gazelle10', 0, 'oecd_gazelle10:a1'),
    ('oecd_gazelle10', 0, 'oecd_gazelle10:g0.0'), ('oecd_gazelle10', 1, 'oecd_gazelle10:a0'),
    ('oecd_gazelle10', 1, 'oecd_gazelle10:a1'), ('oecd_gazelle10', 1, 'oecd_gazelle10:g1.0')
), hit AS (
    SELECT ev.credit_code, ev.year, ev.zone_id, w.tier, w.way, any_value(ev.criterion) AS criterion,
        any_value(ev.value) AS value, any_value(ev.threshold) AS threshold
    FROM ev JOIN ways w ON w.criterion = ev.criterion
    GROUP BY ev.credit_code, ev.year, ev.zone_id, w.tier, w.way
    HAVING count(*) = 1 AND bool_and(ev.ok IS FALSE)
)
SELECT credit_code, year, zone_id, tier, criterion, value, threshold, threshold - value AS gap,
    round(abs(threshold - value) / CASE WHEN threshold <> 0 THEN abs(threshold) ELSE 1 END, 12) AS relative_gap
FROM hit
QUALIFY row_number() OVER (PARTITION BY credit_code, year, tier ORDER BY relative_gap, criterion) = 1
ORDER BY tier, relative_gap, zone_id, credit_code, year
