-- gaoxin store, schema version 13: publications (issue #10 §3, docs/disclosure.md, decision 0031).
-- "Published" means an admin, national or province user has released an evaluation, a points list or an
-- aggregate table to the `viewer` and `bank` roles. One row per act of publishing; revoking fills
-- revoked_at/revoked_by and keeps the row (the history is the audit trail); publishing again after a
-- revocation adds a new row. At most one unrevoked row per (kind, pub_key) is kept by the service.
-- `zones` is the JSON list of zone ids the published thing covers (NULL: every zone / national).
-- Independent of the other migrations of issue #10.
CREATE TABLE IF NOT EXISTS publication (
    id            INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,     -- evaluation | points | aggregate
    pub_key       VARCHAR NOT NULL,     -- canonical key, see gaoxin.services.publishing
    zones         VARCHAR,              -- JSON list of zone ids covered, NULL = all
    published_by  VARCHAR NOT NULL,
    published_at  TIMESTAMP NOT NULL,
    revoked_by    VARCHAR,
    revoked_at    TIMESTAMP
);
