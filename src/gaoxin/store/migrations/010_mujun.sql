-- gaoxin store, schema version 10: stored 亩均效益 evaluations (docs/mujun.md, decision 0024), one JSON
-- document per (snapshot, year, rule-file hash, zone selection), written only by `gaoxin mujun --save`, so the
-- web and the report read them instead of recomputing. Independent of migrations 008 and 009.
CREATE TABLE IF NOT EXISTS mujun_result (
    snapshot_id     INTEGER NOT NULL,
    year            INTEGER NOT NULL,
    rules_hash      VARCHAR NOT NULL,
    zone_key        VARCHAR NOT NULL,
    rules_id        VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    gaoxin_version  VARCHAR NOT NULL,
    payload         VARCHAR NOT NULL,
    PRIMARY KEY (snapshot_id, year, rules_hash, zone_key)
);
