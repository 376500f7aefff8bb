"""Zone types (园区分类) and A/B/C/D grades from evaluation results.

The criteria are data (``rules/zone-types.toml``, ``rules/grades.toml``) because the seeds name the types
(plan 001 §四(二)) but publish no numbers, and grade cut-offs are local practice: a new evaluation round
changes a file, not the code. Conditions are parsed into plain comparisons (never ``eval``) so a rules
file cannot run code.
"""

from __future__ import annotations

import math
import operator
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_EPS = 1e-9  # rank_pct is a ratio of integers; keeps 14/20 <= 0.70 true whatever the float rounding


class RuleError(ValueError):
    """A rules or targets file is malformed; the message names the file part at fault."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: float | int | str | bool

    def mask(self, df: pd.DataFrame) -> pd.Series:
        """Rows meeting the condition; a missing value never meets it."""
        if self.column not in df.columns:
            have = ", ".join(map(str, df.columns))
            raise RuleError(f"condition column {self.column!r} not in results (have: {have})")
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


def parse_condition(raw: Mapping[str, Any], where: str = "condition") -> Condition:
    """``{column, op, value}`` → Condition; rejects unknown keys and operators instead of guessing."""
    if not isinstance(raw, Mapping):
        raise RuleError(f"{where}: expected a table {{column, op, value}}, got {raw!r}")
    extra = set(raw) - {"column", "op", "value"}
    missing = {"column", "op", "value"} - set(raw)
    if missing or extra:
        raise RuleError(
            f"{where}: needs exactly column, op, value (missing {sorted(missing)}, unknown {sorted(extra)})"
        )
    column, op, value = raw["column"], raw["op"], raw["value"]
    if not isinstance(column, str) or not column:
        raise RuleError(f"{where}: column must be a non-empty string, got {column!r}")
    if op not in OPS:
        raise RuleError(f"{where}: op {op!r} not one of {' '.join(OPS)}")
    if not isinstance(value, int | float | str | bool):
        raise RuleError(f"{where}: value must be a number, string or boolean, got {value!r}")
    if isinstance(value, float) and math.isnan(value):
        raise RuleError(f"{where}: value must not be NaN")
    if isinstance(value, str | bool) and op not in ("==", "!="):
        raise RuleError(f"{where}: op {op!r} needs a number, got {value!r}")
    return Condition(column, op, value)


@dataclass(frozen=True)
class ZoneType:
    id: str
    label_zh: str
    label_en: str
    conditions: tuple[Condition, ...]
    match: str = "all"  # all | any
    assumption: bool = True

    def mask(self, df: pd.DataFrame) -> pd.Series:
        if not self.conditions:
            return pd.Series(True, index=df.index)
        masks = [c.mask(df) for c in self.conditions]
        out = masks[0]
        for m in masks[1:]:
            out = (out & m) if self.match == "all" else (out | m)
        return out


@dataclass(frozen=True)
class ZoneTypeRules:
    types: tuple[ZoneType, ...]
    meta: Mapping[str, Any]


@dataclass(frozen=True)
class Grade:
    grade: str
    max_pct: float
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class GradeRules:
    grades: tuple[Grade, ...]
    meta: Mapping[str, Any]


def read_toml(path: str | Path | None, default: str) -> dict[str, Any]:
    """A rules file: ``path`` if given, else the packaged ``evaluation/<default>``."""
    if path is None:
        text = resources.files("gaoxin.evaluation").joinpath(*default.split("/")).read_text("utf-8")
        name = default
    else:
        text, name = Path(path).read_text("utf-8"), str(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RuleError(f"{name}: {e}") from e


def parse_zone_types(raw: Mapping[str, Any]) -> ZoneTypeRules:
    types_raw = raw.get("types")
    if not isinstance(types_raw, list) or not types_raw:
        raise RuleError("zone types: need at least one [[types]] entry")
    types = []
    for i, t in enumerate(types_raw):
        where = f"types[{i}]"
        for key in ("id", "label_zh", "label_en"):
            if not isinstance(t.get(key), str) or not t[key]:
                raise RuleError(f"{where}: {key} must be a non-empty string")
        match = t.get("match", "all")
        if match not in ("all", "any"):
            raise RuleError(f"{where}: match must be 'all' or 'any', got {match!r}")
        conds = t.get("conditions", [])
        if not isinstance(conds, list):
            raise RuleError(f"{where}: conditions must be a list")
        parsed = tuple(parse_condition(c, f"{where}.conditions[{j}]") for j, c in enumerate(conds))
        types.append(ZoneType(t["id"], t["label_zh"], t["label_en"], parsed, match, bool(t.get("assumption", True))))
    if types[-1].conditions:
        raise RuleError("zone types: the last type must be the fallback (no conditions)")
    if any(not z.conditions for z in types[:-1]):
        raise RuleError("zone types: only the last type may have no conditions (later types would never match)")
    if len({z.id for z in types}) != len(types):
        raise RuleError("zone types: duplicate id")
    return ZoneTypeRules(tuple(types), dict(raw.get("meta", {})))


def load_zone_types(path: str | Path | None = None) -> ZoneTypeRules:
    """Zone-type rules from ``path`` or the packaged default (gaoxin's assumption, see the file)."""
    return parse_zone_types(read_toml(path, "rules/zone-types.toml"))


def parse_grades(raw: Mapping[str, Any]) -> GradeRules:
    grades_raw = raw.get("grades")
    if not isinstance(grades_raw, list) or not grades_raw:
        raise RuleError("grades: need at least one [[grades]] entry")
    grades = []
    for i, g in enumerate(grades_raw):
        if not isinstance(g.get("grade"), str) or not g["grade"]:
            raise RuleError(f"grades[{i}]: grade must be a non-empty string")
        pct = g.get("max_pct")
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 < pct <= 1:
            raise RuleError(f"grades[{i}]: max_pct must be a number in (0, 1], got {pct!r}")
        grades.append(Grade(g["grade"], float(pct), g.get("label_zh", ""), g.get("label_en", "")))
    pcts = [g.max_pct for g in grades]
    if any(b <= a for a, b in pairwise(pcts)):
        raise RuleError(f"grades: max_pct must increase strictly, got {pcts}")
    if pcts[-1] != 1.0:
        raise RuleError("grades: the last grade must have max_pct = 1.0 so every unit gets a grade")
    return GradeRules(tuple(grades), dict(raw.get("meta", {})))


def load_grades(path: str | Path | None = None) -> GradeRules:
    """Grade cut-offs from ``path`` or the packaged default (亩均 A 25 % / B 70 % / C 95 % / D)."""
    return parse_grades(read_toml(path, "rules/grades.toml"))


def rank_scores(scores: pd.Series, groups: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Rank (1 = highest score, ties share the best rank) and rank_pct = rank / ranked units in the group."""
    s = pd.to_numeric(scores, errors="coerce")
    if groups is None:
        rank = s.rank(ascending=False, method="min")
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
        df["rank"], df["rank_pct"] = rank_scores(df[score])
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
    df["rank"], df["rank_pct"] = rank_scores(df[score])
    df["grade"] = _grade_of(df["rank_pct"], rules)
    for col in [by] if isinstance(by, str) else list(by or []):
        if col not in df.columns:
            raise RuleError(f"group column {col!r} not in results")
        df[f"rank_in_{col}"], df[f"rank_pct_in_{col}"] = rank_scores(df[score], df[col])
        df[f"grade_in_{col}"] = _grade_of(df[f"rank_pct_in_{col}"], rules)
    return df
