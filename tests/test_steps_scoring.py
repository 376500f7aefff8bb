"""Strict models of the official-style steps, the packaged names and defaults, and the benchmarks file."""

from __future__ import annotations

import pytest

from gaoxin.config import ConfigError, load_toml
from gaoxin.evaluation import pipeline as pl
from gaoxin.evaluation.steps import BenchmarkFile


def test_packaged_names_and_framework_defaults():
    assert set(pl.CONFIG_NAMES) == {"robust", "official-2021"}
    assert pl.default_config_name("national-2021") == "official-2021"
    assert pl.default_config_name("ecosystem-1-2-3") == pl.default_config_name("anything") == "robust"
    assert pl.packaged_config("robust") == pl.load_config(pl.DEFAULT_CONFIG)  # today's default, by name
    with pytest.raises(pl.PipelineError, match="official-2021"):
        pl.packaged_config("official")


def test_defaults_file_rejects_unknown_names(tmp_path):
    f = tmp_path / "d.toml"
    f.write_text('default = "robust"\n[configs]\nrobust = "default.toml"\n[frameworks]\nx = "nope"\n', "utf-8")
    with pytest.raises(ConfigError, match="nope"):
        load_toml(f, pl.ConfigDefaults, pl.PipelineConfigError)


@pytest.mark.parametrize("step, match", [
    ({"name": "normalise", "method": "benchmark", "referense": "best"}, "reference"),  # misspelt key
    ({"name": "normalise", "method": "benchmark", "reference": "values"}, "values"),  # values missing
    ({"name": "normalise", "method": "benchmark", "values": {"a": 1.0}}, "values"),  # values without reference
    ({"name": "normalise", "method": "benchmark", "reference": "file"}, "file"),
    ({"name": "normalise", "method": "benchmark", "percentile": 120}, "percentile"),
    ({"name": "weight", "method": "multiplier", "level": 2}, "level"),
    ({"name": "aggregate", "method": "sum", "offset": 1.0}, "offset"),
])
def test_bad_steps_are_named(step, match):
    with pytest.raises(pl.PipelineError, match=match):
        pl.as_steps([step])


def test_defaults_filled_so_hash_ignores_spelling():
    short = [{"name": "normalise", "method": "benchmark"}]
    full = [{"name": "normalise", "method": "benchmark", "reference": "best", "percentile": 90.0, "clip": True,
             "scale": 100.0, "use_directions": True}]
    assert pl.config_hash(short) == pl.config_hash(full)


BENCH = """
[meta]
source = "示例：某省2022年高新区评价基准值表（测试用）"

[[benchmark]]
indicator = "i1"
year = 2022
value = 15.0

[[benchmark]]
indicator = "i1"
year = 2023
value = 30.0
"""


def test_benchmarks_file_resolved_for_the_year(tmp_path):
    f = tmp_path / "bench.toml"
    f.write_text(BENCH, "utf-8")
    steps = pl.for_year([{"name": "normalise", "method": "benchmark", "reference": "file", "file": str(f)}], 2023)
    p = steps[0].params
    assert p["reference"] == "values" and p["values"] == {"i1": 30.0} and p["file"] is None
    assert "2023" in p["source"] and "bench.toml" in p["source"]
    with pytest.raises(pl.PipelineError, match="2021"):
        pl.for_year([{"name": "normalise", "method": "benchmark", "reference": "file", "file": str(f)}], 2021)
    dup = BENCH + '\n[[benchmark]]\nindicator = "i1"\nyear = 2022\nvalue = 1.0\n'
    f.write_text(dup, "utf-8")
    with pytest.raises(ConfigError, match="twice"):
        load_toml(f, BenchmarkFile, pl.PipelineConfigError)
