-- gaoxin store, schema version 3: exact storage of money and measured quantities (decision 0006).
-- Money (千元) and the other measured quantities of enterprise returns become DECIMAL(18,3):
-- 15 integer digits and 3 decimals (1 元 for money), so sums are exact and the same whatever
-- order DuckDB's threads add rows in.  Counts were BIGINT already.  Existing values are rounded
-- to 3 decimals (they came from returns with at most that precision in 千元).  zone.planned_area_km2
-- and zone_fact.value stay DOUBLE (one value per zone, ratios with more decimals).
ALTER TABLE enterprise_year ALTER COLUMN revenue TYPE DECIMAL(18,3) USING round(revenue, 3);
ALTER TABLE enterprise_year ALTER COLUMN industrial_output TYPE DECIMAL(18,3) USING round(industrial_output, 3);
ALTER TABLE enterprise_year ALTER COLUMN value_added TYPE DECIMAL(18,3) USING round(value_added, 3);
ALTER TABLE enterprise_year ALTER COLUMN net_profit TYPE DECIMAL(18,3) USING round(net_profit, 3);
ALTER TABLE enterprise_year ALTER COLUMN taxes TYPE DECIMAL(18,3) USING round(taxes, 3);
ALTER TABLE enterprise_year ALTER COLUMN exports TYPE DECIMAL(18,3) USING round(exports, 3);
ALTER TABLE enterprise_year ALTER COLUMN tech_service_exports TYPE DECIMAL(18,3) USING round(tech_service_exports, 3);
ALTER TABLE enterprise_year ALTER COLUMN high_tech_product_revenue TYPE DECIMAL(18,3) USING round(high_tech_product_revenue, 3);
ALTER TABLE enterprise_year ALTER COLUMN new_product_revenue TYPE DECIMAL(18,3) USING round(new_product_revenue, 3);
ALTER TABLE enterprise_year ALTER COLUMN total_assets TYPE DECIMAL(18,3) USING round(total_assets, 3);
ALTER TABLE enterprise_year ALTER COLUMN total_liabilities TYPE DECIMAL(18,3) USING round(total_liabilities, 3);
ALTER TABLE enterprise_year ALTER COLUMN equity_financing TYPE DECIMAL(18,3) USING round(equity_financing, 3);
ALTER TABLE enterprise_year ALTER COLUMN valuation_usd_m TYPE DECIMAL(18,3) USING round(valuation_usd_m, 3);
ALTER TABLE enterprise_year ALTER COLUMN rd_personnel_fte TYPE DECIMAL(18,3) USING round(rd_personnel_fte, 3);
ALTER TABLE enterprise_year ALTER COLUMN rd_expense TYPE DECIMAL(18,3) USING round(rd_expense, 3);
ALTER TABLE enterprise_year ALTER COLUMN land_area_mu TYPE DECIMAL(18,3) USING round(land_area_mu, 3);
ALTER TABLE enterprise_year ALTER COLUMN energy_tce TYPE DECIMAL(18,3) USING round(energy_tce, 3);
ALTER TABLE enterprise_year ALTER COLUMN electricity_mwh TYPE DECIMAL(18,3) USING round(electricity_mwh, 3);
ALTER TABLE enterprise_year ALTER COLUMN emissions_t TYPE DECIMAL(18,3) USING round(emissions_t, 3);
