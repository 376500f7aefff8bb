-- gaoxin store, schema version 9: innovation points (创新积分制, docs/innovation-points.md, decision 0023),
-- stored by an explicit `gaoxin points --save` per snapshot, year and rule-file SHA-256, so the web (bank role)
-- and the reports read the published list without recomputing. One row per enterprise; `payload` is the
-- row's contributions per indicator as JSON. Independent of the other migrations of issue #9.
CREATE TABLE IF NOT EXISTS innovation_points (
    snapshot_id     INTEGER NOT NULL,
    year            INTEGER NOT NULL,
    rules_hash      VARCHAR NOT NULL,
    rule_id         VARCHAR NOT NULL,
    credit_code     VARCHAR NOT NULL,
    zone_id         VARCHAR NOT NULL,
    band            VARCHAR,
    points          DOUBLE,
    peer_rank       INTEGER,
    peer_size       INTEGER,
    top_band        VARCHAR NOT NULL,
    payload         VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    gaoxin_version  VARCHAR NOT NULL,
    PRIMARY KEY (snapshot_id, year, rules_hash, credit_code)
);
