"""Check any gaoxin configuration file without running anything (``gaoxin config check FILE``).

The kind of a TOML file is told by its top-level keys (or given); the file is then validated by the same
model and loader the stage itself uses, so a file that passes here loads there. Each kind's model is
listed by :func:`config_models` (the docs test checks every field is documented in docs/).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gaoxin.config import ConfigError, StrictModel, did_you_mean, read_toml, validate

__all__ = ["KINDS", "ConfigCheck", "ConfigKind", "check_config", "config_models", "detect_kind"]


@dataclass(frozen=True)
class ConfigCheck:
    """Outcome of :func:`check_config`: ``ok`` with no ``problems``, or the problems one per line."""

    path: str
    kind: str | None
    ok: bool
    problems: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # e.g. {"steps": 4} or {"indicators": 23}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConfigKind:
    """One kind of configuration file: how to recognise it, its model, and what to summarise."""

    name: str
    label: str  # Chinese / English, for messages
    model: str  # "module:Class", imported only when used (the ingest model may not exist yet)
    keys: frozenset[str]  # top-level keys that mark the kind
    summary: Callable[[Any], dict[str, Any]]
    example: str  # a shipped file of the kind, inside the gaoxin package

    def model_class(self) -> type[BaseModel]:
        module, name = self.model.split(":")
        return getattr(importlib.import_module(module), name)


@cache
def _framework_file() -> type[BaseModel]:
    """A framework file's layout over the framework loader's own entry models (no field is redefined here):
    unknown keys get their line and closest match before ``read_framework`` checks tree, weights and formulas.
    Built on first use: the framework module imports the formula compiler (Ibis)."""
    from gaoxin.indicators.framework import Indicator, Meta, Pillar

    class FrameworkFile(StrictModel):
        """A framework file: ``[framework]``, ``[[pillar]]``, ``[[indicator]]`` (docs/indicators.md)."""

        framework: Meta
        pillar: list[Pillar] = Field(default_factory=list)
        indicator: list[Indicator] = Field(min_length=1)

    return FrameworkFile


def __getattr__(name: str) -> Any:  # PEP 562: ``FrameworkFile`` is built lazily
    if name == "FrameworkFile":
        return _framework_file()
    raise AttributeError(name)


def _n(attr: str) -> Callable[[Any], dict[str, Any]]:
    return lambda m: {attr: len(getattr(m, attr))}


KINDS: dict[str, ConfigKind] = {k.name: k for k in [
    ConfigKind("pipeline", "评价流程 / pipeline", "gaoxin.evaluation.steps:PipelineConfig", frozenset({"step"}),
               lambda m: {"steps": len(m.step), "names": [s.name for s in m.step]},
               "evaluation/configs/default.toml"),
    ConfigKind("pipeline-defaults", "评价流程名称与默认 / pipeline names and defaults",
               "gaoxin.evaluation.pipeline:ConfigDefaults", frozenset({"configs", "frameworks", "default"}),
               lambda m: {"configs": sorted(m.configs), "frameworks": dict(m.frameworks)},
               "evaluation/configs/defaults.toml"),
    ConfigKind("framework", "指标体系 / framework", "gaoxin.services.configs:FrameworkFile",
               frozenset({"framework", "pillar", "indicator"}),
               lambda m: {"id": m.id, "pillars": len(m.pillars), "indicators": len(m.indicators)},
               "indicators/frameworks/national-2021.toml"),
    ConfigKind("grades", "等级 / grades", "gaoxin.evaluation.classify:GradeRules", frozenset({"grades"}),
               _n("grades"), "evaluation/rules/grades.toml"),
    ConfigKind("zone-types", "园区分类 / zone types", "gaoxin.evaluation.classify:ZoneTypeRules",
               frozenset({"types"}), _n("types"), "evaluation/rules/zone-types.toml"),
    ConfigKind("dynamic-management", "动态管理 / dynamic management", "gaoxin.evaluation.manage:ManageRules",
               frozenset({"ranking", "praise", "warning", "exit"}),
               lambda m: {"top_k": m.top_k, "bottom_pct": m.bottom_pct}, "evaluation/rules/dynamic-management.toml"),
    ConfigKind("targets", "规划目标 / plan targets", "gaoxin.evaluation.monitor:TargetsFile",
               frozenset({"targets", "monitor"}), _n("targets"), "evaluation/targets/fyp14-national.toml"),
    ConfigKind("ingest-rules", "导入规则 / ingest rules", "gaoxin.ingest.contract:IngestRules",
               frozenset({"year", "founded_year", "warnings", "missing", "totals", "bool"}),
               lambda m: {"tables": len(type(m).model_fields)}, "ingest/data/rules.toml"),
    ConfigKind("demo-calibration", "合成数据校准 / demo calibration", "gaoxin.demo.calibration:CalibrationConfig",
               frozenset({"target", "criteria"}), _n("target"), "demo/data/calibration.toml"),
    ConfigKind("gazelle", "瞪羚企业规则 / gazelle rule", "gaoxin.indicators.criteria:GazelleFile", frozenset({"rule"}),
               lambda m: {"id": m.rule.id, "window_years": m.rule.window_years}, "indicators/criteria/gazelle.toml"),
    ConfigKind("mujun", "亩均效益规则 / mu-average rule", "gaoxin.analysis.mujun:MujunRules",
               frozenset({"mujun", "populations", "formulas", "assign", "grading"}),
               lambda m: {"id": m.mujun.id, "formulas": sorted(m.formulas)}, "analysis/rules/mujun/huangyan-2022.toml"),
    ConfigKind("price-schedule", "差别化价格表 / price schedule", "gaoxin.analysis.mujun:ScheduleFile",
               frozenset({"schedule"}), lambda m: {"id": m.schedule.id},
               "analysis/rules/mujun/electricity-surcharge.toml"),
    ConfigKind("carbon-factor", "碳排放系数 / carbon factor", "gaoxin.analysis.mujun:CarbonFile",
               frozenset({"carbon"}), lambda m: {"tco2_per_tce": m.carbon.tco2_per_tce},
               "analysis/rules/mujun/carbon-factors.toml"),
    ConfigKind("tiers", "企业梯度规则 / enterprise tier rules", "gaoxin.analysis.tiers:TierRules",
               frozenset({"rules", "tier", "score"}), _n("tier"), "analysis/rules/tiers/national.toml"),
    ConfigKind("points", "创新积分规则 / innovation points rule", "gaoxin.analysis.points:PointsRules",
               frozenset({"band", "group", "bonus", "negative", "cutoffs"}),
               lambda m: {"id": m.rule.id, "indicators": len(m.indicator)},
               "analysis/rules/points/guideline-2024.toml"),
    ConfigKind("featured-industry", "主导产业规则 / featured-industry rule", "gaoxin.analysis.industry:FeaturedFile",
               frozenset({"featured"}), lambda m: {"id": m.featured.id, "min_lq": m.featured.min_lq},
               "analysis/rules/industry/featured.toml"),
    ConfigKind("industry-map", "行业分类映射 / industry classification map", "gaoxin.analysis.industry:IndustryMap",
               frozenset({"section", "category"}),
               lambda m: {"sections": len(m.section), "categories": len(m.category)},
               "analysis/rules/industry/gbt4754-2017.toml"),
    ConfigKind("chain", "产业链 / industrial chain", "gaoxin.analysis.chains:Chain", frozenset({"chain", "node"}),
               lambda m: {"id": m.chain.id, "nodes": len(m.node)}, "analysis/rules/chains/biomedicine.toml"),
    ConfigKind("chain-gaps", "补链强链规则 / chain gap rule", "gaoxin.analysis.chains:GapFile", frozenset({"gaps"}),
               lambda m: {"id": m.gaps.id, "weak_below": m.gaps.weak_below}, "analysis/rules/chains/gaps.toml"),
    ConfigKind("zone-facts", "园区指标目录 / zone-fact catalogue", "gaoxin.ingest.contract:FactCatalogue",
               frozenset({"fact"}), _n("fact"), "ingest/data/zone_facts.toml"),
    ConfigKind("disclosure", "统计数据保密规则 / disclosure control rule", "gaoxin.analysis.disclosure:DisclosureRules",
               frozenset({"threshold", "dominance", "footnote"}),
               lambda m: {"id": m.rule.id, "n": m.threshold.min_contributors, "k": m.dominance.k,
                          "p": m.dominance.p}, "analysis/rules/disclosure/default.toml"),
]}


def config_models() -> dict[str, type[BaseModel]]:
    """Every configuration kind's model class (kinds whose model cannot be imported are left out)."""
    out = {}
    for name, k in KINDS.items():
        try:
            out[name] = k.model_class()
        except (ImportError, AttributeError):
            continue
    return out


def detect_kind(data: dict[str, Any]) -> str | None:
    """The kind whose marking keys the file's top-level keys share most (None if none or a tie)."""
    scores = {n: len(k.keys & set(data)) for n, k in KINDS.items()}
    best = max(scores.values(), default=0)
    winners = [n for n, s in scores.items() if s == best]
    return winners[0] if best and len(winners) == 1 else None


def _validate(kind: ConfigKind, path: Path, data: dict, text: str) -> Any:
    model = validate(kind.model_class(), data, str(path), text)
    if kind.name == "framework":
        from gaoxin.indicators.framework import read_framework

        return read_framework(path)  # the framework loader's own checks (tree, weights, formulas)
    return model


def check_config(path: str | os.PathLike, kind: str | None = None) -> ConfigCheck:
    """Validate the TOML file at ``path`` as ``kind`` (detected from its top-level keys when None).

    Never raises for a bad file: the problems (file, key path, line, allowed keys, closest match) are in the
    result. An unknown ``kind`` is a :class:`ValueError` naming the kinds.
    """
    p = Path(path)
    if kind is not None and kind not in KINDS:
        hint = did_you_mean(kind, list(KINDS))
        raise ValueError(f"未知配置类型 / unknown kind {kind!r}{hint}; kinds: {', '.join(KINDS)}")
    try:
        data, text = read_toml(p)
    except ConfigError as e:
        return ConfigCheck(str(p), kind, False, e.problems)
    name = kind or detect_kind(data)
    if name is None:
        return ConfigCheck(str(p), None, False, [
            f"无法判断配置类型 / cannot tell the kind from the top-level keys {sorted(data)}; "
            f"pass one of {', '.join(KINDS)} (--kind)"])
    k = KINDS[name]
    try:
        model = _validate(k, p, data, text)
    except ConfigError as e:
        return ConfigCheck(str(p), name, False, e.problems)
    except (ImportError, AttributeError) as e:
        return ConfigCheck(str(p), name, False, [f"{k.label}: model {k.model} not available: {e}"])
    except ValueError as e:  # FrameworkError and the stages' other checks
        return ConfigCheck(str(p), name, False, [str(e)])
    return ConfigCheck(str(p), name, True, [], k.summary(model))
