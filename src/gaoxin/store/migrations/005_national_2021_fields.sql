-- gaoxin store, schema version 5: enterprise fields the whole 2021 national system needs
-- (国科发火〔2021〕106号, docs/national-2021.md, decision 0015).  Money in 千元 as DECIMAL(18,3)
-- and counts as BIGINT (decision 0006); flags BOOLEAN; the listing year INTEGER; the board as text.
-- Existing rows get NULL (not reported), so every earlier snapshot reads exactly as before.
ALTER TABLE enterprise_year ADD COLUMN tech_contract_turnover DECIMAL(18,3);
ALTER TABLE enterprise_year ADD COLUMN wages DECIMAL(18,3);
ALTER TABLE enterprise_year ADD COLUMN tech_import_expense DECIMAL(18,3);
ALTER TABLE enterprise_year ADD COLUMN assimilation_expense DECIMAL(18,3);
ALTER TABLE enterprise_year ADD COLUMN cooperation_expense DECIMAL(18,3);
ALTER TABLE enterprise_year ADD COLUMN is_domestic_controlled BOOLEAN;
ALTER TABLE enterprise_year ADD COLUMN overseas_rd_institutions BIGINT;
ALTER TABLE enterprise_year ADD COLUMN foreign_invention_grants BIGINT;
ALTER TABLE enterprise_year ADD COLUMN foreign_trademarks BIGINT;
ALTER TABLE enterprise_year ADD COLUMN is_digital_industry BOOLEAN;
ALTER TABLE enterprise_year ADD COLUMN listed_year INTEGER;
ALTER TABLE enterprise_year ADD COLUMN listing_board VARCHAR;
ALTER TABLE enterprise_year ADD COLUMN has_national_rd_institution BOOLEAN;
ALTER TABLE enterprise_year ADD COLUMN is_incubated BOOLEAN;
