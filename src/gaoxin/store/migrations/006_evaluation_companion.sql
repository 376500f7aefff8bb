-- gaoxin store, schema version 6: two scorings side by side (issue #8 §2, decision 0017).
-- An evaluation may carry a companion: the same data (framework, year, snapshot) scored with the other
-- pipeline, stored as an evaluation row of its own (companion_of = the evaluation it accompanies, so it
-- re-runs like any other) in the same transaction, with a per-zone comparison and Spearman's rho.
-- config_name: the packaged configuration's name (robust, official-2021) or NULL for a user file.
-- Independent of migration 005 (it touches only evaluation tables).
ALTER TABLE evaluation ADD COLUMN config_name VARCHAR;
ALTER TABLE evaluation ADD COLUMN companion_of INTEGER;

CREATE TABLE evaluation_companion (
    evaluation_id   INTEGER PRIMARY KEY,       -- the evaluation
    companion_id    INTEGER NOT NULL,          -- its companion (an evaluation row)
    spearman        DOUBLE,                    -- Spearman's rho of the two index scores
    mean_abs_shift  DOUBLE                     -- mean |companion rank - rank|
);

CREATE TABLE evaluation_comparison (
    evaluation_id   INTEGER NOT NULL,
    zone_id         VARCHAR NOT NULL,
    rank            INTEGER,                   -- rank under the evaluation's scoring (1 = best)
    companion_rank  INTEGER,                   -- rank under the companion's scoring
    shift           INTEGER,                   -- companion_rank - rank (positive: worse under the companion)
    score           DOUBLE,
    companion_score DOUBLE,
    PRIMARY KEY (evaluation_id, zone_id)
);
