-- gaoxin store, schema version 7: explanations of score and rank changes, stored with the evaluation they
-- explain (docs/explain.md, decision 0021), so the web and the report show them without recomputing.
-- One row per (evaluation, baseline, zone); `base_key` names the baseline: "evaluation:<id>" for a stored
-- evaluation, or "year:<y>:snapshot:<s>:config:<hash>" for one computed on the fly. `payload` is the
-- explanation as JSON (gaoxin.services.explain.Explanation.to_dict). Independent of migrations 005 and 006.
CREATE TABLE IF NOT EXISTS evaluation_explanation (
    evaluation_id       INTEGER NOT NULL,
    base_key            VARCHAR NOT NULL,
    zone_id             VARCHAR NOT NULL,
    base_evaluation_id  INTEGER,
    base_year           INTEGER NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    gaoxin_version      VARCHAR NOT NULL,
    payload             VARCHAR NOT NULL,
    PRIMARY KEY (evaluation_id, base_key, zone_id)
);
