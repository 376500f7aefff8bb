-- gaoxin store, schema version 1.
-- Data tables are versioned by snapshot: a row is visible in snapshot s when
-- valid_from <= s AND (valid_to IS NULL OR valid_to > s).  Rows are never
-- updated except to close them (set valid_to) when a later snapshot replaces
-- them, so every earlier snapshot stays readable exactly as it was.

CREATE SEQUENCE IF NOT EXISTS row_id_seq;

CREATE TABLE snapshot (
    id          INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    sources     VARCHAR NOT NULL,      -- JSON list of file names
    accepted    BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    warnings    BIGINT NOT NULL,
    replaced    BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    created_by  VARCHAR
);

CREATE TABLE zone (
    row_id          BIGINT NOT NULL,
    valid_from      INTEGER NOT NULL,
    valid_to        INTEGER,
    zone_id         VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    level           VARCHAR NOT NULL,
    province_code   VARCHAR NOT NULL,
    region          VARCHAR NOT NULL,
    city            VARCHAR,
    approved_year   INTEGER,
    planned_area_km2 DOUBLE,
    source_file     VARCHAR,
    source_row      INTEGER
);

CREATE TABLE enterprise_year (
    row_id                   BIGINT NOT NULL,
    valid_from               INTEGER NOT NULL,
    valid_to                 INTEGER,
    credit_code              VARCHAR NOT NULL,
    year                     INTEGER NOT NULL,
    name                     VARCHAR NOT NULL,
    zone_id                  VARCHAR NOT NULL,
    industry_code            VARCHAR,
    founded_year             INTEGER,
    is_high_tech             BOOLEAN,
    is_tech_sme              BOOLEAN,
    is_listed                BOOLEAN,
    revenue                  DOUBLE NOT NULL,
    industrial_output        DOUBLE,
    value_added              DOUBLE,
    net_profit               DOUBLE,
    taxes                    DOUBLE,
    exports                  DOUBLE,
    tech_service_exports     DOUBLE,
    high_tech_product_revenue DOUBLE,
    new_product_revenue      DOUBLE,
    total_assets             DOUBLE,
    total_liabilities        DOUBLE,
    equity_financing         DOUBLE,
    valuation_usd_m          DOUBLE,
    employees                BIGINT NOT NULL,
    employees_bachelor_plus  BIGINT,
    st_personnel             BIGINT,
    rd_personnel_fte         DOUBLE,
    foreign_returnee_staff   BIGINT,
    rd_expense               DOUBLE,
    patent_applications      BIGINT,
    invention_applications   BIGINT,
    invention_grants         BIGINT,
    valid_invention_patents  BIGINT,
    pct_applications         BIGINT,
    trademarks               BIGINT,
    intl_standards_led       BIGINT,
    land_area_mu             DOUBLE,
    energy_tce               DOUBLE,
    electricity_mwh          DOUBLE,
    emissions_t              DOUBLE,
    source_file              VARCHAR,
    source_row               INTEGER
);

CREATE TABLE zone_fact (
    row_id      BIGINT NOT NULL,
    valid_from  INTEGER NOT NULL,
    valid_to    INTEGER,
    zone_id     VARCHAR NOT NULL,
    year        INTEGER NOT NULL,
    indicator   VARCHAR NOT NULL,
    value       DOUBLE NOT NULL,
    source_file VARCHAR,
    source_row  INTEGER
);

-- Every ingest attempt that wrote a snapshot, with its outcome.
CREATE TABLE ingest_log (
    snapshot_id INTEGER NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    files       VARCHAR NOT NULL,       -- JSON: per file accepted/rejected/warnings
    options     VARCHAR NOT NULL,       -- JSON: strict, report path, user
    gaoxin_version VARCHAR NOT NULL
);

-- Rejections (severity 'error') and warnings of every batch, with the raw row.
CREATE TABLE ingest_issue (
    snapshot_id INTEGER NOT NULL,
    severity    VARCHAR NOT NULL,       -- error | warning | info
    table_name  VARCHAR,
    file        VARCHAR NOT NULL,
    sheet       VARCHAR,
    "row"       INTEGER,
    "column"    VARCHAR,
    value       VARCHAR,
    reason_en   VARCHAR NOT NULL,
    reason_zh   VARCHAR NOT NULL,
    raw         VARCHAR                 -- JSON of the whole source row
);

-- Snapshot readers: SELECT * FROM enterprise_years_at(3).
CREATE MACRO zones_at(s) AS TABLE
    SELECT * EXCLUDE (row_id, valid_from, valid_to) FROM zone
    WHERE valid_from <= s AND (valid_to IS NULL OR valid_to > s);
CREATE MACRO enterprise_years_at(s) AS TABLE
    SELECT * EXCLUDE (row_id, valid_from, valid_to) FROM enterprise_year
    WHERE valid_from <= s AND (valid_to IS NULL OR valid_to > s);
CREATE MACRO zone_facts_at(s) AS TABLE
    SELECT * EXCLUDE (row_id, valid_from, valid_to) FROM zone_fact
    WHERE valid_from <= s AND (valid_to IS NULL OR valid_to > s);
