-- gaoxin store, schema version 12: web accounts, the audit log's client address, warning notes
-- (issue #10 §2, decision 0029).  Independent of migrations 008–011.
--
-- app_user: one row per account.  `zones` / `provinces` are JSON lists (zone ids; GB/T 2260 two-digit
-- codes).  `epoch` grows with every password, role or scope change and with disabling: a session
-- remembers the epoch it was opened at and ends when the account's epoch has moved on.
-- `password_hash` is an Argon2id PHC string (argon2-cffi); it never leaves the store layer's callers.
CREATE TABLE IF NOT EXISTS app_user (
    name            VARCHAR NOT NULL,
    role            VARCHAR NOT NULL,
    zones           VARCHAR NOT NULL,
    provinces       VARCHAR NOT NULL,
    password_hash   VARCHAR NOT NULL,
    disabled        BOOLEAN NOT NULL,
    epoch           INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    changed_at      TIMESTAMP NOT NULL
);

-- Who acted from which address (the web client's; NULL for the command line).
ALTER TABLE audit_log ADD COLUMN address VARCHAR;

-- The uploader's explanation of one ingest warning, kept with the snapshot as statistical review expects.
-- `issue` numbers the snapshot's warnings in (file, sheet, row, column, reason) order (store/notes.py).
CREATE TABLE IF NOT EXISTS warning_note (
    snapshot_id     INTEGER NOT NULL,
    issue           INTEGER NOT NULL,
    text            VARCHAR NOT NULL,
    user_name       VARCHAR,
    "at"            TIMESTAMP NOT NULL
);
