"""Dynamic management (动态管理, “有进有出”): praise, warnings (约谈 → 通报) and exit recommendations.

Plan 001 §四(二) sets the mechanism (通报表扬 for good results, 约谈/通报 warnings for poor ones, 撤销 for
zones that fail to rectify) but no numbers, so every number lives in ``rules/dynamic-management.toml``
(validated by :class:`ManageRules`; every key in docs/configuration.md).
Each decision carries the years, ranks and scores behind it and the rule text, because a zone that is
warned or recommended for exit will ask why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, field_validator, model_validator

from gaoxin.config import validate
from gaoxin.evaluation.classify import (
    Int,
    Num,
    RuleConfigError,
    RuleError,
    RuleModel,
    RulesMeta,
    load_rule_file,
)
from gaoxin.evaluation.methods.results import rank_scores

PRAISE, INTERVIEW, NOTICE, EXIT, NORMAL = "praise", "warning_interview", "warning_notice", "exit_recommended", "normal"
STATUS_ZH = {PRAISE: "通报表扬", INTERVIEW: "约谈", NOTICE: "通报", EXIT: "建议撤销", NORMAL: "正常"}
STATUS_EN = {PRAISE: "commended", INTERVIEW: "warning: interview", NOTICE: "warning: public notice",
             EXIT: "exit recommended", NORMAL: "normal"}


_PRAISE_ZH = "对评价考核结果好的园区予以通报表扬"
_PRAISE_EN = "Zones with good evaluation results are commended in a public notice"
_WARNING_ZH = "对评价考核结果较差的园区通过约谈、通报等方式予以警告"
_WARNING_EN = "Zones with poor evaluation results are warned by an interview (约谈) or a public notice (通报)"
_EXIT_ZH = "对整改不力的园区予以撤销，退出国家高新区序列"
_EXIT_EN = "Zones that fail to rectify are revoked and leave the list of national high-tech zones"


class RankingRule(RuleModel):
    """``[ranking]``: where ranks come from."""

    group_by: str | None = None  # None or "": the panel's (national) rank; a column: re-rank within it

    @field_validator("group_by")
    @classmethod
    def _blank(cls, v: str | None) -> str | None:
        return v or None


class PraiseRule(RuleModel):
    """``[praise]``: 通报表扬."""

    top_k: Int = Field(10, ge=0)  # rank <= top_k in the evaluated year
    rule_zh: str = _PRAISE_ZH
    rule_en: str = _PRAISE_EN


class WarningRule(RuleModel):
    """``[warning]``: 约谈 then 通报 for poor years."""

    bottom_pct: Num = Field(0.10, ge=0.0, lt=1.0)  # poor: in the bottom ceil(n * bottom_pct) ranks
    score_below: Num | None = None  # poor also: score below this
    consecutive_years: Int = Field(1, ge=1)  # poor years in a row before the first warning
    rule_zh: str = _WARNING_ZH
    rule_en: str = _WARNING_EN


class ExitRule(RuleModel):
    """``[exit]``: 撤销 recommendation and clearing of a warning."""

    exit_after_years: Int = Field(2, ge=1)  # still poor this many years after the first warning
    clear_after_years: Int = Field(1, ge=1)  # non-poor years in a row that close the episode
    rule_zh: str = _EXIT_ZH
    rule_en: str = _EXIT_EN


# flat keyword -> (table, key): ManageRules(top_k=3) still works as before the file had tables
_FLAT = {"top_k": ("praise", "top_k"), "praise_rule_zh": ("praise", "rule_zh"),
         "praise_rule_en": ("praise", "rule_en"), "bottom_pct": ("warning", "bottom_pct"),
         "score_below": ("warning", "score_below"), "consecutive_years": ("warning", "consecutive_years"),
         "warning_rule_zh": ("warning", "rule_zh"), "warning_rule_en": ("warning", "rule_en"),
         "exit_after_years": ("exit", "exit_after_years"), "clear_after_years": ("exit", "clear_after_years"),
         "exit_rule_zh": ("exit", "rule_zh"), "exit_rule_en": ("exit", "rule_en"),
         "group_by": ("ranking", "group_by")}


class ManageRules(RuleModel):
    """``rules/dynamic-management.toml``. Defaults live here and equal the packaged file (gaoxin's assumption,
    not published); the flat names (``top_k``, ``bottom_pct``, ...) read and build the tables."""

    meta: RulesMeta = RulesMeta()
    ranking: RankingRule = RankingRule()
    praise: PraiseRule = PraiseRule()
    warning: WarningRule = WarningRule()
    exit: ExitRule = ExitRule()

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not set(data) & set(_FLAT):
            return data
        out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in data.items() if k not in _FLAT}
        for flat, (table, key) in _FLAT.items():
            if flat in data:
                out.setdefault(table, {})[key] = data[flat]
        return out

    @model_validator(mode="after")
    def _someone_can_be_poor(self) -> ManageRules:
        if self.warning.bottom_pct == 0 and self.warning.score_below is None:
            raise ValueError("set warning.bottom_pct > 0 or warning.score_below, else no zone is ever warned")
        return self

    top_k = property(lambda self: self.praise.top_k)
    bottom_pct = property(lambda self: self.warning.bottom_pct)
    score_below = property(lambda self: self.warning.score_below)
    consecutive_years = property(lambda self: self.warning.consecutive_years)
    exit_after_years = property(lambda self: self.exit.exit_after_years)
    clear_after_years = property(lambda self: self.exit.clear_after_years)
    group_by = property(lambda self: self.ranking.group_by)
    praise_rule_zh = property(lambda self: self.praise.rule_zh)
    praise_rule_en = property(lambda self: self.praise.rule_en)
    warning_rule_zh = property(lambda self: self.warning.rule_zh)
    warning_rule_en = property(lambda self: self.warning.rule_en)
    exit_rule_zh = property(lambda self: self.exit.rule_zh)
    exit_rule_en = property(lambda self: self.exit.rule_en)

    def poor_text(self) -> tuple[str, str]:
        zh, en = [], []
        if self.bottom_pct:
            zh.append(f"排名后{self.bottom_pct:.0%}")
            en.append(f"in the bottom {self.bottom_pct:.0%}")
        if self.score_below is not None:
            zh.append(f"得分低于{self.score_below:g}")
            en.append(f"score below {self.score_below:g}")
        where_zh = f"（{self.group_by}内）" if self.group_by else ""
        where_en = f" within {self.group_by}" if self.group_by else ""
        return "或".join(zh) + where_zh, " or ".join(en) + where_en


def parse_rules(raw: Mapping[str, Any], source: str = "dynamic management") -> ManageRules:
    return validate(ManageRules, raw, source, error=RuleConfigError)


def load_rules(path: str | Path | None = None) -> ManageRules:
    """Rules from ``path`` or the packaged ``rules/dynamic-management.toml``."""
    return load_rule_file(path, "rules/dynamic-management.toml", ManageRules)


def _prepare(panel: pd.DataFrame, rules: ManageRules) -> pd.DataFrame:
    need = {"zone_id", "year"} | ({"score"} if rules.group_by else set())
    if missing := need - set(panel.columns):
        raise RuleError(f"panel lacks columns {sorted(missing)}")
    if "rank" not in panel.columns and "score" not in panel.columns:
        raise RuleError("panel needs a 'rank' or a 'score' column")
    if panel.duplicated(["zone_id", "year"]).any():
        raise RuleError("panel has more than one row per (zone_id, year)")
    df = panel.copy()
    if "score" not in df.columns:
        df["score"] = float("nan")
    if rules.group_by:
        if rules.group_by not in df.columns:
            raise RuleError(f"panel lacks group column {rules.group_by!r}")
        keys = [df["year"], df[rules.group_by]]
        df["rank"] = df.groupby(keys, dropna=False)["score"].rank(ascending=False, method="min")
        df["n_ranked"] = df.groupby(keys, dropna=False)["score"].transform("count")
    else:
        if "rank" not in df.columns:
            df["rank"] = pd.concat([rank_scores(g["score"]).astype(float) for _, g in df.groupby("year")])
        df["n_ranked"] = df.groupby("year")["rank"].transform("count")
    n_bottom = (df["n_ranked"] * rules.bottom_pct).round(9).apply(math.ceil)
    poor = df["rank"].notna() & (df["rank"] > df["n_ranked"] - n_bottom) & (n_bottom > 0)
    if rules.score_below is not None:
        poor |= df["score"] < rules.score_below
    df["poor"] = poor
    return df.sort_values(["zone_id", "year"]).reset_index(drop=True)


def timeline(panel: pd.DataFrame, rules: ManageRules | None = None) -> pd.DataFrame:
    """Status of every zone in every year it was evaluated, applying the rules year by year.

    Adds n_ranked, poor, status, first_warning (year of the open episode's 约谈) and since (first year
    of the evidence behind the status). A year without a row for a zone breaks its run of poor years but
    neither clears nor resets an open warning.
    """
    rules = rules or load_rules()
    df = _prepare(panel, rules)
    years = sorted(df["year"].unique())
    status, first_warning, since = [], [], []
    for _, z in df.groupby("zone_id", sort=True):
        by_year = {int(y): r for y, r in zip(z["year"], z.itertuples(index=False), strict=True)}
        streak = good = 0
        warned: int | None = None  # year of the open episode's first warning
        start: int | None = None  # first poor year of the run that led to it
        cleared_start: int | None = None
        for y in map(int, years):
            r = by_year.get(y)
            if r is None:
                streak = good = 0
                continue
            cleared_start = None
            if r.poor:
                streak, good = streak + 1, 0
                if warned is not None:
                    s = EXIT if y - warned >= rules.exit_after_years else NOTICE
                elif streak >= rules.consecutive_years:
                    warned, start, s = y, y - streak + 1, INTERVIEW
                else:
                    s = NORMAL
                ev_from = start if warned is not None else y - streak + 1
            else:
                streak, good = 0, good + 1
                if warned is not None and good >= rules.clear_after_years:
                    cleared_start, warned, start = start, None, None
                s = PRAISE if pd.notna(r.rank) and r.rank <= rules.top_k else NORMAL
                ev_from = cleared_start if cleared_start is not None else (start if warned is not None else y)
            status.append(s)
            first_warning.append(warned)
            since.append(ev_from)
    df["status"] = status
    df["first_warning"] = pd.array(first_warning, dtype="Int64")
    df["since"] = pd.array(since, dtype="Int64")
    return df


def _fmt(v: Any, spec: str = "g") -> str:
    return "—" if v is None or pd.isna(v) else format(float(v), spec)


def _history(z: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"year": int(r.year), "rank": None if pd.isna(r.rank) else int(r.rank), "n": int(r.n_ranked),
         "score": None if pd.isna(r.score) else float(r.score), "poor": bool(r.poor), "status": r.status}
        for r in z.itertuples(index=False)
    ]


def _reasons(row: Any, hist: list[dict[str, Any]], rules: ManageRules) -> tuple[str, str]:
    y, st = int(row.year), row.status
    ev_zh = "；".join(f"{h['year']}年第{_fmt(h['rank'])}/{h['n']}名、得分{_fmt(h['score'], '.2f')}" for h in hist)
    ev_en = "; ".join(f"{h['year']} rank {_fmt(h['rank'])}/{h['n']}, score {_fmt(h['score'], '.2f')}" for h in hist)
    poor_zh, poor_en = rules.poor_text()
    note_zh = "（数值标准为 gaoxin 默认假设）" if rules.meta.assumption else ""
    note_en = " (numeric criteria: gaoxin default assumption)" if rules.meta.assumption else ""
    src_zh, src_en = "《“十四五”国家高新区发展规划》四(二)", "14th FYP for national high-tech zones §IV(2)"
    if st == PRAISE:
        return (f"{ev_zh}，位列前{rules.top_k}名 → 通报表扬。依据：{rules.praise_rule_zh}（{src_zh}）{note_zh}",
                f"{ev_en}: in the top {rules.top_k} → commended. Rule: {rules.praise_rule_en} ({src_en}){note_en}")
    if st == INTERVIEW:
        return (f"{ev_zh}，连续{len(hist)}年{poor_zh} → 首次警告：约谈。"
                f"依据：{rules.warning_rule_zh}（{src_zh}）{note_zh}",
                f"{ev_en}: {poor_en} for {len(hist)} consecutive year(s) → first warning: interview (约谈). "
                f"Rule: {rules.warning_rule_en} ({src_en}){note_en}")
    if st == NOTICE:
        w = int(row.first_warning)
        return (f"{ev_zh}，{w}年约谈后仍{poor_zh} → 再次警告：通报。依据：{rules.warning_rule_zh}（{src_zh}）{note_zh}",
                f"{ev_en}: still {poor_en} after the {w} interview → repeated warning: public notice (通报). "
                f"Rule: {rules.warning_rule_en} ({src_en}){note_en}")
    if st == EXIT:
        w = int(row.first_warning)
        return (f"{ev_zh}，{w}年首次警告后{y - w}年仍{poor_zh}，整改不力 → 建议撤销，退出国家高新区序列。"
                f"依据：{rules.exit_rule_zh}（{src_zh}）{note_zh}",
                f"{ev_en}: still {poor_en} {y - w} year(s) after the first warning in {w}, not rectified → "
                f"exit recommended. Rule: {rules.exit_rule_en} ({src_en}){note_en}")
    if row.first_warning is not None and pd.notna(row.first_warning):
        w = int(row.first_warning)
        return (f"{ev_zh}，{w}年警告尚未解除（需连续{rules.clear_after_years}年不再{poor_zh}）→ 观察。",
                f"{ev_en}: warning of {w} still open (needs {rules.clear_after_years} year(s) not {poor_en}) "
                f"→ under observation.")
    if len(hist) > 1 and not hist[-1]["poor"]:
        return (f"{ev_zh}，{y}年已不再{poor_zh} → 警告解除，正常。",
                f"{ev_en}: no longer {poor_en} in {y} → warning cleared, normal.")
    if hist[-1]["poor"]:
        return (f"{ev_zh}，{poor_zh}但未满连续{rules.consecutive_years}年 → 正常（观察）。",
                f"{ev_en}: {poor_en} but not yet for {rules.consecutive_years} consecutive years → normal (watch).")
    return f"{ev_zh}，未触发表扬或警告 → 正常。", f"{ev_en}: neither praise nor warning → normal."


def manage(panel: pd.DataFrame, rules: ManageRules | None = None, year: int | None = None) -> pd.DataFrame:
    """Dynamic-management list for ``year`` (default: the panel's latest year) over the yearly results panel
    (zone_id, year, score and/or rank, [group column]).

    Returns one row per zone evaluated that year: zone_id, year, rank, n_ranked, score, status (praise,
    warning_interview, warning_notice, exit_recommended, normal), status_zh, first_warning, reason_zh,
    reason_en and history (list of {year, rank, n, score, poor, status} behind the decision).
    Only years up to ``year`` are used, so a past list can be reproduced.
    """
    rules = rules or load_rules()
    if year is not None:
        panel = panel[panel["year"] <= year]
    tl = timeline(panel, rules)
    if tl.empty:
        raise RuleError("panel is empty")
    year = int(tl["year"].max()) if year is None else year
    rows = []
    for r in tl[tl["year"] == year].itertuples(index=False):
        z = tl[(tl["zone_id"] == r.zone_id) & (tl["year"] >= r.since) & (tl["year"] <= year)]
        hist = _history(z)
        zh, en = _reasons(r, hist, rules)
        rows.append({"zone_id": r.zone_id, "year": year, "rank": r.rank, "n_ranked": r.n_ranked, "score": r.score,
                     "status": r.status, "status_zh": STATUS_ZH[r.status], "first_warning": r.first_warning,
                     "reason_zh": zh, "reason_en": en, "history": hist})
    cols = ["zone_id", "year", "rank", "n_ranked", "score", "status", "status_zh", "first_warning",
            "reason_zh", "reason_en", "history"]
    out = pd.DataFrame(rows, columns=cols)
    out["first_warning"] = out["first_warning"].astype("Int64")
    order = {EXIT: 0, NOTICE: 1, INTERVIEW: 2, PRAISE: 3, NORMAL: 4}
    return out.sort_values(["status", "rank"], key=lambda s: s.map(order) if s.name == "status" else s,
                           ignore_index=True)


CERTAIN, UNCERTAIN = "certain", "uncertain"
CERTAINTY_ZH = {CERTAIN: "确定", UNCERTAIN: "不确定"}
_WARNED = (INTERVIEW, NOTICE, EXIT)


def certainty(lists: pd.DataFrame, intervals: pd.DataFrame, rules: ManageRules | None = None) -> pd.DataFrame:
    """Mark each listed zone *certain* or *uncertain* from its 5–95 % rank interval (JRC practice).

    A warned zone (约谈, 通报, 建议撤销) is *certain* (确定) when its whole interval lies in the warning
    band — the bottom ``ceil(n × bottom_pct)`` ranks, i.e. ``rank_p05 > n − ceil(n × bottom_pct)``; a
    praised zone when its whole interval lies in the top ``top_k`` (``rank_p95 ≤ top_k``); otherwise
    *uncertain* (不确定): some plausible choice of method would move it out of the band. A zone poor only
    by ``score_below`` is not in the rank band and so is uncertain. ``intervals`` is indexed by zone_id
    with rank_p05 and rank_p95 (national ranks; a ``group_by`` ranking has no intervals).
    Adds rank_p05, rank_p95, certainty and certainty_zh (missing for zones on no list).
    """
    rules = rules or load_rules()
    if rules.group_by:
        raise RuleError("rank intervals are national ranks; certainty needs ranking.group_by unset / "
                        "排名区间为全国排名，按组排名时无法判断确定性")
    out = lists.copy()
    iv = intervals.reindex(out["zone_id"])
    out["rank_p05"] = iv["rank_p05"].to_numpy()
    out["rank_p95"] = iv["rank_p95"].to_numpy()
    n_bottom = (out["n_ranked"].astype(float) * rules.bottom_pct).round(9).apply(math.ceil)
    in_warning = out["rank_p05"] > out["n_ranked"] - n_bottom
    in_praise = out["rank_p95"] <= rules.top_k
    has = out["rank_p05"].notna() & out["rank_p95"].notna()
    sure = pd.Series(pd.NA, index=out.index, dtype="object")
    warned, praised = out["status"].isin(_WARNED) & has, (out["status"] == PRAISE) & has
    sure[warned] = in_warning[warned].map({True: CERTAIN, False: UNCERTAIN})
    sure[praised] = in_praise[praised].map({True: CERTAIN, False: UNCERTAIN})
    out["certainty"] = sure
    out["certainty_zh"] = sure.map(CERTAINTY_ZH)
    return out
