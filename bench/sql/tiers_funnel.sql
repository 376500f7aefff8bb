-- Tail of tiers_criteria.sql: the tier funnel over $from … $year — per zone × year × tier members, entered
-- (a member now, not the year before in the same zone), left (a member the year before, not now in the same
-- zone; counted in the old zone) and per zone-year promoted (highest ladder rank rose in the same zone).
-- Unknown = not a member.  The first year has no year before: its flows are NULL.
, mem AS (
    SELECT credit_code, year, zone_id,
        coalesce(tech_sme, FALSE) AS tech_sme, coalesce(high_tech, FALSE) AS high_tech,
        coalesce(gazelle, FALSE) AS gazelle, coalesce(potential_unicorn, FALSE) AS potential_unicorn,
        coalesce(unicorn, FALSE) AS unicorn, coalesce(st_leader, FALSE) AS st_leader,
        coalesce(hge20, FALSE) AS hge20, coalesce(oecd_gazelle20, FALSE) AS oecd_gazelle20,
        coalesce(hge10, FALSE) AS hge10, coalesce(oecd_gazelle10, FALSE) AS oecd_gazelle10,
        greatest(CASE WHEN tech_sme THEN 1 ELSE 0 END, CASE WHEN high_tech THEN 2 ELSE 0 END,
                 CASE WHEN gazelle THEN 3 ELSE 0 END, CASE WHEN potential_unicorn THEN 4 ELSE 0 END,
                 CASE WHEN unicorn THEN 5 ELSE 0 END, CASE WHEN st_leader THEN 6 ELSE 0 END) AS top
    FROM t
), j AS (
    SELECT coalesce(c.year, p.year + 1) AS year, c.zone_id AS zone, p.zone_id AS prev_zone,
        coalesce(c.zone_id = p.zone_id, FALSE) AS same, coalesce(c.top > p.top, FALSE) AS up, unnest([
            {'tier': 'tech_sme', 'now': coalesce(c.tech_sme, FALSE), 'before': coalesce(p.tech_sme, FALSE)},
            {'tier': 'high_tech', 'now': coalesce(c.high_tech, FALSE), 'before': coalesce(p.high_tech, FALSE)},
            {'tier': 'gazelle', 'now': coalesce(c.gazelle, FALSE), 'before': coalesce(p.gazelle, FALSE)},
            {'tier': 'potential_unicorn', 'now': coalesce(c.potential_unicorn, FALSE),
             'before': coalesce(p.potential_unicorn, FALSE)},
            {'tier': 'unicorn', 'now': coalesce(c.unicorn, FALSE), 'before': coalesce(p.unicorn, FALSE)},
            {'tier': 'st_leader', 'now': coalesce(c.st_leader, FALSE), 'before': coalesce(p.st_leader, FALSE)},
            {'tier': 'hge20', 'now': coalesce(c.hge20, FALSE), 'before': coalesce(p.hge20, FALSE)},
            {'tier': 'oecd_gazelle20', 'now': coalesce(c.oecd_gazelle20, FALSE),
             'before': coalesce(p.oecd_gazelle20, FALSE)},
            {'tier': 'hge10', 'now': coalesce(c.hge10, FALSE), 'before': coalesce(p.hge10, FALSE)},
            {'tier': 'oecd_gazelle10', 'now': coalesce(c.oecd_gazelle10, FALSE),
             'before': coalesce(p.oecd_gazelle10, FALSE)}]) AS x
    FROM mem c FULL JOIN mem p ON p.credit_code = c.credit_code AND p.year + 1 = c.year
), now_side AS (
    SELECT zone AS zone_id, year, x.tier AS tier, count_if(x.now) AS members,
        count_if(x.now AND NOT (x.before AND same)) AS entered, count_if(up AND same) AS promoted
    FROM j WHERE zone IS NOT NULL GROUP BY ALL
), left_side AS (
    SELECT prev_zone AS zone_id, year, x.tier AS tier, count_if(x.before AND NOT (x.now AND same)) AS "left"
    FROM j WHERE prev_zone IS NOT NULL GROUP BY ALL
)
SELECT n.zone_id, n.year::BIGINT AS year, n.tier, n.members,
    CASE WHEN n.year > (SELECT min(year) FROM mem) THEN n.entered END AS entered,
    CASE WHEN n.year > (SELECT min(year) FROM mem) THEN coalesce(l."left", 0) END AS "left",
    CASE WHEN n.year > (SELECT min(year) FROM mem) THEN n.promoted END AS promoted
FROM now_side n LEFT JOIN left_side l USING (zone_id, year, tier)
ORDER BY n.zone_id, n.year, n.tier
