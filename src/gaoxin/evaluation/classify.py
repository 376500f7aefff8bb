"""Zone types (园区分类) and A/B/C/D grades from evaluation results.

The criteria are data (``rules/zone-types.toml``, ``rules/grades.toml``; strict models, every key in
docs/configuration.md) because the seeds name the types
(plan 001 §四(二)) but publish no numbers, and grade cut-offs are local practice: a new evaluation round
changes a file, not the code. Conditions are parsed into plain comparisons (never ``eval``) so a rules
file cannot run code.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gaoxin.config import ConfigError, StrictModel, load_toml, validate
from gaoxin.evaluation.methods.results import rank_scores

M = TypeVar("M", bound=BaseModel)

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_EPS = 1e-9  # rank_pct is a ratio of integers; keeps 14/20 <= 0.70 true whatever the float rounding
Int = Annotated[int, Field(strict=True)]  # TOML integers only: 2.0 or true is an error, not a silent cast
Num = Annotated[float, Field(strict=True)]  # a number (int or float), never a boolean


class RuleError(ValueError):
    """A rules or targets file is malformed, or results lack what a rule needs."""


class RuleConfigError(ConfigError, RuleError):
    """A rules or targets file that does not validate (caught as either kind of error)."""


class RuleModel(StrictModel):
    """Base of the rules and targets models: frozen, and errors are :class:`RuleConfigError`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    config_error = RuleConfigError


class RulesMeta(RuleModel):
    """The ``[meta]`` table every rules and targets file may carry: where its numbers come from."""

    version: str = ""
    source: str = ""
    assumption: bool = False  # true: the numbers are gaoxin defaults, not published criteria
    note: str = ""
    plan: str = ""  # targets files: the plan the targets come from
    plan_en: str = ""
    example: bool = False  # targets files: invented for illustration


class Condition(RuleModel):
    """``{column, op, value}``: a plain comparison on a results column (never ``eval``)."""

    column: str = Field(min_length=1)
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: bool | int | float | str

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if isinstance(self.value, float) and math.isnan(self.value):
            raise ValueError("value must not be NaN")
        if isinstance(self.value, str | bool) and self.op not in ("==", "!="):
            raise ValueError(f"op {self.op!r} needs a number, got {self.value!r} / 比较运算需要数值")
        return self

    def mask(self, df: pd.DataFrame) -> pd.Series:
        """Rows meeting the condition; a missing value never meets it."""
        if self.column not in df.columns:
            have = ", ".join(map(str, df.columns))
            raise RuleError(f"condition column {self.column!r} not in results (have: {have}) / 结果中没有该列")
        col = df[self.column]
        ok = col.notna()
        if isinstance(self.value, int | float) and not isinstance(self.value, bool):
            col = pd.to_numeric(col, errors="coerce")
            ok &= col.notna()
            if self.op in ("<=", ">="):  # tolerate float rounding at an inclusive boundary
                bound = self.value + _EPS if self.op == "<=" else self.value - _EPS
                return ok & OPS[self.op](col, bound).fillna(False).astype(bool)
        return ok & OPS[self.op](col, self.value).fillna(False).astype(bool)

    def text(self) -> str:
        return f"{self.column} {self.op} {self.value}"


def parse_condition(raw: Any, where: str = "condition") -> Condition:
    """``{column, op, value}`` → Condition; rejects unknown keys and operators instead of guessing."""
    return validate(Condition, raw, where, error=RuleConfigError)


class ZoneType(RuleModel):
    """One ``[[types]]`` entry; types are tried top-down and the first match wins."""

    id: str = Field(min_length=1)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    conditions: tuple[Condition, ...] = ()
    match: Literal["all", "any"] = "all"
    assumption: bool = True  # the criteria are a gaoxin default, not published

    def mask(self, df: pd.DataFrame) -> pd.Series:
        if not self.conditions:
            return pd.Series(True, index=df.index)
        masks = [c.mask(df) for c in self.conditions]
        out = masks[0]
        for m in masks[1:]:
            out = (out & m) if self.match == "all" else (out | m)
        return out


class ZoneTypeRules(RuleModel):
    """``rules/zone-types.toml``."""

    meta: RulesMeta = RulesMeta()
    types: tuple[ZoneType, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _order(self) -> ZoneTypeRules:
        if self.types[-1].conditions:
            raise ValueError("the last type must be the fallback (no conditions) / 最后一类须为兜底类")
        if any(not z.conditions for z in self.types[:-1]):
            raise ValueError("only the last type may have no conditions (later types would never match)")
        if len({z.id for z in self.types}) != len(self.types):
            raise ValueError("duplicate id / 类型编号重复")
        return self


class Grade(RuleModel):
    """One ``[[grades]]`` entry: units with rank_pct <= max_pct (and above the previous grade's) get it."""

    grade: str = Field(min_length=1)
    max_pct: Num = Field(gt=0.0, le=1.0)
    label_zh: str = ""
    label_en: str = ""


class GradeRules(RuleModel):
    """``rules/grades.toml``."""

    meta: RulesMeta = RulesMeta()
    grades: tuple[Grade, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _cuts(self) -> GradeRules:
        pcts = [g.max_pct for g in self.grades]
        if any(b <= a for a, b in pairwise(pcts)):
            raise ValueError(f"max_pct must increase strictly, got {pcts} / max_pct 须严格递增")
        if pcts[-1] != 1.0:
            raise ValueError("the last grade must have max_pct = 1.0 so every unit gets a grade")
        return self


def load_rule_file(path: str | Path | None, default: str, model: type[M]) -> M:
    """A rules file validated against ``model``: ``path`` if given, else the packaged ``evaluation/<default>``.

    Errors name the file, the key path, the line and the closest allowed key (:mod:`gaoxin.config`).
    """
    src = resources.files("gaoxin.evaluation").joinpath(*default.split("/")) if path is None else Path(path)
    return load_toml(src, model, RuleConfigError)


def parse_zone_types(raw: Mapping[str, Any], source: str = "zone types") -> ZoneTypeRules:
    return validate(ZoneTypeRules, raw, source, error=RuleConfigError)


def load_zone_types(path: str | Path | None = None) -> ZoneTypeRules:
    """Zone-type rules from ``path`` or the packaged default (gaoxin's assumption, see the file)."""
    return load_rule_file(path, "rules/zone-types.toml", ZoneTypeRules)


def parse_grades(raw: Mapping[str, Any], source: str = "grades") -> GradeRules:
    return validate(GradeRules, raw, source, error=RuleConfigError)


def load_grades(path: str | Path | None = None) -> GradeRules:
    """Grade cut-offs from ``path`` or the packaged default (亩均 A 25 % / B 70 % / C 95 % / D)."""
    return load_rule_file(path, "rules/grades.toml", GradeRules)


def ranks_with_pct(scores: pd.Series, groups: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Rank (1 = highest score, ties share the best rank) and rank_pct = rank / ranked units in the group.

    The overall rank is :func:`gaoxin.evaluation.methods.results.rank_scores`; this adds the percentile the
    grade and type rules read, and ranks units without a group together (unlike ``rank_within``).
    """
    s = pd.to_numeric(scores, errors="coerce").astype(float)
    if groups is None:
        rank = rank_scores(s).astype(float)
        n = s.notna().sum()
        return rank, rank / n if n else rank
    rank = s.groupby(groups, dropna=False).rank(ascending=False, method="min")
    n = s.groupby(groups, dropna=False).transform("count")
    return rank, rank / n


def _with_rank(results: pd.DataFrame, score: str) -> pd.DataFrame:
    df = results.copy()
    if "rank" not in df.columns:
        if score not in df.columns:
            raise RuleError(f"results need a {score!r} or 'rank' column")
        df["rank"], df["rank_pct"] = ranks_with_pct(df[score])
    elif "rank_pct" not in df.columns:
        n = df["rank"].notna().sum()
        df["rank_pct"] = df["rank"] / n if n else np.nan
    return df


def classify(results: pd.DataFrame, rules: ZoneTypeRules | None = None, score: str = "score") -> pd.DataFrame:
    """One evaluation year's results → adds zone_type, zone_type_zh, zone_type_en, type_rule, type_assumption.

    Types are tried top-down and the first match wins, so a zone has exactly one type; ``type_rule`` says
    which conditions put it there so a reader can check the decision.
    """
    rules = rules or load_zone_types()
    df = _with_rank(results, score)
    assigned = pd.Series(False, index=df.index)
    for col in ("zone_type", "zone_type_zh", "zone_type_en", "type_rule"):
        df[col] = pd.Series(pd.NA, index=df.index, dtype="string")
    df["type_assumption"] = pd.Series(pd.NA, index=df.index, dtype="boolean")
    for t in rules.types:
        hit = t.mask(df) & ~assigned
        df.loc[hit, "zone_type"] = t.id
        df.loc[hit, "zone_type_zh"] = t.label_zh
        df.loc[hit, "zone_type_en"] = t.label_en
        joiner = " and " if t.match == "all" else " or "
        df.loc[hit, "type_rule"] = joiner.join(c.text() for c in t.conditions) or "fallback"
        df.loc[hit, "type_assumption"] = t.assumption
        assigned |= hit
    return df


def _grade_of(pct: pd.Series, rules: GradeRules) -> pd.Series:
    out = pd.Series(pd.NA, index=pct.index, dtype="string")
    done = pct.isna()
    for g in rules.grades:
        hit = ~done & (pct <= g.max_pct + _EPS)
        out[hit] = g.grade
        done |= hit
    return out


def grade(
    results: pd.DataFrame,
    rules: GradeRules | None = None,
    score: str = "score",
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Adds rank, rank_pct, grade (all units) and, for each ``by`` column, rank_in_<by>, rank_pct_in_<by>,
    grade_in_<by> (e.g. within region), ranking by ``score`` descending.

    A unit without a score gets no rank and no grade (to exclude e.g. start-ups, drop them first: the
    亩均 rule scores but does not grade them).
    """
    rules = rules or load_grades()
    if score not in results.columns:
        raise RuleError(f"results need a {score!r} column")
    df = results.copy()
    df["rank"], df["rank_pct"] = ranks_with_pct(df[score])
    df["grade"] = _grade_of(df["rank_pct"], rules)
    for col in [by] if isinstance(by, str) else list(by or []):
        if col not in df.columns:
            raise RuleError(f"group column {col!r} not in results")
        df[f"rank_in_{col}"], df[f"rank_pct_in_{col}"] = ranks_with_pct(df[score], df[col])
        df[f"grade_in_{col}"] = _grade_of(df[f"rank_pct_in_{col}"], rules)
    return df
