"""COINr ASEM example end to end (shared/reference/README.md §1) and the logged, re-runnable pipeline."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaoxin.evaluation.coin import DEFAULT_STEPS, build_index, read_coin, run_coin
from gaoxin.evaluation.pipeline import PipelineError, config_hash, load_config, rerun, run_pipeline

REF = Path(__file__).parent / "data" / "coinr_asem"  # copy of shared/reference/coinr_asem (MIT, see SOURCE.md)
IDATA, IMETA = REF / "ASEM_iData.csv", REF / "ASEM_iMeta.csv"

COLS = ["Index", "Conn", "Sust", "Physical", "ConEcFin", "Political", "Instit", "P2P", "Environ", "Social",
        "SusEcFin"]
# README §1 table (COINr vignette "results"), scores to 2 dp
EXPECTED = {
    "CHE": (1, [68.38, 62.79, 73.98, 63.41, 32.87, 74.78, 85.94, 56.93, 77.21, 87.85, 56.88]),
    "NLD": (2, [64.82, 61.94, 67.70, 64.87, 46.62, 84.55, 71.74, 41.92, 58.73, 86.58, 57.78]),
    "DNK": (3, [64.80, 57.10, 72.51, 50.52, 30.43, 78.13, 75.35, 51.04, 69.83, 86.40, 61.29]),
    "NOR": (4, [64.47, 57.44, 71.50, 58.18, 25.70, 80.03, 89.46, 33.80, 70.90, 87.00, 56.59]),
    "BEL": (5, [63.54, 63.99, 63.09, 71.97, 48.22, 80.84, 75.60, 43.32, 53.01, 86.17, 50.09]),
    "SWE": (6, [63.00, 53.87, 72.12, 51.51, 23.87, 80.98, 74.51, 38.50, 66.37, 87.74, 62.27]),
}


@pytest.fixture(scope="module")
def result():
    return run_coin(IDATA, IMETA)


@pytest.fixture(scope="module")
def table(result):
    return result.table().set_index("uCode")


@pytest.mark.parametrize("ucode", list(EXPECTED))
def test_asem_top_six(table, ucode):
    rank, values = EXPECTED[ucode]
    row = table.loc[ucode]
    assert int(row["Rank"]) == rank
    got = [round(float(row[c]), 2) for c in COLS]
    assert got == pytest.approx(values, abs=1e-9), dict(zip(COLS, got, strict=True))


def test_asem_india(table):
    row = table.loc["IND"]
    assert int(row["Rank"]) == 45
    assert round(row["Index"], 2) == 39.79
    assert round(row["Conn"], 2) == 28.60
    assert round(row["Sust"], 2) == 50.99


def test_build_index_table_layout(tmp_path):
    out = tmp_path / "asem.csv"
    t = build_index(IDATA, IMETA, out=out)
    assert list(t.columns) == ["uCode", "Rank", *COLS]
    assert len(t) == 51 and t["Rank"].tolist() == sorted(t["Rank"].tolist())
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert back["uCode"].tolist() == t["uCode"].tolist()
    log = json.loads(out.with_suffix(".log.json").read_text(encoding="utf-8"))
    assert [e["step"] for e in log] == ["denominate", "impute", "screen", "treat", "normalise", "aggregate"]


def test_pipeline_log_contents(result):
    steps = {e["step"]: e for e in result.log}
    assert steps["impute"]["details"]["missing_after"] == 0
    assert steps["screen"]["details"]["dropped"] == []  # all 51 units survive (README §1 step 3)
    assert len(steps["denominate"]["details"]["denominated"]) == 17
    treatment = steps["treat"]["details"]["treatment"]
    assert len(treatment) == 49 and {t["status"] for t in treatment} <= {"ok", "winsorised", "log"}
    assert all(e["config_hash"] == result.config_hash == config_hash(DEFAULT_STEPS) for e in result.log)
    json.dumps(result.log, allow_nan=False)  # the log is plain JSON


def test_rerun_from_log_is_identical(result, tmp_path):
    data, meta = read_coin(IDATA, IMETA)
    again = rerun(data, meta, result.log)
    pd.testing.assert_frame_equal(again.scores, result.scores, check_exact=True)
    pd.testing.assert_frame_equal(again.ranks, result.ranks, check_exact=True)
    path = tmp_path / "log.json"
    path.write_text(result.log_json(), encoding="utf-8")
    pd.testing.assert_frame_equal(rerun(data, meta, path).scores, result.scores, check_exact=True)


def test_rerun_detects_tampering(result):
    data, meta = read_coin(IDATA, IMETA)
    log = json.loads(result.log_json())
    log[3]["params"]["winmax"] = 4
    with pytest.raises(PipelineError, match="config_hash"):
        rerun(data, meta, log)
    changed = data.copy()
    changed.loc["IND", "LPI"] = 1.0
    with pytest.raises(PipelineError, match="data_hash"):
        rerun(changed, meta, result.log)


def test_toml_config_matches_default(tmp_path, table):
    cfg = tmp_path / "pipeline.toml"
    cfg.write_text(
        """
[[step]]
name = "denominate"

[[step]]
name = "impute"
method = "group_mean"
group = "EurAsia_group"

[[step]]
name = "screen"
min_share = 0.9

[[step]]
name = "treat"
skew_thresh = 2.0
kurt_thresh = 3.5
winmax = 5

[[step]]
name = "normalise"
method = "minmax"
lo = 0.0
hi = 100.0

[[step]]
name = "aggregate"
method = "arithmetic"
""",
        encoding="utf-8",
    )
    steps = load_config(cfg)
    assert config_hash(steps) == config_hash(DEFAULT_STEPS)
    t = build_index(IDATA, IMETA, config=cfg).set_index("uCode")
    pd.testing.assert_frame_equal(t, table)


def test_alternative_configs_run(tmp_path):
    data, meta = read_coin(IDATA, IMETA)
    steps = [
        {"name": "denominate"},
        {"name": "impute", "method": "none"},
        {"name": "screen", "min_share": 0.95},
        {"name": "treat", "skew_thresh": 2.25, "kurt_thresh": 3.5},
        {"name": "normalise", "method": "minmax", "lo": 1.0, "hi": 100.0},
        {"name": "weight", "method": "entropy"},
        {"name": "aggregate", "method": "geometric"},
    ]
    res = run_pipeline(data, meta, steps)
    dropped = res.log[2]["details"]["dropped"]
    assert len(res.scores) == 51 - len(dropped)
    assert res.scores["Index"].between(1, 100).all()
    for parent in ["Physical", "Social"]:
        kids = meta.loc[meta["Parent"] == parent, "iCode"]
        assert res.weights[kids].sum() == pytest.approx(1.0)
    assert np.isfinite(rerun(data, meta, res.log).scores["Index"]).all()
    with pytest.raises(PipelineError, match=r"step\[0\]\.name: .*unknown value 'shuffle'.*allowed.*denominate"):
        run_pipeline(data, meta, [{"name": "shuffle"}])
    with pytest.raises(PipelineError, match="did you mean `treat`"):
        run_pipeline(data, meta, [{"name": "treet"}])


def test_log_written_before_strict_steps_still_reruns():
    """A stored log from before strict steps: params as given, their hash, resolved without some defaults."""
    data, meta = read_coin(IDATA, IMETA)
    given = [{"name": "impute", "method": "group_mean", "group": "EurAsia_group"}, {"name": "treat"},
             {"name": "normalise"}, {"name": "aggregate"}]
    res = run_pipeline(data, meta, given)
    old_hash = hashlib.sha256(json.dumps(
        [{"name": g["name"], "params": {k: v for k, v in g.items() if k != "name"}} for g in given],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    old = copy.deepcopy(res.log)
    for entry, g in zip(old, given, strict=True):
        entry["params"] = {k: v for k, v in g.items() if k != "name"}
        entry["config_hash"] = old_hash
    old[3]["resolved"] = {"method": "arithmetic"}  # the old aggregate step did not record offset
    again = rerun(data, meta, old)
    pd.testing.assert_frame_equal(again.scores, res.scores)
    assert again.config_hash == res.config_hash != old_hash
    bad = copy.deepcopy(old)
    bad[1]["params"] = {"win_max": 3}  # accepted and ignored before; now named
    with pytest.raises(PipelineError, match=r"win_max.*did you mean `winmax`"):
        rerun(data, meta, bad)
