"""One zone's pages of a report: profile (pillars, radar, strengths and weaknesses, trend, rank interval),
its enterprise totals and industries (protected), and the explanation of its rank change with a waterfall.

For the zone scope the same section is the zone's own report and adds the indicators where the zone is
below the all-zone level and — only for an audience that may read the zone's firms — the firms that moved it.
Indicator values follow ``profile.profile_for``'s rule (decision 0030), decided on the report's own
protected totals so that the report never shows a value its tables withhold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gaoxin.services.report_model import Chart, Section, Series, Table
from gaoxin.services.report_parts import col, fmt, integer, num, scaled, status_label, table

if TYPE_CHECKING:
    from gaoxin.services.report_chapters import Context

WAN = 0.1  # 千元 → 万元
TOP_INDICATORS = 8


def prepare_explanations(ctx: Context) -> None:
    """Explain every zone's rank change once (``explain_all``) unless stored; a run without a previous
    year gets none (said on each page). Results go to the read cache ``profile.explanation`` reads."""
    from gaoxin.evaluation.evaluate import EvaluationError
    from gaoxin.services import readcache
    from gaoxin.services.errors import InputError
    from gaoxin.services.explain import explain_all
    from gaoxin.services.overview import jsonable
    from gaoxin.store import explanations as store_expl

    missing = [z for z in ctx.zones if store_expl.load(ctx.store.con, ctx.eid, z) is None]
    if not missing:
        return

    def compute() -> dict[str, Any]:
        try:
            items = explain_all(ctx.store, ctx.eid, save=False)
        except (InputError, EvaluationError, LookupError) as e:
            return {"error": str(e), "items": {}}
        return {"error": None, "items": {e.zone_id: jsonable(e.to_dict()) for e in items}}

    done = readcache.cached(ctx.store, "report_explain_all", ctx.eid, compute)
    if done["error"]:
        ctx.cache["explain_error"] = done["error"]
    for z in missing:
        if z in done["items"]:
            readcache.cached(ctx.store, "explanation", (ctx.eid, z), lambda d=done["items"][z]: d)
    ctx.cache["explained"] = set(done["items"])


def _visible_zones(ctx: Context) -> frozenset[str] | None:
    from gaoxin.services.access import enterprise_zones

    if "visible" not in ctx.cache:
        ctx.cache["visible"] = enterprise_zones(ctx.store, ctx.access, int(ctx.info["snapshot"]))
    return ctx.cache["visible"]


def _masked(ctx: Context, zone: str, p: dict[str, Any]) -> tuple[list[dict], list[dict], list[dict], bool]:
    """(indicators, strengths, weaknesses, values_shown) as the audience may see them."""
    from gaoxin.services.profile import enterprise_derived

    zones = _visible_zones(ctx)
    if zones is None:
        return p["indicators"], p["strengths"], p["weaknesses"], True
    derived = enterprise_derived(ctx.fw)
    show = zone in zones or all(ctx.agg.total(m, zone=zone) is not None for m in ("revenue", "employees",
                                                                                  "rd_expense"))

    def fix(r: dict[str, Any]) -> dict[str, Any]:
        if r["code"] not in derived:
            return r
        return {**r, "median": None, "gap": None, "value": r["value"] if show else None}

    return ([fix(r) for r in p["indicators"]], [fix(r) for r in p["strengths"]], [fix(r) for r in p["weaknesses"]],
            show)


def zone_section(ctx: Context, zone: str, *, own: bool) -> Section:
    p = ctx.profile(zone)
    name = p["zone"]["name"]
    inds, strengths, weaknesses, shown = _masked(ctx, zone, p)
    tables: list[Table] = []
    charts: list[Chart] = []
    paras = [_headline(ctx, p)]
    t_p, c_p = _pillars(ctx, zone, p)
    tables.append(t_p)
    charts.append(c_p)
    tables.append(_strengths(ctx, zone, strengths, weaknesses, shown))
    t_tr, c_tr = _trend(ctx, zone, p)
    tables.append(t_tr)
    charts.append(c_tr)
    tables += _enterprise_tables(ctx, zone)
    if own:
        tables.append(_below(ctx, zone, inds))
    expl = _explanation(ctx, zone, own)
    paras += expl[0]
    tables += expl[1]
    charts += expl[2]
    return Section(id=f"zone:{zone}", title=f"{name}（{zone}）" if ctx.lang == "zh" else f"{name} ({zone})",
                   level=1 if own else 2, paragraphs=paras, tables=tables, charts=charts)


def _headline(ctx: Context, p: dict[str, Any]) -> str:
    interval = (f"{integer(p['rank_p05'])}–{integer(p['rank_p95'])}" if p.get("rank_p05") is not None else "—")
    ch = p.get("rank_change")
    change_zh = "—" if ch is None else ("持平" if ch == 0 else f"{'上升' if ch > 0 else '下降'} {abs(int(ch))} 位")
    change_en = "—" if ch is None else ("unchanged" if ch == 0 else f"{'up' if ch > 0 else 'down'} {abs(int(ch))}")
    now = next((w for w in p["warnings"] if w["year"] == ctx.year), None)
    status = status_label(now["level"], ctx.lang) if now else "—"
    return ctx.t(
        f"{ctx.year}年综合得分 {fmt(p['score'])} 分，全国排名第 {integer(p['rank'])} 位（共 {p['zones']} 个），"
        f"排名区间 {interval}；较上年{change_zh}。类型：{p['type_zh']}；等级：{p['grade']}；动态管理：{status}。",
        f"Composite score {fmt(p['score'])} points in {ctx.year}, national rank {integer(p['rank'])} of {p['zones']}, "
        f"rank interval {interval}; against last year: {change_en}. Type: {p['type']}; grade: {p['grade']}; "
        f"dynamic management: {status}.")


def _pillars(ctx: Context, zone: str, p: dict[str, Any]) -> tuple[Table, Chart]:
    rows = [[x["name_zh"] if ctx.lang == "zh" else x["name_en"], x["score"], x["region_median"],
             x["national_median"]] for x in p["pillars"]]
    pts = ctx.t("分", "points")
    t = table(f"zone:{zone}:pillars", ctx.t("一级指标得分", "Pillar scores"),
              [col("pillar", ctx.t("一级指标", "Pillar")), col("score", ctx.t("得分", "Score"), "float", pts, 1),
               col("region_median", ctx.t("地区中位数", "Region median"), "float", pts, 1),
               col("national_median", ctx.t("全国中位数", "National median"), "float", pts, 1)], rows)
    c = Chart(id=f"zone:{zone}:radar", kind="radar", title=ctx.t("一级指标雷达图", "Pillar radar"),
              categories=[str(r[0]) for r in rows],
              series=[Series(name=p["zone"]["name"], values=[num(r[1]) for r in rows]),
                      Series(name=ctx.t("全国中位数", "national median"), values=[num(r[3]) for r in rows])],
              unit=pts, table=t.id)
    return t, c


def _strengths(ctx: Context, zone: str, strengths: list[dict], weaknesses: list[dict], shown: bool) -> Table:
    rows = []
    for kind, items in ((ctx.t("优势", "Strength"), strengths), (ctx.t("短板", "Weakness"), weaknesses)):
        for r in items:
            rows.append([kind, r["name_zh"] if ctx.lang == "zh" else r["name_en"], r["value"], r["unit"],
                         integer(r["rank"]), r["percentile"]])
    notes = [ctx.t("优势：百分位 ≥ 75 的前 3 项；短板：百分位 ≤ 25 的后 3 项（决定 0030）。",
                   "Strengths: top 3 percentiles ≥ 75; weaknesses: bottom 3 ≤ 25 (decision 0030).")]
    if not shown:
        notes.append(ctx.t("企业数据汇总的指标值不予公布（“—”），得分与排名照常公布。",
                           "Values of enterprise-derived indicators are withheld (\"—\"); scores and ranks are shown."))
    return table(f"zone:{zone}:strengths", ctx.t("优势与短板", "Strengths and weaknesses"),
                 [col("kind", ctx.t("类别", "Kind")), col("indicator", ctx.t("指标", "Indicator")),
                  col("value", ctx.t("数值", "Value"), "float", decimals=3), col("unit", ctx.t("单位", "Unit")),
                  col("rank", ctx.t("排名", "Rank"), "rank", decimals=0),
                  col("percentile", ctx.t("百分位", "Percentile"), "float", "%", 0)], rows, notes=notes)


def _trend(ctx: Context, zone: str, p: dict[str, Any]) -> tuple[Table, Chart]:
    rows = [[s["year"], s["score"], s["rank"]] for s in p["series"]]
    t = table(f"zone:{zone}:trend", ctx.t("历年得分与排名", "Score and rank by year"),
              [col("year", ctx.t("年份", "Year"), "int", decimals=0),
               col("score", ctx.t("综合得分", "Score"), "float", ctx.t("分", "points"), 1),
               col("rank", ctx.t("排名", "Rank"), "rank", decimals=0)], rows,
              notes=[ctx.t("同一指标体系与评分配置的已存评价（每年最新一次）。",
                           "Stored evaluations of the same framework and configuration (newest per year).")])
    c = Chart(id=f"zone:{zone}:trend", kind="line", title=ctx.t("综合得分趋势", "Composite score trend"),
              categories=[str(r[0]) for r in rows],
              series=[Series(name=ctx.t("综合得分", "score"), values=[num(r[1]) for r in rows])],
              unit=ctx.t("分", "points"), table=t.id)
    return t, c


def _enterprise_tables(ctx: Context, zone: str) -> list[Table]:
    from gaoxin.services.report_sdc import section_names

    a = ctx.agg
    rev, rd = a.total("revenue", zone=zone), a.total("rd_expense", zone=zone)
    figs = [(ctx.t("企业数", "Enterprises"), a.total("count", zone=zone), ctx.t("家", "firms"), "count"),
            (ctx.t("营业收入", "Revenue"), scaled(rev, WAN), ctx.t("万元", "10 k yuan"), "revenue"),
            (ctx.t("年末从业人员", "Employees"), a.total("employees", zone=zone), ctx.t("人", "persons"), "employees"),
            (ctx.t("R&D经费内部支出", "R&D expenditure"), scaled(rd, WAN), ctx.t("万元", "10 k yuan"), "rd_expense")]
    rows, sup = [], []
    for i, (label, v, unit, m) in enumerate(figs):
        if a.is_withheld(m, zone=zone):
            sup.append((i, 1))
        rows.append([label, v, unit])
    withheld_ratio = a.is_withheld("revenue", zone=zone) or a.is_withheld("rd_expense", zone=zone)
    rows.append([ctx.t("研发投入强度", "R&D intensity"),
                 None if withheld_ratio or rev in (None, 0) or rd is None else 100.0 * rd / rev, "%"])
    if withheld_ratio:
        sup.append((4, 1))
    foot = ctx.footnotes()
    t1 = table(f"zone:{zone}:totals", ctx.t(f"{ctx.year}年企业汇总", f"Enterprise totals {ctx.year}"),
               [col("item", ctx.t("指标", "Figure")), col("value", ctx.t("数值", "Value"), "float", decimals=1),
                col("unit", ctx.t("单位", "Unit"))], rows, suppressed=sup, notes=foot if sup else [])
    names = section_names()
    inds = a.industries(zone)
    total = rev
    rows2, sup2 = [], []
    for i, (sec, v, withheld) in enumerate(inds):
        nm = names.get(sec, (sec, sec))
        share = None if withheld or total in (None, 0) or v is None else 100.0 * v / total
        if withheld:
            sup2.append((i, 1))
        if withheld or a.is_withheld("revenue", zone=zone):
            sup2.append((i, 2))
        rows2.append([f"{sec} {nm[0] if ctx.lang == 'zh' else nm[1]}", scaled(v, WAN), share])
    t2 = table(f"zone:{zone}:industries",
               ctx.t("产业结构（国民经济行业门类）", "Industry structure (GB/T 4754 sections)"),
               [col("section", ctx.t("门类", "Section")),
                col("revenue", ctx.t("营业收入", "Revenue"), "money", ctx.t("万元", "10 k yuan"), 1),
                col("share", ctx.t("占比", "Share"), "percent", "%", 1)], rows2, suppressed=sorted(set(sup2)),
               notes=foot if sup2 else [])
    return [t1, t2]


def _below(ctx: Context, zone: str, inds: list[dict[str, Any]]) -> Table:
    below = sorted((r for r in inds if r.get("score_gap") is not None and r["score_gap"] < 0),
                   key=lambda r: (r["score_gap"], r["code"]))
    rows = [[r["ref"], r["name_zh"] if ctx.lang == "zh" else r["name_en"], r["value"], r["median"], r["unit"],
             r["score_gap"], integer(r["rank"])] for r in below]
    return table(f"zone:{zone}:below", ctx.t("低于全部园区中位水平的指标", "Indicators below the all-zone median"),
                 [col("ref", ctx.t("编号", "Ref")), col("indicator", ctx.t("指标", "Indicator")),
                  col("value", ctx.t("本区数值", "Value"), "float", decimals=3),
                  col("median", ctx.t("全部园区中位数", "All-zone median"), "float", decimals=3),
                  col("unit", ctx.t("单位", "Unit")),
                  col("score_gap", ctx.t("得分差", "Score gap"), "float", ctx.t("分", "points"), 1),
                  col("rank", ctx.t("排名", "Rank"), "rank", decimals=0)], rows,
                 notes=[ctx.t("得分差 = 本区指标得分 − 全部园区中位得分。", "Score gap = the zone's indicator score − "
                              "the all-zone median score.")])


def _explanation(ctx: Context, zone: str, own: bool) -> tuple[list[str], list[Table], list[Chart]]:
    from gaoxin.services.profile import explanation

    if ctx.cache.get("explain_error") and zone not in ctx.cache.get("explained", set()):
        return [ctx.t("无上年可比评价，未作排名变化解释。",
                      "No comparable evaluation of the year before: the change of rank is not explained.")], [], []
    zones = _visible_zones(ctx)
    firms_ok = own and (zones is None or zone in zones)
    try:
        e = explanation(ctx.store, ctx.eid, zone, with_firms=firms_ok, sees_all=zones is None)
    except Exception as err:  # a zone absent the year before
        from gaoxin.evaluation.evaluate import EvaluationError
        from gaoxin.services.errors import InputError

        if not isinstance(err, InputError | EvaluationError | LookupError):
            raise
        return [ctx.t("该园区上年未参评，未作排名变化解释。", "The zone was not evaluated the year before: no "
                      "explanation.")], [], []
    paras = [e["narrative_zh"] if ctx.lang == "zh" else e["narrative_en"]]
    pillar = {p.code: (p.name_zh if ctx.lang == "zh" else p.name_en) for p in ctx.fw.pillars}
    cats = [ctx.t(f"{e['from']}年得分", f"{e['from']} score")]
    vals: list[float | None] = [num(e["score_before"])]
    for code, v in e["pillars"].items():
        cats.append(pillar.get(code, code))
        vals.append(num(v))
    if abs(num(e["residual"]) or 0.0) > 1e-9:
        cats.append(ctx.t("非加性余项", "non-additive rest"))
        vals.append(num(e["residual"]))
    cats.append(ctx.t(f"{e['to']}年得分", f"{e['to']} score"))
    vals.append(num(e["score_after"]))
    pts = ctx.t("分", "points")
    chart = Chart(id=f"zone:{zone}:waterfall", kind="waterfall",
                  title=ctx.t("得分变化分解（按一级指标）", "Change of score by pillar"), categories=cats,
                  series=[Series(name=ctx.t("贡献", "contribution"), values=vals)], unit=pts,
                  table=f"zone:{zone}:explain")
    top = sorted(e["indicators"], key=lambda i: (-abs(i["contribution"] or 0.0), i["code"]))[:TOP_INDICATORS]
    rows = [[i["ref"], i["name_zh"] if ctx.lang == "zh" else i["name_en"], i["value_before"], i["value_after"],
             i["unit"], i["contribution"], i["own"], i["peer"]] for i in top]
    t = table(f"zone:{zone}:explain", ctx.t("排名变化的主要指标", "Indicators behind the change"),
              [col("ref", ctx.t("编号", "Ref")), col("indicator", ctx.t("指标", "Indicator")),
               col("before", ctx.t("上年值", "Before"), "float", decimals=3),
               col("after", ctx.t("本年值", "After"), "float", decimals=3), col("unit", ctx.t("单位", "Unit")),
               col("contribution", ctx.t("贡献", "Contribution"), "float", pts, 2),
               col("own", ctx.t("自身数据", "Own data"), "float", pts, 2),
               col("peer", ctx.t("其他园区", "Other zones"), "float", pts, 2)], rows,
              notes=[ctx.t("贡献为综合得分的分值（Shapley 分解，决定 0021）。瀑布图首尾为得分，中间为各一级指标贡献。",
                           "Contributions are points of the composite (Shapley decomposition, decision 0021). The "
                           "waterfall starts and ends with the scores; the bars between are pillar contributions.")])
    tables = [t]
    frows: list[list[Any]] = []
    if firms_ok:  # the firms behind the indicators of the table above, for readers of the zone's firms only
        units = {i["code"]: i["unit"] for i in e["indicators"]}
        label = {i["code"]: f"{i['ref']} {i['name_zh'] if ctx.lang == 'zh' else i['name_en']}" for i in top}
        frows = [[label[f["indicator"]], f["name"], f["credit_code"] or None, f["contribution"],
                  units.get(f["indicator"], "")] for f in e.get("firms") or [] if f["indicator"] in label]
    if frows:
        tables.append(table(f"zone:{zone}:firms", ctx.t("推动变化的企业", "Firms that moved it"),
                            [col("indicator", ctx.t("指标", "Indicator")), col("name", ctx.t("企业", "Firm")),
                             col("credit_code", ctx.t("统一社会信用代码", "Credit code")),
                             col("contribution", ctx.t("贡献值", "Contribution"), "float", decimals=3),
                             col("unit", ctx.t("单位", "Unit"))], frows,
                            notes=[ctx.t("上表各指标贡献最大的企业（贡献值为指标单位）；企业明细仅向可查看本园区企业的读者提供。",
                                         "The firms that contributed most to the indicators above (in the "
                                         "indicator's unit); firm detail is given only to readers allowed to see "
                                         "the zone's firms.")]))
    return paras, tables, [chart]
