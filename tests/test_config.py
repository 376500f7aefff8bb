"""Strict configuration: every kind of TOML file rejects a misspelt key with file, key path, line and the
closest allowed key; every shipped file validates; the pipeline hash ignores spelling; every field of every
configuration model is documented in docs/."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from pydantic import BaseModel

from gaoxin.config import ConfigError, StrictModel, find_line, resolve_loc
from gaoxin.demo.calibration import load_calibration
from gaoxin.evaluation.classify import RuleError, load_grades, load_zone_types
from gaoxin.evaluation.manage import load_rules
from gaoxin.evaluation.monitor import load_targets
from gaoxin.evaluation.pipeline import PipelineError, as_steps, config_hash, load_config
from gaoxin.evaluation.steps import PipelineConfig
from gaoxin.indicators.framework import read_framework
from gaoxin.services.configs import KINDS, check_config, config_models, detect_kind

PKG = Path(str(resources.files("gaoxin")))
DOCS = Path(__file__).resolve().parents[1] / "docs"


def _ingest_rules_available() -> bool:
    return "ingest-rules" in config_models()


NO_INGEST = pytest.mark.skipif(not _ingest_rules_available(),
                               reason="gaoxin.ingest.contract.IngestRules not on this branch yet (the ingest "
                                      "engineer's model; the lead integrates it)")

# kind -> (original line, misspelt line, key path, closest key, the stage's own loader or None)
MISSPELT = {
    "pipeline": ('name = "treat"', 'name = "treat"\nwin_max = 3', "step[1].win_max", "winmax", load_config),
    "framework": ("[framework]", '[framework]\nnots = "x"', "framework.nots", "notes", None),
    "grades": ("max_pct = 0.25", "max_pc = 0.25", "grades[0].max_pc", "max_pct", load_grades),
    "zone-types": ('match = "all"', 'macth = "all"', "types[0].macth", "match", load_zone_types),
    "dynamic-management": ("top_k = 10", "topk = 10", "praise.topk", "top_k", load_rules),
    "targets": ('unit = "家"', 'units = "家"', "targets[0].units", "unit", load_targets),
    "ingest-rules": ("[warnings]", "[warnings]\nmax_growth_ration = 10.0", "warnings.max_growth_ration",
                     "max_growth_ratio", None),
    "demo-calibration": ("st_share_min = 0.10", "st_share_mn = 0.10", "criteria.high_tech.st_share_mn",
                         "st_share_min", load_calibration),
}


def _misspell(kind: str, tmp_path: Path) -> tuple[Path, int]:
    """A copy of the kind's shipped example with one key misspelt; returns it and the key's line."""
    old, new, *_ = MISSPELT[kind]
    lines = (PKG / KINDS[kind].example).read_text("utf-8").splitlines()
    at = next((i for i, s in enumerate(lines) if s.startswith(old)), None)
    assert at is not None, f"{kind}: example changed, update the test"
    bad = [*lines[:at], new + lines[at][len(old):], *lines[at + 1:]]
    line = at + 1 + new.count("\n")
    path = tmp_path / f"bad-{kind}.toml"
    path.write_text("\n".join(bad) + "\n", "utf-8")
    return path, line


@pytest.mark.parametrize("kind", [pytest.param(k, marks=NO_INGEST) if k == "ingest-rules" else k
                                  for k in MISSPELT])
def test_misspelt_key_names_file_path_line_and_closest(kind: str, tmp_path: Path) -> None:
    path, line = _misspell(kind, tmp_path)
    _, _, key, closest, loader = MISSPELT[kind]
    res = check_config(path)
    assert (res.kind, res.ok, res.path) == (kind, False, str(path))
    hit = [p for p in res.problems if p.startswith((f"{key} ", f"{key}:"))]
    assert hit, res.problems
    assert f"line {line} " in hit[0] and f"did you mean `{closest}`" in hit[0] and "allowed" in hit[0]
    if loader is not None:  # the stage's loader raises the same message, naming the file
        with pytest.raises(ConfigError) as e:
            loader(path)
        assert str(path) in str(e.value) and key in str(e.value) and f"`{closest}`" in str(e.value)


def test_framework_loader_still_rejects_the_misspelt_key(tmp_path: Path) -> None:
    path, _ = _misspell("framework", tmp_path)
    with pytest.raises(ValueError, match="nots"):
        read_framework(path)


def _shipped() -> list[Path]:
    dirs = ["evaluation/configs", "evaluation/rules", "evaluation/targets", "indicators/frameworks", "demo/data",
            "indicators/criteria"]
    files = [f for d in dirs for f in sorted((PKG / d).glob("*.toml"))]
    if _ingest_rules_available():
        files.append(PKG / "ingest/data/rules.toml")
    return files


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.name)
def test_every_shipped_file_checks_ok(path: Path) -> None:
    res = check_config(path)
    assert res.ok and not res.problems, res.problems
    assert res.kind is not None and res.summary


def test_stage_loaders_accept_the_shipped_files() -> None:
    assert [s.name for s in load_config(PKG / "evaluation/configs/default.toml")] == [
        "impute", "treat", "normalise", "aggregate"]
    assert load_grades().grades[-1].max_pct == 1.0 and load_zone_types().types[-1].conditions == ()
    assert load_rules().top_k == 10 and len(load_targets().targets) == 1
    assert len(load_calibration().target) == 5


def test_kind_detection_explicit_kind_and_unreadable_files(tmp_path: Path) -> None:
    assert detect_kind({"step": []}) == "pipeline" and detect_kind({"grades": [], "meta": {}}) == "grades"
    assert detect_kind({"nothing": 1}) is None
    odd = tmp_path / "odd.toml"
    odd.write_text("nothing = 1\n", "utf-8")
    res = check_config(odd)
    assert not res.ok and res.kind is None and "--kind" in res.problems[0]
    as_grades = check_config(odd, kind="grades")
    assert as_grades.kind == "grades" and not as_grades.ok
    assert any(p.startswith("nothing") and "unknown key" in p for p in as_grades.problems)
    assert any(p.startswith("grades") and "missing" in p for p in as_grades.problems)
    with pytest.raises(ValueError, match="did you mean `grades`"):
        check_config(odd, kind="grade")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[step]\nname = 1\n", "utf-8")
    assert "TOML" in check_config(broken).problems[0]
    assert "not found" in check_config(tmp_path / "absent.toml").problems[0]


# ---------------------------------------------------------------- pipeline: canonical hash, strict steps

SPELLING_A = """
[[step]]
name = "treat"

[[step]]
name = "normalise"

[[step]]
name = "aggregate"
"""
SPELLING_B = """
[[step]]
winmax = 5
kurt_thresh = 3.5
name = "treat"
skew_thresh = 2

[[step]]
hi = 100
method = "minmax"
name = "normalise"
lo = 0
use_directions = true

[[step]]
name = "aggregate"
method = "arithmetic"
"""


def test_key_order_and_explicit_defaults_hash_equally(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(SPELLING_A, "utf-8")
    b.write_text(SPELLING_B, "utf-8")
    assert config_hash(load_config(a)) == config_hash(load_config(b))
    assert load_config(a) == load_config(b)  # the same canonical steps, defaults filled in
    changed = SPELLING_B.replace("winmax = 5", "winmax = 4")
    assert config_hash(as_steps(PipelineConfig.model_validate(_toml(changed)).model_dump()["step"])) \
        != config_hash(load_config(a))


def _toml(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


@pytest.mark.parametrize(("step", "key", "closest"), [
    ({"name": "treat", "win_max": 3}, "step[0].win_max", "winmax"),
    ({"name": "screen", "minshare": 0.8}, "step[0].minshare", "min_share"),
    ({"name": "impute", "methd": "mean"}, "step[0].methd", "method"),
    ({"name": "normalise", "method": "zscore", "lo": 0}, "step[0].lo", None),  # lo is minmax's, not zscore's
])
def test_misspelt_step_key_fails_before_anything_runs(step: dict, key: str, closest: str | None) -> None:
    with pytest.raises(PipelineError) as e:
        config_hash([step])
    msg = str(e.value)
    assert f"{key}: 未知配置项 / unknown key" in msg
    if closest:
        assert f"did you mean `{closest}`" in msg
    else:
        assert "allowed 允许: name, use_directions, method, mean, sd" in msg


def test_unknown_method_and_step_name_name_the_allowed_values() -> None:
    with pytest.raises(PipelineError, match=r"step\[0\]\.method: .*'zscor'; did you mean `zscore`"):
        as_steps([{"name": "normalise", "method": "zscor"}])
    with pytest.raises(PipelineError, match=r"step\[0\]\.method: .*'entropi'.*did you mean `entropy`"):
        as_steps([{"name": "weight", "method": "entropi"}])
    with pytest.raises(PipelineError, match=r"step\[1\]\.name: .*'agregate'.*did you mean `aggregate`"):
        as_steps([{"name": "treat"}, {"name": "agregate"}])
    with pytest.raises(PipelineError, match=r"step\[0\]\.name: .*required key missing"):
        as_steps([{"method": "minmax"}])


def test_step_rules_beyond_keys() -> None:
    with pytest.raises(PipelineError, match="needs `group`"):
        as_steps([{"name": "impute", "method": "group_mean"}])
    with pytest.raises(PipelineError, match="greater than lo"):
        as_steps([{"name": "normalise", "lo": 100, "hi": 0}])
    with pytest.raises(PipelineError, match="level = 1"):
        as_steps([{"name": "weight", "method": "entropy", "level": 2}])
    with pytest.raises(PipelineError, match="offset"):
        as_steps([{"name": "aggregate", "offset": 1}])
    with pytest.raises(PipelineError, match="min_share"):
        as_steps([{"name": "screen", "min_share": 1.5}])
    with pytest.raises(PipelineError, match="'normalise' after aggregate"):
        as_steps([{"name": "aggregate"}, {"name": "normalise"}])
    assert [s.name for s in as_steps([{"name": "aggregate"}, {"name": "aggregate", "method": "geometric"}])] == [
        "aggregate", "aggregate"]


def test_default_config_is_the_packaged_file() -> None:
    from gaoxin.evaluation.pipeline import DEFAULT_CONFIG

    steps = load_config(DEFAULT_CONFIG)
    assert steps[0].params == {"method": "group_median", "group": "region"}
    assert steps[1].params == {"skew_thresh": 2.0, "kurt_thresh": 3.5, "winmax": 5, "exclude": []}
    assert steps[2].params == {"method": "minmax", "use_directions": True, "lo": 0.0, "hi": 100.0}


def test_line_of_a_nested_tagged_union_key(tmp_path: Path) -> None:
    cfg = tmp_path / "p.toml"
    cfg.write_text('[[step]]\nname = "treat"\n\n[[step]]\nname = "normalise"\nmethod = "rank"\ntie = "min"\n',
                   "utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(cfg)
    assert e.value.problems == [
        "step[1].tie (line 7 行): 未知配置项 / unknown key; did you mean `ties`? / 是否应为 `ties`？ "
        "(allowed 允许: name, use_directions, method, ties)"]


def test_resolve_loc_and_find_line_helpers() -> None:
    loc, owner = resolve_loc(PipelineConfig, ("step", 0, "normalise", "zscore", "lo"))
    assert loc == ("step", 0, "lo") and owner.__name__ == "NormaliseZscore"
    text = '[meta]\nversion = "1"\n\n[[types]]\nid = "a"\nconditions = [{ column = "rank", op = "<=" }]\n'
    assert find_line(text, ("types", 0, "conditions", 0, "value")) == 6  # inline: the enclosing key's line
    assert find_line(text, ("meta", "version")) == 2 and find_line(text, ("types", 0)) == 4
    assert find_line(text, ("nowhere",)) is None


def test_models_built_in_code_fail_like_files() -> None:
    from gaoxin.demo.params import Params
    from gaoxin.evaluation.manage import ManageRules

    with pytest.raises(RuleError, match=r"praise\.top_kk: .*did you mean `top_k`"):
        ManageRules(praise={"top_kk": 3})
    with pytest.raises(ConfigError, match="did you mean `size_sigma`"):
        Params(size_sigm=1.0)
    assert ManageRules(top_k=3).praise.top_k == 3  # the flat keyword still builds the table


def test_targets_reject_ids_that_are_not_ids() -> None:
    from gaoxin.evaluation.monitor import parse_targets

    row = {"indicator": "rd_intensity", "scope": "zone", "scope_id": "GX001", "baseline_year": 2020,
           "baseline_value": 1.0, "target_year": 2025, "target_value": 2.0, "direction": "increase",
           "label_zh": "x", "label_en": "x", "source": "test"}
    assert parse_targets({"targets": [row]}).targets.loc[0, "scope_id"] == "GX001"
    for bad in ({"scope_id": "GX001'; DROP TABLE audit_log; --"}, {"scope": "province", "scope_id": "44 OR 1=1"},
                {"scope": "nation", "scope_id": "XX"}, {"indicator": "x; DELETE"}):
        with pytest.raises(RuleError):
            parse_targets({"targets": [row | bad]})


# ---------------------------------------------------------------- every field documented


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    """``model`` and every model reachable from its fields (tagged unions, lists, optionals included)."""
    from gaoxin.config import _tags, _unwrap

    if model in seen:
        return
    seen.add(model)

    def walk(ann: object) -> None:
        for member in _tags(ann).values():
            walk(member)
        base = _unwrap(ann)
        if isinstance(base, type) and issubclass(base, BaseModel):
            _models(base, seen)
        for arg in getattr(base, "__args__", ()) or ():
            walk(arg)

    for f in model.model_fields.values():
        walk(f.annotation)


def test_every_config_field_is_documented() -> None:
    docs = "\n".join(p.read_text("utf-8") for p in sorted(DOCS.glob("*.md")))
    # a key is documented when it appears in code formatting (`top_k`, `[criteria.high_tech]`, `types[].match`)
    documented = {w for span in re.findall(r"`([^`\n]+)`", docs) for w in re.findall(r"[A-Za-z_]\w*", span)}
    seen: set[type[BaseModel]] = set()
    for model in config_models().values():
        _models(model, seen)
    assert len(seen) > 20  # steps, normalise methods, rules, targets, calibration, framework entries
    missing = sorted({f"{m.__name__}.{f.alias or n}" for m in seen for n, f in m.model_fields.items()
                      if (f.alias or n) not in documented})
    assert not missing, f"undocumented configuration keys (add them to docs/configuration.md): {missing}"


def test_config_models_cover_every_kind_and_are_strict() -> None:
    models = config_models()
    expected = set(KINDS) - (set() if _ingest_rules_available() else {"ingest-rules"})
    assert set(models) == expected
    for name, m in models.items():
        assert issubclass(m, StrictModel), name
        assert m.model_config.get("extra") == "forbid", name


def test_packaged_rule_numbers_equal_the_model_defaults() -> None:
    from gaoxin.evaluation.manage import ManageRules
    from gaoxin.evaluation.monitor import MonitorRules

    rules = load_rules()
    assert rules == ManageRules(meta=rules.meta)
    for packaged in ("fyp14-national", "example-zone"):
        assert load_targets(packaged=packaged).rules == MonitorRules()
