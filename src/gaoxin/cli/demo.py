"""``gaoxin demo``: the main job on synthetic data (services.demo), rendered step by step."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaoxin.cli import render
from gaoxin.cli.app import DbOpt, app, years
from gaoxin.cli.render import console

TOP_N = 20


@app.command()
def demo(
    db: DbOpt = None,
    out_dir: Annotated[Path, typer.Option("--out")] = Path("demo-out"),
    zones: int = 169,
    enterprises: int = 30_000,
    years_: Annotated[str, typer.Option("--years")] = "2016-2025",
    dirty: float = 0.01,
    seed: int = 42,
    serve: Annotated[bool, typer.Option(help="最后启动网页看板 / end by serving the dashboard")] = False,
    port: Annotated[int, typer.Option(help="看板端口 / dashboard port", min=1, max=65535)] = 8000,
    report: Annotated[bool, typer.Option(help="写全国报告 PDF（与 XLSX）/ write the national PDF (and XLSX) report"
                                         )] = True,
) -> None:
    """演示：合成数据→评价→管理→监测（→看板）/ the main job on synthetic data, end to end (→ dashboard)."""
    from gaoxin.services.demo import DemoSettings, run_demo

    settings = DemoSettings(out_dir=out_dir, db=db, zones=zones, enterprises=enterprises, years=years(years_),
                            dirty=dirty, seed=seed)
    status = console.status("生成合成数据 / generating synthetic data …")
    status.start()
    labels = {"generate": "导入并校验 / ingesting and validating …", "ingest": "汇总 / summarising …",
              "summary": "计算指标 / computing indicators …", "indicators": "综合评价与排名区间 / evaluating …",
              "evaluate": "动态管理 / dynamic management …", "manage": "排名变化解释 / explaining a change of rank …",
              "explain": "企业梯度、创新积分与产业链 / enterprise tiers, points and chains …",
              "enterprises": "规划监测 / plan monitoring …"}

    def step(name: str, res) -> None:
        status.stop()
        _SHOW[name](res)
        if name in labels:
            status.update(labels[name])
            status.start()

    try:
        res = run_demo(settings, step)
    finally:
        status.stop()
    if res.ingest is None or res.ingest.result.snapshot is None:
        raise typer.Exit(1)
    console.print(f"数据库 database: {res.db_file}  输出 output: {out_dir}")
    if report and res.evaluation is not None:
        _reports(res)
    if serve:
        _serve(res, port)


def _reports(res) -> None:
    """The national report of the demo's evaluation (audience ``national``: the demo publishes nothing until
    ``--serve``), as PDF and, where the Excel renderer is part of the build, XLSX."""
    from gaoxin.cli.report import write_reports, writer
    from gaoxin.services.errors import InputError

    targets: dict[str, Path | None] = {}
    for fmt in ("pdf", "xlsx"):
        try:
            writer(fmt)
        except InputError as e:  # a renderer not in this build
            console.print(f"   {e}", highlight=False)
            continue
        targets[fmt] = res.settings.out_dir / f"report-{res.year}-national.{fmt}"
    if not targets:
        return
    with console.status("生成报告 / building the national report …"):
        paths = write_reports(res.db_file, res.evaluation.id, "national", "zh", "national", targets)
    for fmt, path in paths.items():
        console.print(f"[bold]报告 report[/] ({fmt.upper()}): {path}", highlight=False)


def _serve(res, port: int) -> None:
    """Print one demo login per role, then serve the dashboard over the demo store until Ctrl-C."""
    from rich.table import Table

    from gaoxin.cli.serve import serve
    from gaoxin.services.demo import demo_logins

    logins = demo_logins(res.db_file, res)
    t = Table(title="演示账号（密码仅显示一次）/ demo logins (passwords shown once)", title_justify="left")
    for col in ("用户 user", "角色 role", "范围 scope", "密码 password"):
        t.add_column(col)
    for lg in logins:
        t.add_row(lg.name, lg.role, lg.scope or "—", lg.password)
    console.print(t)
    console.print(f"看板 dashboard: http://127.0.0.1:{port}/", highlight=False)
    serve(db=res.db_file, port=port)


def _generate(res) -> None:
    console.print(f"[bold]1. 合成数据 synthetic data[/]: {res.rows_generated:,} 企业年 rows "
                  f"({res.seconds['generate']:.1f}s) → {res.settings.out_dir / 'data'}")


def _ingest(res) -> None:
    r = res.ingest.result
    console.print(f"[bold]2. 导入 ingest[/]: 快照 snapshot {r.snapshot}, 接受 {r.accepted:,} accepted, "
                  f"拒绝 {r.rejected:,} rejected, 警告 {r.warnings:,} warnings ({res.seconds['ingest']:.1f}s)")
    for p in res.ingest.report_files:
        console.print(f"   问题报告 rejection report: {p}")
    if r.snapshot is None:
        console.print(f"[red]{r.message_zh} / {r.message_en}[/]")


def _summary(res) -> None:
    from gaoxin.services.snapshots import region_labels

    labels = region_labels()
    df = res.zone_summary
    rows = [(r.name, labels.get(r.region, r.region), r.enterprises, r.revenue_100m_yuan, r.rd_intensity)
            for r in df.head(TOP_N).itertuples()]
    render.show(render.table(f"3. 园区概况 zone summary {res.year}（前{TOP_N}名 / top {TOP_N} by revenue）",
                           ["园区 zone", "地区 region", "企业数 enterprises", "营业收入(亿元) revenue",
                            "研发强度 R&D intensity"], rows,
                           right=["企业数 enterprises", "营业收入(亿元) revenue", "研发强度 R&D intensity"],
                           formats={"企业数 enterprises": ",", "营业收入(亿元) revenue": ",.1f",
                                    "研发强度 R&D intensity": ".2%"}))
    by = df.groupby("region", sort=False).agg(zones=("zone_id", "count"), enterprises=("enterprises", "sum"),
                                              revenue=("revenue_100m_yuan", "sum"))
    headers = ["地区 region", "园区 zones", "企业 enterprises", "营业收入(亿元) revenue"]
    render.show(render.table("按地区 by region", headers,
                           [(labels.get(k, k), r.zones, r.enterprises, r.revenue) for k, r in by.iterrows()],
                           right=["园区 zones", "企业 enterprises", "营业收入(亿元) revenue"],
                           formats={"企业 enterprises": ",.0f", "营业收入(亿元) revenue": ",.1f"}))
    console.print(f"   全部园区 all zones: {res.files['zone_summary']}")


def _indicators(res) -> None:
    console.print(f"[bold]4. 指标 indicators[/]: {len(res.frameworks)} 套指标体系 frameworks "
                  f"({', '.join(res.frameworks)}) ({res.seconds['indicators']:.1f}s) → "
                  f"{res.settings.out_dir}/indicators-*.csv")


def _evaluate(res) -> None:
    from gaoxin.services.snapshots import region_labels

    run = res.evaluation
    console.print(f"[bold]5. 综合评价 evaluation[/] {run.id}: {res.settings.framework} {res.year}; "
                  f"蒙特卡洛 {res.settings.runs} 次 replications ({res.seconds['evaluate']:.1f}s)")
    labels = region_labels()
    t = run.table.sort_values("rank")
    shown = [*t.head(10).itertuples(), *t.tail(5).itertuples()]
    rows = [(r.rank, res.zone_names.get(r.zone_id, r.zone_id), labels.get(r.region, r.region), r.score,
             f"{render.fmt(r.rank_p05, '.0f')}–{render.fmt(r.rank_p95, '.0f')}", r.median_rank) for r in shown]
    render.show(render.table(f"前10名与后5名（排名区间5–95%） / top 10 and bottom 5 with rank intervals, {res.year}",
                           ["排名 rank", "园区 zone", "地区 region", "得分 score", "区间 interval",
                            "中位 median"], rows,
                           right=["排名 rank", "得分 score", "中位 median"],
                           formats={"得分 score": ".1f", "中位 median": ".0f"}))
    if run.comparison is not None:
        _two_scorings(res)


def _two_scorings(res) -> None:
    """Both scorings' top 10 side by side, with the rank each zone has under the other."""
    run = res.evaluation
    c = run.comparison
    a, b = c.nsmallest(10, "rank"), c.nsmallest(10, "companion_rank")
    both = len(set(a["zone_id"]) & set(b["zone_id"]))
    console.print(f"两种评分 two scorings: {run.config_name} 与 vs {run.companion_config} (evaluation "
                  f"{run.companion_id}); Spearman ρ = {render.fmt(run.spearman, '.3f')}, 平均排名差 mean |shift| = "
                  f"{render.fmt(c['shift'].abs().mean(), '.1f')}, 前10名重合 top-10 overlap {both}/10")
    name = res.zone_names.get
    own = run.table.set_index("zone_id")
    other = res.companion_intervals

    def interval(zone: str, table) -> str:
        if table is None or zone not in table.index:
            return "—"
        return f"{render.fmt(table.at[zone, 'rank_p05'], '.0f')}–{render.fmt(table.at[zone, 'rank_p95'], '.0f')}"

    rows = [(i + 1, name(x.zone_id, x.zone_id), interval(x.zone_id, own), x.companion_rank,
             name(y.zone_id, y.zone_id), interval(y.zone_id, other), y.rank)
            for i, (x, y) in enumerate(zip(a.itertuples(), b.itertuples(), strict=True))]
    render.show(render.table(f"前10名及排名区间（5–95%） top 10 with rank intervals: {run.config_name} | "
                             f"{run.companion_config}",
                             ["名次 #", f"{run.config_name}", "区间 interval", "另一排名 other",
                              f"{run.companion_config}", "区间 interval ", "另一排名 other "], rows,
                             right=["名次 #", "另一排名 other", "另一排名 other "]))


def _manage(res) -> None:
    lists = res.management.lists
    y = sorted(res.management.panel["year"].unique())
    warned = lists[lists["status"].isin(["warning_interview", "warning_notice", "exit_recommended"])]
    rows = [(res.zone_names.get(r.zone_id, r.zone_id), r.status_zh, r.reason_zh.split("。依据")[0])
            for r in warned.itertuples()]
    render.show(render.table(f"6. 动态管理 dynamic management {y[0]}–{y[-1]}: 预警与退出 warnings and exits",
                           ["园区 zone", "状态 status", "依据 reason"], rows))
    praised = lists[lists["status"] == "praise"]["zone_id"].map(lambda z: res.zone_names.get(z, z))
    console.print(f"   表扬 praise: {', '.join(praised) or '—'}")


def _explain(res) -> None:
    from gaoxin.cli.explain import show

    e = res.explanation
    if e is None:
        return
    console.print(f"[bold]7. 排名变化解释 why the rank changed[/]: {e.zone_name} {e.base_year}→{e.year} "
                  f"({res.seconds['explain']:.1f}s; 已随评价 {e.evaluation_id} 存储 stored; "
                  f"gaoxin explain --zone {e.zone_id} --evaluation {e.evaluation_id})")
    show(e, limit=6)


def _enterprises(res) -> None:
    z = res.enterprise_zone
    if z is None or res.tiers is None:
        return
    name = res.zone_names.get(z, z)
    console.print(f"[bold]8. 企业与产业 enterprises and industry[/]: {name} ({z}) {res.year} "
                  f"({res.seconds['enterprises']:.1f}s; 已存储 stored: gaoxin tiers / points / chains --zone {z})")
    t = res.tiers
    rows = [(x["name_zh"], x["name_en"], x["members"], x["unknown"]) for x in t.tiers]
    render.show(render.table(f"梯度培育 enterprise tiers, {name} {res.year}",
                             ["梯度 tier", "tier", "企业数 firms", "数据不足 unknown"], rows,
                             right=["企业数 firms", "数据不足 unknown"]))
    nm = t.near_miss.sort_values("relative_gap").drop_duplicates("credit_code").head(5)
    rows = [(r.credit_code, r.name_zh, r.label_zh, r.value, f"{r.op} {render.fmt(r.threshold, ',.4g')}", r.gap)
            for r in nm.itertuples()]
    render.show(render.table("差一项即达标（梯度培育对象） near misses: all criteria of a tier but one",
                             ["统一社会信用代码", "梯度 tier", "差的条件 criterion", "现值 value", "要求 needs",
                              "差距 gap"], rows,
                             right=["现值 value", "差距 gap"], formats={"现值 value": ",.4g", "差距 gap": ",.4g"}))
    p = res.points
    top = p.frame.dropna(subset=["points"]).sort_values(["points"], ascending=False).head(5)
    rows = [(r.rank, r.name, r.band_zh, r.points, r.top_band_zh) for r in top.itertuples()]
    caveat = "" if p.indicators_verified else "（指标未经核实 unverified indicators）"
    render.show(render.table(f"创新积分前5名 top innovation points{caveat}",
                             ["组内排名 rank", "企业 firm", "阶段 band", "积分 points", "档次 band"], rows,
                             right=["组内排名 rank", "积分 points"], formats={"积分 points": ".1f"}))
    c = res.chain
    if c is not None:
        rows = [(n["segment_zh"], n["name_zh"], n["firms"], n["lq"], n["status_zh"], n["action"]) for n in c.nodes]
        render.show(render.table(f"产业链 {c.chain_name_zh} chain: {name}（补链/强链）",
                                 ["环节 segment", "节点 node", "企业 firms", "区位商 LQ", "状态 status", "建议 action"],
                                 rows, right=["企业 firms", "区位商 LQ"], formats={"区位商 LQ": ".2f"}))
    _mujun(res, name)


def _mujun(res, name: str) -> None:
    m = res.mujun
    if m is None:
        return
    rows = [(r["grade"], r["firms"], r["land_mu"], r["land_share"], r["tax_per_mu"]) for r in m.rollup]
    render.show(render.table(f"亩均效益分级 land-use efficiency grades ({m.rules_id}), {name} {res.year}",
                             ["等级 grade", "企业 firms", "用地(亩) land", "用地占比 land share",
                              "亩均税收(万元) tax per 亩"], rows,
                             right=["企业 firms", "用地(亩) land", "用地占比 land share", "亩均税收(万元) tax per 亩"],
                             formats={"用地(亩) land": ",.1f", "用地占比 land share": ".1%",
                                      "亩均税收(万元) tax per 亩": ",.2f"}))
    for g in m.green:
        console.print(f"   绿色低碳 green: 单位增加值能耗 {render.fmt(g['energy_intensity'], '.3f')} 吨标准煤/万元, "
                      f"碳排放估算 carbon ≈ {render.fmt(g['carbon_t'], ',.0f')} tCO2 (×{m.carbon_factor:g}/tce)")


def _monitor(res) -> None:
    rows = [(r.label_zh, r.baseline_value, r.target_value, r.actual, r.progress, r.expected_progress, r.status_zh)
            for r in res.monitoring.itertuples()]
    render.show(render.table(f"9. 规划监测 plan monitoring {res.year}",
                           ["目标 target", "基期 baseline", "目标值 target value", "实际 actual", "进度 progress",
                            "应达 expected", "状态 status"], rows,
                           right=["基期 baseline", "目标值 target value", "实际 actual", "进度 progress",
                                  "应达 expected"],
                           formats={"进度 progress": ".0%", "应达 expected": ".0%"}))


_SHOW = {"generate": _generate, "ingest": _ingest, "summary": _summary, "indicators": _indicators,
         "evaluate": _evaluate, "manage": _manage, "explain": _explain, "enterprises": _enterprises,
         "monitor": _monitor}
