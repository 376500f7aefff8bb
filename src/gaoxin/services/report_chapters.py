"""The chapters of a report that are not one zone's page: cover, summary, method, ranking, regions,
classification, praise and warning lists, plan targets, annex (issue #11 §1).

Each builder reads a service result (``overview``, ``profile``, ``monitoring``) already computed for the run
and turns it into ``report_model`` sections; enterprise aggregates come only from ``ctx.agg`` (protected).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gaoxin.services.report_model import Chart, Section, Series
from gaoxin.services.report_parts import (
    WARNED,
    Lang,
    col,
    fmt,
    integer,
    num,
    region_label,
    scaled,
    status_label,
    table,
    tr,
)

if TYPE_CHECKING:
    import pandas as pd

    from gaoxin.indicators.framework import Framework
    from gaoxin.services import Store
    from gaoxin.services.access import Access
    from gaoxin.services.report_sdc import Aggregates

YI = 1e-5  # 千元 → 亿元
WAN_REN = 1e-4  # 人 → 万人


@dataclass
class Context:
    """Everything the section builders share for one report."""

    store: Store
    access: Access
    lang: Lang
    eid: int
    info: dict[str, Any]
    fw: Framework
    ranking: pd.DataFrame
    kind: str
    value: str | None
    zones: list[str]
    zone_rows: list[dict[str, Any]]
    agg: Aggregates
    cache: dict[str, Any] = field(default_factory=dict)

    def t(self, zh: str, en: str) -> str:
        return tr(self.lang, zh, en)

    @property
    def year(self) -> int:
        return int(self.info["year"])

    @property
    def names(self) -> dict[str, str]:
        return {str(z["zone_id"]): str(z["name"]) for z in self.zone_rows}

    @property
    def province_names(self) -> dict[str, str]:
        return {(z["province_code"] or "")[:2]: z["province_name"] or "" for z in self.zone_rows}

    def region(self, code: Any) -> str | None:
        from gaoxin.services.overview import _region_labels

        return region_label(code, self.lang, _region_labels())

    def scope_rows(self) -> pd.DataFrame:
        return self.ranking[self.ranking["zone_id"].astype(str).isin(self.zones)]

    def profile(self, zone: str) -> dict[str, Any]:
        from gaoxin.services.profile import profile

        return profile(self.store, self.eid, zone)

    def log(self) -> dict[str, Any]:
        if "log" not in self.cache:
            from gaoxin.store import evaluations as stored

            self.cache["log"] = json.loads(stored.load(self.store.con, self.eid)["log"])
        return self.cache["log"]

    def footnotes(self) -> list[str]:
        note = self.agg.footnote(self.lang)
        return [note] if note else []


def title(ctx: Context) -> str:
    from gaoxin.services.report import scope_label

    where = scope_label(ctx.kind, ctx.value, ctx.lang, ctx.province_names if ctx.kind == "province" else ctx.names)
    if ctx.kind == "national":
        return ctx.t(f"{ctx.year}年度国家高新区监测评价报告", f"High-tech zones: annual monitoring report {ctx.year}")
    return ctx.t(f"{where}{ctx.year}年度高新区监测评价报告", f"{where}: annual monitoring report {ctx.year}")


def subtitle(ctx: Context) -> str:
    m = ctx.fw.meta
    return ctx.t(f"{m.name_zh}（{m.version}）· 评价 {ctx.eid}", f"{m.name_en} ({m.version}) · evaluation {ctx.eid}")


def _audience_label(ctx: Context) -> str:
    a = ctx.access
    if a.user == "report:public":
        return ctx.t("公开（仅已发布结果，统计保密处理）", "public (published results only, disclosure control)")
    return a.user.removeprefix("report:")


# ----------------------------------------------------------------------------------------------- cover

def cover(ctx: Context) -> Section:
    i = ctx.info
    rows = [[ctx.t("评价编号", "Evaluation run"), str(ctx.eid)],
            [ctx.t("评价年度", "Year"), str(ctx.year)],
            [ctx.t("指标体系", "Framework"), f"{i['framework_id']} ({ctx.fw.meta.version})"],
            [ctx.t("评分配置", "Scoring"), str(i.get("config_name") or "—")],
            [ctx.t("配置哈希", "Configuration hash"), str(i["config_hash"])],
            [ctx.t("数据快照", "Data snapshot"), str(i["snapshot"])],
            [ctx.t("对照评分", "Companion scoring"),
             f"{i['companion_config']} ({ctx.t('评价', 'evaluation')} {i['companion_id']})"
             if i.get("companion_id") else "—"],
            [ctx.t("报告范围", "Scope"), title(ctx)],
            [ctx.t("读者", "Audience"), _audience_label(ctx)]]
    t = table("cover", ctx.t("报告信息", "About this report"),
              [col("item", ctx.t("项目", "Item")), col("value", ctx.t("内容", "Value"))], rows)
    return Section(id="cover", title=title(ctx), paragraphs=[subtitle(ctx)], tables=[t])


# --------------------------------------------------------------------------------------------- summary

def _where(ctx: Context) -> dict[str, str]:
    if ctx.kind == "province":
        return {"province": str(ctx.value)}
    if ctx.kind == "zone":
        return {"zone": str(ctx.value)}
    return {}


def key_figure_rows(ctx: Context) -> tuple[list[list[Any]], list[tuple[int, int]]]:
    """(rows, suppressed) of the scope's enterprise key figures; withheld ones None."""
    a, w = ctx.agg, _where(ctx)
    rev, rd = a.total("revenue", **w), a.total("rd_expense", **w)
    figs = [("enterprises", ctx.t("企业数", "Enterprises"), a.total("count", **w), ctx.t("家", "firms"), "count"),
            ("revenue", ctx.t("营业收入", "Revenue"), scaled(rev, YI), ctx.t("亿元", "100 m yuan"), "revenue"),
            ("employees", ctx.t("年末从业人员", "Employees"), scaled(a.total("employees", **w), WAN_REN),
             ctx.t("万人", "10 k persons"), "employees"),
            ("rd_expense", ctx.t("R&D经费内部支出", "R&D expenditure"), scaled(rd, YI), ctx.t("亿元", "100 m yuan"),
             "rd_expense"),
            ("rd_intensity", ctx.t("研发投入强度", "R&D intensity"),
             None if rev in (None, 0) or rd is None else 100.0 * rd / rev, "%", None)]
    rows, sup = [], []
    for i, (_, label, v, unit, m) in enumerate(figs):
        withheld = (m is not None and a.is_withheld(m, **w)) or (
            m is None and (a.is_withheld("revenue", **w) or a.is_withheld("rd_expense", **w)))
        if withheld:
            sup.append((i, 1))
        rows.append([label, None if withheld else v, unit])
    return rows, sup


def summary(ctx: Context) -> Section:
    sc = ctx.scope_rows()
    scores = [s for s in (num(x) for x in sc["score"]) if s is not None]
    rows, sup = key_figure_rows(ctx)
    rows = [[ctx.t("参评园区数", "Zones evaluated"), len(sc), ctx.t("个", "zones")], *rows,
            [ctx.t("平均综合得分", "Mean composite score"), sum(scores) / len(scores) if scores else None,
             ctx.t("分", "points")]]
    sup = [(r + 1, c) for r, c in sup]
    t = table("key_figures", ctx.t(f"{ctx.year}年主要指标", f"Key figures {ctx.year}"),
              [col("item", ctx.t("指标", "Figure")), col("value", ctx.t("数值", "Value"), "float", decimals=2),
               col("unit", ctx.t("单位", "Unit"))], rows, suppressed=sup, notes=ctx.footnotes() if sup else [])
    paras = []
    if len(sc):
        top = sc.iloc[0]
        paras.append(ctx.t(
            f"{ctx.year}年共有 {len(sc)} 个园区参加评价，平均综合得分 {fmt(t.rows[-1][1])} 分；"
            f"{top['name']}（{top['zone_id']}）综合得分 {fmt(top['score'])} 分，全国排名第 {integer(top['rank'])} 位。",
            f"{len(sc)} zones were evaluated for {ctx.year}; the mean composite score is {fmt(t.rows[-1][1])} points. "
            f"{top['name']} ({top['zone_id']}) leads with {fmt(top['score'])} points (national rank "
            f"{integer(top['rank'])})."))
    i = ctx.info
    if i.get("companion_id"):
        paras.append(ctx.t(
            f"同一数据另以 {i['companion_config']} 评分（评价 {i['companion_id']}）作对照，"
            f"两种排名的 Spearman 相关系数为 {fmt(i.get('spearman'), 3)}。",
            f"The same data scored with {i['companion_config']} (evaluation {i['companion_id']}) is shown beside it; "
            f"the two rankings' Spearman correlation is {fmt(i.get('spearman'), 3)}."))
    return Section(id="summary", title=ctx.t("年度概况", "Summary of the year"), paragraphs=paras, tables=[t])


# ---------------------------------------------------------------------------------------------- method

def _params(p: dict[str, Any]) -> str:
    parts = []
    for k, v in (p or {}).items():
        if v is None or (isinstance(v, dict | list) and not v):
            continue
        shown = json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict | list) else str(v)
        parts.append(f"{k}={shown if len(shown) <= 60 else shown[:57] + '…'}")
    return "; ".join(parts) or "—"


def method(ctx: Context) -> Section:
    log, m = ctx.log(), ctx.fw.meta
    steps = [[s.get("index", i) + 1, s.get("step"), _params(s.get("params", {}))]
             for i, s in enumerate(log.get("steps", []))]
    t_steps = table("method_steps", ctx.t("评价流程与参数", "Pipeline steps and parameters"),
                    [col("n", "#", "int", decimals=0), col("step", ctx.t("步骤", "Step")),
                     col("params", ctx.t("参数", "Parameters"))], steps)
    cov = log.get("coverage", {})
    name_en = {i.code: i.name_en for i in ctx.fw.indicators}
    avail = [[r.get("ref"), r.get("name_zh") if ctx.lang == "zh" else name_en.get(r.get("code"), r.get("code")),
              r.get("source_kind"),
              r.get("zones"), r.get("of"), r.get("status_zh") if ctx.lang == "zh" else r.get("status")]
             for r in cov.get("indicators", [])]
    t_cov = table("data_availability", ctx.t("数据可得性", "Data availability"),
                  [col("ref", ctx.t("编号", "Ref")), col("indicator", ctx.t("指标", "Indicator")),
                   col("source", ctx.t("数据来源", "Source kind")),
                   col("zones", ctx.t("有数据园区", "Zones with data"), "int", ctx.t("个", "zones"), 0),
                   col("of", ctx.t("参评园区", "Zones"), "int", ctx.t("个", "zones"), 0),
                   col("status", ctx.t("状态", "Status"))], avail)
    unv = []
    for ind in ctx.fw.indicators:
        why = []
        if not ind.weight_verified:
            why.append(ctx.t("权重未经核实", "weight not verified"))
        if ind.confidence not in (None, "V"):
            why.append(ctx.t(f"定义可信度 {ind.confidence}", f"definition confidence {ind.confidence}"))
        if ind.qualitative or "fact(" in ind.formula:
            why.append(ctx.t("园区自报统计或专家评分，未与企业数据核对", "zone-reported statistic or expert score, "
                             "not checked against enterprise rows"))
        if why:
            unv.append([ind.ref, ind.name_zh if ctx.lang == "zh" else ind.name_en, "；".join(why)
                        if ctx.lang == "zh" else "; ".join(why)])
    for code in log.get("scored_zero_indicators", []):
        unv.append([None, code, ctx.t("无任何园区数据，全部按 0 分计", "no zone has data: scored 0 for all")])
    t_unv = table("unverified", ctx.t("未经核实的内容", "What is unverified"),
                  [col("ref", ctx.t("编号", "Ref")), col("indicator", ctx.t("指标", "Indicator")),
                   col("why", ctx.t("说明", "Note"))], unv,
                  notes=[ctx.t("动态管理名单、园区类型与等级的阈值为 gaoxin 默认假设（规划未公布数字）。",
                               "Thresholds of the management lists, zone types and grades are gaoxin's default "
                               "assumptions (the plan publishes no numbers).")])
    counts = cov.get("counts", {})
    paras = [
        ctx.t(f"指标体系：{m.name_zh}（{m.id}，版本 {m.version}），来源：{m.source}。",
              f"Framework: {m.name_en} ({m.id}, version {m.version}); source: {m.source}."),
        ctx.t(f"数据：快照 {ctx.info['snapshot']}，{ctx.year}年；评分配置 {ctx.info.get('config_name') or '—'}，"
              f"配置哈希 {ctx.info['config_hash']}。",
              f"Data: snapshot {ctx.info['snapshot']}, year {ctx.year}; scoring {ctx.info.get('config_name') or '—'}, "
              f"configuration hash {ctx.info['config_hash']}."),
        ctx.t(f"指标覆盖：已计算 {counts.get('computed', '—')} 项，部分缺失 {counts.get('partial', '—')} 项，"
              f"无数据 {counts.get('missing', '—')} 项。",
              f"Coverage: {counts.get('computed', '—')} indicators computed, {counts.get('partial', '—')} partial, "
              f"{counts.get('missing', '—')} without data."),
        ctx.t("排名区间为蒙特卡洛模拟（评价自身流程的不确定选择）的 5%–95% 分位，名义排名即公布排名。",
              "Rank intervals are the 5–95 % quantiles of a Monte Carlo run over the evaluation's own uncertain "
              "choices; the nominal rank is the published one.")]
    return Section(id="method", title=ctx.t("评价方法", "Method"), paragraphs=paras, tables=[t_steps, t_cov, t_unv])


# --------------------------------------------------------------------------------------------- ranking

def _companion(ctx: Context) -> pd.DataFrame | None:
    from gaoxin.services.overview import ranking_table

    cid = ctx.info.get("companion_id")
    if not cid:
        return None
    return ranking_table(ctx.store, int(cid)).set_index("zone_id")


def ranking(ctx: Context) -> Section:
    sc = ctx.scope_rows()
    comp = _companion(ctx)
    cname = ctx.info.get("companion_config") or ""
    cols = [col("rank", ctx.t("排名", "Rank"), "rank", decimals=0), col("zone_id", ctx.t("代码", "Code")),
            col("name", ctx.t("园区", "Zone")), col("region", ctx.t("地区", "Region")),
            col("score", ctx.t("综合得分", "Score"), "float", ctx.t("分", "points"), 1),
            col("rank_p05", ctx.t("排名区间下限", "Rank p05"), "rank", decimals=0),
            col("rank_p95", ctx.t("排名区间上限", "Rank p95"), "rank", decimals=0),
            col("rank_change", ctx.t("排名变化", "Rank change"), "int", decimals=0)]
    if comp is not None:
        cols += [col("companion_score", ctx.t(f"对照得分 {cname}", f"{cname} score"), "float",
                     ctx.t("分", "points"), 1),
                 col("companion_rank", ctx.t(f"对照排名 {cname}", f"{cname} rank"), "rank", decimals=0),
                 col("companion_p05", ctx.t("对照区间下限", f"{cname} p05"), "rank", decimals=0),
                 col("companion_p95", ctx.t("对照区间上限", f"{cname} p95"), "rank", decimals=0)]
    rows = []
    for r in sc.itertuples(index=False):
        row = [integer(r.rank), r.zone_id, r.name, ctx.region(r.region), num(r.score), integer(r.rank_p05),
               integer(r.rank_p95), integer(r.rank_change)]
        if comp is not None:
            c = comp.loc[r.zone_id] if r.zone_id in comp.index else None
            row += [num(r.companion_score), integer(r.companion_rank),
                    None if c is None else integer(c["rank_p05"]), None if c is None else integer(c["rank_p95"])]
        rows.append(row)
    notes = [ctx.t("排名区间：蒙特卡洛 5%–95% 分位；“—”为无数据。", "Rank interval: Monte Carlo 5–95 % quantiles; "
                   "\"—\" where there is none.")]
    t = table("ranking", ctx.t(f"{ctx.year}年综合评价排名", f"Ranking {ctx.year}"), cols, rows, notes=notes)
    names = [str(r[2]) for r in rows]
    series = [Series(name=ctx.info.get("config_name") or ctx.t("评分", "score"), values=[num(r[0]) for r in rows],
                     low=[num(r[5]) for r in rows], high=[num(r[6]) for r in rows])]
    if comp is not None:
        series.append(Series(name=cname, values=[num(r[9]) for r in rows], low=[num(r[10]) for r in rows],
                             high=[num(r[11]) for r in rows]))
    chart = Chart(id="ranking_intervals", kind="rank_interval",
                  title=ctx.t("排名与排名区间", "Ranks and rank intervals"), categories=names,
                  series=series, unit=ctx.t("名次", "rank"), table="ranking")
    paras = [ctx.t("表中排名为全国排名；区间越窄，排名越确定。", "Ranks are national; the narrower the interval, the "
                   "more certain the rank.")]
    return Section(id="ranking", title=ctx.t("综合评价排名", "Ranking"), paragraphs=paras, tables=[t], charts=[chart])


# --------------------------------------------------------------------------------------------- regions

def regions(ctx: Context) -> Section:
    from gaoxin.services.overview import _region_labels, median

    t_all = ctx.ranking
    rows, sup = [], []
    for i, code in enumerate(_region_labels()):
        g = t_all[t_all["region"] == code]
        scores = [s for s in (num(x) for x in g["score"]) if s is not None]
        best = g.iloc[0]["name"] if len(g) else None
        rev, rd = ctx.agg.total("revenue", region=code), ctx.agg.total("rd_expense", region=code)
        vals = [scaled(rev, YI), scaled(ctx.agg.total("employees", region=code), WAN_REN), scaled(rd, YI),
                None if rev in (None, 0) or rd is None else 100.0 * rd / rev]
        for j, m in enumerate(("revenue", "employees", "rd_expense")):
            if ctx.agg.is_withheld(m, region=code):
                sup.append((i, 5 + j))
        if ctx.agg.is_withheld("revenue", region=code) or ctx.agg.is_withheld("rd_expense", region=code):
            sup.append((i, 8))
            vals[3] = None
        rows.append([ctx.region(code), len(g), sum(scores) / len(scores) if scores else None, median(scores),
                     best, *vals])
    cols = [col("region", ctx.t("地区", "Region")),
            col("zones", ctx.t("园区数", "Zones"), "int", ctx.t("个", "zones"), 0),
            col("mean", ctx.t("平均得分", "Mean score"), "float", ctx.t("分", "points"), 1),
            col("median", ctx.t("中位得分", "Median score"), "float", ctx.t("分", "points"), 1),
            col("best", ctx.t("得分最高园区", "Best zone")),
            col("revenue", ctx.t("营业收入", "Revenue"), "money", ctx.t("亿元", "100 m yuan"), 1),
            col("employees", ctx.t("从业人员", "Employees"), "float", ctx.t("万人", "10 k persons"), 2),
            col("rd", ctx.t("R&D经费", "R&D expenditure"), "money", ctx.t("亿元", "100 m yuan"), 2),
            col("rd_intensity", ctx.t("研发投入强度", "R&D intensity"), "percent", "%", 2)]
    t = table("regions", ctx.t("四大地区比较", "Regions compared"), cols, rows, suppressed=sup,
              notes=ctx.footnotes() if sup else [])
    chart = Chart(id="regions_score", kind="bar", title=ctx.t("各地区平均综合得分", "Mean score by region"),
                  categories=[str(r[0]) for r in rows],
                  series=[Series(name=ctx.t("平均得分", "mean score"), values=[num(r[2]) for r in rows]),
                          Series(name=ctx.t("中位得分", "median score"), values=[num(r[3]) for r in rows])],
                  unit=ctx.t("分", "points"), table="regions")
    return Section(id="regions", title=ctx.t("地区比较", "Region comparison"), tables=[t], charts=[chart])


# ----------------------------------------------------------------------------------------- classification

def classification(ctx: Context) -> Section:
    sc = ctx.scope_rows()
    rows = [[integer(r.rank), r.zone_id, r.name, r.zone_type_zh if ctx.lang == "zh" else r.zone_type_en, r.grade,
             r.grade_in_region] for r in sc.itertuples(index=False)]
    t = table("classification", ctx.t("园区类型与等级", "Zone types and grades"),
              [col("rank", ctx.t("排名", "Rank"), "rank", decimals=0), col("zone_id", ctx.t("代码", "Code")),
               col("name", ctx.t("园区", "Zone")), col("type", ctx.t("类型", "Type")),
               col("grade", ctx.t("全国等级", "Grade")), col("grade_region", ctx.t("地区内等级", "Grade in region"))],
              rows, notes=[ctx.t("类型与等级由排名按规则文件确定（evaluation/rules/zone-types.toml、grades.toml）。",
                                 "Types and grades follow from the ranks by rule files (evaluation/rules/"
                                 "zone-types.toml, grades.toml).")])
    counts: dict[str, int] = {}
    for r in rows:
        counts[str(r[3])] = counts.get(str(r[3]), 0) + 1
    chart = Chart(id="types_count", kind="bar", title=ctx.t("各类型园区数", "Zones per type"),
                  categories=list(counts), series=[Series(name=ctx.t("园区数", "zones"),
                                                          values=[float(v) for v in counts.values()])],
                  unit=ctx.t("个", "zones"))
    return Section(id="classification", title=ctx.t("分类与等级", "Classification and grades"), tables=[t],
                   charts=[chart])


def _history(ctx: Context, warnings: list[dict[str, Any]]) -> str:
    return "；".join(f"{w['year']} {status_label(w['level'], ctx.lang)}" for w in warnings) if ctx.lang == "zh" \
        else "; ".join(f"{w['year']} {status_label(w['level'], ctx.lang)}" for w in warnings)


def warnings(ctx: Context) -> Section:
    praise, warned = [], []
    for z in ctx.zones:
        p = ctx.profile(z)
        hist = p["warnings"]
        now = next((w for w in hist if w["year"] == ctx.year), None)
        if now is None:
            continue
        reason = now["reason_zh"] if ctx.lang == "zh" else now["reason_en"]
        row = [integer(p["rank"]), z, p["zone"]["name"], status_label(now["level"], ctx.lang), reason]
        if now["level"] == "praise":
            praise.append(row)
        elif now["level"] in WARNED:
            warned.append([*row, _history(ctx, hist)])
    cols = [col("rank", ctx.t("排名", "Rank"), "rank", decimals=0), col("zone_id", ctx.t("代码", "Code")),
            col("name", ctx.t("园区", "Zone")), col("status", ctx.t("结论", "Status")),
            col("reason", ctx.t("依据", "Reason"))]
    t_p = table("praise", ctx.t("通报表扬名单", "Commended zones"), cols, praise)
    t_w = table("warnings", ctx.t("预警名单（约谈、通报、退出建议）", "Warning list (interview, notice, exit)"),
                [*cols, col("history", ctx.t("历年结论", "History"))], warned,
                notes=[ctx.t("依据动态管理规则（evaluation/rules/dynamic-management.toml，阈值为默认假设），"
                             "逐年只用当年及以前的评价。",
                             "By the dynamic-management rules (evaluation/rules/dynamic-management.toml; "
                             "thresholds are default assumptions), each year using only the evaluations up to it.")])
    paras = [ctx.t(f"表扬 {len(praise)} 个园区，预警 {len(warned)} 个园区。",
                   f"{len(praise)} zones commended, {len(warned)} warned.")]
    return Section(id="warnings", title=ctx.t("表扬与预警", "Praise and warnings"), paragraphs=paras,
                   tables=[t_p, t_w])


# --------------------------------------------------------------------------------------------- targets

def targets(ctx: Context) -> Section:
    from gaoxin.services.profile import plan

    zone = ctx.value if ctx.kind == "zone" else None
    rows_in = plan(ctx.store, ctx.year, zone=zone, snapshot=int(ctx.info["snapshot"]))
    if ctx.kind == "province":
        rows_in = [r for r in rows_in if r["scope"] != "zone" and (
            r["scope"] == "nation" or str(r["scope_id"])[:2] == ctx.value)]
    elif ctx.kind == "national":
        rows_in = [r for r in rows_in if r["scope"] == "nation"]
    rows = []
    for r in rows_in:
        hide = r["scope"] == "zone" and any(ctx.agg.is_withheld(m, zone=str(r["scope_id"]))
                                            for m in ("revenue", "employees", "rd_expense"))
        rows.append([r["label_zh"] if ctx.lang == "zh" else r["label_en"], r["scope_id"], r["unit"],
                     r["baseline_value"], r["target_year"], r["target_value"], None if hide else r["actual"],
                     None if hide else scaled(r["progress"], 100.0), scaled(r["expected_progress"], 100.0),
                     r["status_zh"] if ctx.lang == "zh" else r["status"], None if hide else r["projected_value"]])
    sup = [(i, j) for i, r in enumerate(rows) for j in (6, 7, 10) if r[j] is None and rows_in[i]["scope"] == "zone"
           and rows_in[i]["actual"] is not None]
    t = table("targets", ctx.t("规划目标进度", "Plan-target progress"),
              [col("target", ctx.t("目标", "Target")), col("scope", ctx.t("范围", "Scope")),
               col("unit", ctx.t("单位", "Unit")), col("baseline", ctx.t("基期值", "Baseline"), "float"),
               col("target_year", ctx.t("目标年", "Target year"), "int", decimals=0),
               col("target_value", ctx.t("目标值", "Target"), "float"),
               col("actual", ctx.t("实际值", "Actual"), "float"),
               col("progress", ctx.t("完成进度", "Progress"), "percent", "%", 1),
               col("expected", ctx.t("应完成进度", "Expected progress"), "percent", "%", 1),
               col("status", ctx.t("状态", "Status")), col("projected", ctx.t("目标年预测值", "Projection"), "float")],
              rows, suppressed=sup, notes=[*(ctx.footnotes() if sup else []), *sorted({
                  ctx.t(f"来源：{r['source']}", f"Source: {r['source']}") for r in rows_in if r.get("source")})])
    return Section(id="targets", title=ctx.t("规划目标监测", "Plan-target progress"), tables=[t])


# ----------------------------------------------------------------------------------------------- annex

def annex(ctx: Context) -> Section:
    pillar = {p.code: (p.name_zh if ctx.lang == "zh" else p.name_en) for p in ctx.fw.pillars}
    rows = [[i.ref, i.code, i.name_zh if ctx.lang == "zh" else i.name_en, pillar.get(i.parent, i.parent), i.unit,
             ctx.t("正向", "benefit") if i.direction == "benefit" else ctx.t("逆向", "cost"),
             num(i.multiplier) if i.multiplier is not None else num(i.weight), i.formula, i.source]
            for i in ctx.fw.indicators]
    t = table("annex_indicators", ctx.t("指标定义与来源", "Indicator definitions and sources"),
              [col("ref", ctx.t("编号", "Ref")), col("code", ctx.t("代码", "Code")),
               col("name", ctx.t("指标", "Indicator")), col("pillar", ctx.t("一级指标", "Pillar")),
               col("unit", ctx.t("单位", "Unit")), col("direction", ctx.t("方向", "Direction")),
               col("weight", ctx.t("权重/赋权", "Weight"), "float", decimals=2),
               col("formula", ctx.t("计算公式", "Formula")), col("source", ctx.t("出处", "Source"))], rows)
    m = ctx.fw.meta
    return Section(id="annex", title=ctx.t("附录：指标定义", "Annex: indicator definitions"),
                   paragraphs=[ctx.t(f"来源：{m.source}", f"Source: {m.source}"), *([m.notes] if m.notes else [])],
                   tables=[t])
