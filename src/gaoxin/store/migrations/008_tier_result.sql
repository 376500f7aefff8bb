-- gaoxin store, schema version 8: enterprise-tier results (docs/enterprise-tiers.md, decision 0022), stored by
-- an explicit `gaoxin tiers --save` per snapshot, rule-file hash, year and zone ('' = all zones), so the web and
-- the reports show them without recomputing. `payload` is gaoxin.services.tiers.TiersResult.to_dict as JSON.
CREATE TABLE IF NOT EXISTS tier_result (
    snapshot_id     INTEGER NOT NULL,
    rules_sha256    VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    zone_key        VARCHAR NOT NULL,
    rules_id        VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    gaoxin_version  VARCHAR NOT NULL,
    payload         VARCHAR NOT NULL,
    PRIMARY KEY (snapshot_id, rules_sha256, year, zone_key)
);
