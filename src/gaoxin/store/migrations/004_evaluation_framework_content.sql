-- gaoxin store, schema version 4: an evaluation keeps its framework by content, not by path.
-- A re-run parses `framework_toml` (checked against framework_hash = sha256 of its UTF-8 bytes),
-- so it works on another install or after the file moved.  Rows written before this version keep
-- these columns NULL and are re-run from `framework` (the id or path they were loaded from).
-- Independent of migration 003 (it touches only the evaluation table).
ALTER TABLE evaluation ADD COLUMN framework_id VARCHAR;
ALTER TABLE evaluation ADD COLUMN framework_version VARCHAR;
ALTER TABLE evaluation ADD COLUMN framework_toml VARCHAR;
