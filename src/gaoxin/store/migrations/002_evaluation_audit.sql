-- gaoxin store, schema version 2: evaluation results and the audit log.

-- One evaluation = one framework, one year, one snapshot, one pipeline config.
-- `log` holds the pipeline's step log (JSON) from which it can be re-run.
CREATE TABLE evaluation (
    id              INTEGER PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    framework       VARCHAR NOT NULL,
    framework_hash  VARCHAR NOT NULL,     -- sha256 of the framework file
    year            INTEGER NOT NULL,
    snapshot_id     INTEGER NOT NULL,
    config          VARCHAR NOT NULL,     -- JSON: pipeline steps and parameters
    config_hash     VARCHAR NOT NULL,
    log             VARCHAR NOT NULL,     -- JSON: what every step did
    gaoxin_version  VARCHAR NOT NULL,
    created_by      VARCHAR
);

-- Scores and ranks at every level of the framework tree (index, pillars, indicators).
CREATE TABLE evaluation_score (
    evaluation_id   INTEGER NOT NULL,
    zone_id         VARCHAR NOT NULL,
    level           INTEGER NOT NULL,     -- 1 = indicator (normalised), 2.. = aggregates
    code            VARCHAR NOT NULL,
    value           DOUBLE,               -- raw indicator value (level 1) or NULL
    score           DOUBLE,
    rank            INTEGER,
    rank_in_region  INTEGER
);

-- Monte Carlo rank intervals for an evaluation.
CREATE TABLE evaluation_uncertainty (
    evaluation_id   INTEGER NOT NULL,
    zone_id         VARCHAR NOT NULL,
    runs            INTEGER NOT NULL,
    seed            BIGINT NOT NULL,
    nominal_rank    INTEGER,
    median_rank     DOUBLE,
    rank_p05        DOUBLE,
    rank_p95        DOUBLE,
    mean_abs_shift  DOUBLE
);

-- Every write and export, with who did it.
CREATE TABLE audit_log (
    "at"        TIMESTAMP NOT NULL,
    user_name   VARCHAR,
    action      VARCHAR NOT NULL,         -- ingest | evaluate | uncertainty | export | ...
    target      VARCHAR,                  -- snapshot / evaluation id, file written
    detail      VARCHAR                   -- JSON
);
