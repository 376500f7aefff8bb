-- gaoxin store, schema version 11: stored industry-structure and chain-gap results (docs/industry.md,
-- decision 0025), so the web and the reports show them without recomputing. One row per (kind, snapshot,
-- rule-file hash, key): kind "industry" (key "year:<y>:zone:<z|*>:level:<l>") or "chains"
-- (key "chain:<c>:zone:<z>:year:<y>:viewer:<v>"; a stored lead list is the one its viewer may see).
-- `payload` is the service result as JSON. Independent of migrations 008–010.
CREATE TABLE IF NOT EXISTS industry_result (
    kind            VARCHAR NOT NULL,
    snapshot_id     INTEGER NOT NULL,
    rule_hash       VARCHAR NOT NULL,
    key             VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    gaoxin_version  VARCHAR NOT NULL,
    payload         VARCHAR NOT NULL,
    PRIMARY KEY (kind, snapshot_id, rule_hash, key)
);
